"""One builder compiles any flow into a LangGraph graph from the shared steps.

The runner around each step is the one place where failures become statuses: a backend or
store failure ends the turn with ``backend_error`` and its French reply, unless the step
declares a fallback (what the turn does instead, e.g. cited excerpts when generation fails).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from chatbot import metrics
from chatbot.backend import BackendError
from chatbot.flows import steps
from chatbot.flows.schema import Flow
from chatbot.flows.state import TurnContext, TurnState
from chatbot.flows.status import Status
from chatbot.logs import get_logger
from chatbot.replies import reply

log = get_logger("guichet.flow")

StepFn = Callable[[TurnState, Runtime[TurnContext]], TurnState | Awaitable[TurnState]]
Fallback = Callable[[TurnState, Runtime[TurnContext], str], TurnState]
# The knowledge store's clients (Chroma, SQLite, HTTP) share no error type: any exception
# while searching is a store failure, and no answer is better than a made-up one.
STORE_FAILURE: tuple[type[BaseException], ...] = (Exception,)


def backend_error(state: TurnState, runtime: Runtime[TurnContext], kind: str) -> TurnState:
    return {"status": Status.backend_error, "answer": reply(runtime.context.flow, "backend_error")}


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFn
    fallback: Fallback = backend_error  # what the turn does when the step fails
    fails_on: tuple[type[BaseException], ...] = (BackendError,)


# The whole pipeline, readable as one list. Any step may end the turn by setting a status;
# the last one runs on every turn.
STEPS = [
    Step("guard", steps.guard, fallback=steps.rules_only),
    Step("route", steps.route),
    Step("contextualise", steps.contextualise, fallback=steps.offline_standalone),
    Step("retrieve", steps.retrieve, fails_on=STORE_FAILURE),
    Step("decide", steps.decide),
    Step("generate", steps.generate, fallback=steps.excerpts_instead),
    Step("check", steps.check),
    Step("remember", steps.remember),
]


def run(step: Step) -> Callable[[TurnState, Runtime[TurnContext]], Awaitable[TurnState]]:
    """The runner: the step, and its fallback when the backend or the store fails."""

    async def node(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
        try:
            update = step.run(state, runtime)
            return await update if inspect.isawaitable(update) else update
        except step.fails_on as exc:
            kind = getattr(exc, "kind", None) or type(exc).__name__
            log.warning(
                "step_failed",
                step=step.name,
                kind=kind,
                error=type(exc).__name__,
                fallback=step.fallback.__name__,
                turn_id=runtime.context.turn_id,
            )
            metrics.record_step_error(step.name, kind)
            return step.fallback(state, runtime, kind)

    node.__name__ = step.name
    return node


def _next(following: str, last: str) -> Callable[[TurnState], Awaitable[str]]:
    """The edge after a step: on to ``following``, or to ``last`` once a status is set.
    A coroutine, so LangGraph awaits it on the loop: a plain function is sent to a thread
    pool, seven times a turn (``chatbot bench load``)."""

    async def edge(state: TurnState) -> str:
        return last if state.get("status") else following

    return edge


def build_graph(flow: Flow, checkpointer: Any = None) -> Any:
    graph = StateGraph(TurnState, context_schema=TurnContext)
    for step in STEPS:
        graph.add_node(step.name, run(step))
    last = STEPS[-1].name
    graph.add_edge(START, STEPS[0].name)
    for step, following in zip(STEPS[:-1], STEPS[1:], strict=True):
        if following.name == last:
            graph.add_edge(step.name, last)
            continue
        graph.add_conditional_edges(step.name, _next(following.name, last), [following.name, last])
    graph.add_edge(last, END)
    return graph.compile(checkpointer=checkpointer, name=f"flow:{flow.name}")
