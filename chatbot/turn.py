"""One conversation turn: the same code for the chat page, the widget, the CLI and the API.

1. normalise the input; 2. pseudonymise it (privacy gate); 3. run the flow's graph;
4. end in one named status with answer and sources; 5. re-personalise for display only and
log ids, timings and counts (never text).

Every text that reaches a screen goes through the display check (``chatbot.display``) here,
whatever the channel: the streamed tokens while they stream, and the final answer, model's
or fiche excerpts. Placeholders come back as the user's values in plain text only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

from pydantic import BaseModel, Field

from chatbot import metrics
from chatbot.backend.models import Usage
from chatbot.batching import TokenBatcher
from chatbot.display import DisplayStream, check_answer
from chatbot.flows.state import TurnContext
from chatbot.flows.status import Status
from chatbot.guard import normalise
from chatbot.knowledge.models import Source, source_urls
from chatbot.logs import get_logger
from chatbot.privacy import Pseudonymiser, masked_notice
from chatbot.replies import reply
from chatbot.roles import is_staff
from chatbot.services import Services

log = get_logger("guichet.turn")


class Caller(BaseModel):
    """Who is asking, as the server knows it (never as the browser claims it)."""

    user_id: str | None = None
    role: str = "citizen"


class Token(BaseModel):
    """A piece of the answer, checked for display (links, images, markup, canary) and safe to
    show now: what is not yet verifiable (half a link, a placeholder) is held back."""

    text: str = ""
    reset: bool = False  # what was streamed so far is withdrawn (backend failed, canary...)


class TurnResult(BaseModel):
    turn_id: str
    thread_id: str
    flow: str
    status: Status
    answer: str
    sources: list[Source] = Field(default_factory=list)
    masked: list[str] = Field(default_factory=list)  # entity types masked this turn
    notice: str = ""  # French notice telling the user what was masked
    degraded: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    usage: Usage | None = None  # tokens, cost and energy of the generation, when one ran


async def run_turn(
    services: Services,
    text: str,
    *,
    thread_id: str,
    privacy: Pseudonymiser,
    caller: Caller | None = None,
    flow_name: str | None = None,
) -> AsyncIterator[Token | TurnResult]:
    """Yield tokens as they stream, then exactly one TurnResult."""
    caller = caller or Caller()
    flow = services.flow_for(flow_name, caller.role)
    turn_id = uuid.uuid4().hex[:12]
    started = time.perf_counter()
    timings: dict[str, float] = {}
    bound = log.bind(turn_id=turn_id, thread_id=thread_id, flow=flow.name, role=caller.role)

    clean = normalise(text if isinstance(text, str) else "", max_chars=flow.guard.max_chars)
    timings["normalise"] = _ms(started)
    if clean.problem:
        bound.info("turn_invalid_input", problem=clean.problem, length=len(text or ""))
        result = TurnResult(
            turn_id=turn_id,
            thread_id=thread_id,
            flow=flow.name,
            status=Status.invalid_input,
            answer=reply(flow, clean.problem),
            timings=timings,
        )
        metrics.record_turn(result, None)
        yield result
        return

    step = time.perf_counter()
    scrubbed = privacy.scrub(clean.text)
    masked = sorted({e.type for e in scrubbed.entities})
    timings["privacy"] = _ms(step)
    bound.info("turn_started", length=len(clean.text), entities=_counts(scrubbed.entities))

    context = TurnContext(
        flow=flow,
        audiences=flow.audiences_for(caller.role),
        privacy=privacy,
        kb=services.kb,
        backend=services.backend,
        canary=services.canary,
        turn_id=turn_id,
        owner=caller.user_id if flow.documents and is_staff(caller.role) else None,
        documents=services.documents if flow.documents else None,
    )
    state_in = {
        "question": str(scrubbed.text),
        "standalone": "",
        "status": None,
        "answer": "",
        "hits": [],
        "sources": [],
        "degraded": None,
        "rule": None,
    }
    config = {"configurable": {"thread_id": thread_id}}
    graph = services.graphs[flow.name]
    final: dict = {}

    def display_stream() -> DisplayStream:
        # The sources are known before generation starts (the "values" of retrieve, decide).
        hits = final.get("hits", [])
        return DisplayStream(
            source_urls(hits), len(hits), services.canary, privacy.repersonalise_display
        )

    display: DisplayStream | None = None
    first_token: float | None = None  # seconds from the message to the first token shown
    batch = TokenBatcher()  # the check and the screen get a piece per 100 ms, not per token
    step = time.perf_counter()
    # durability="exit": the turn's state is written once, when the graph ends, instead of
    # after each of its eight steps (a checkpoint write per step was most of the store's
    # work per turn). A turn that crashes half-way leaves the memory as it was before it.
    async for mode, chunk in graph.astream(
        state_in,
        config,
        context=context,
        stream_mode=["custom", "updates", "values"],
        durability="exit",
    ):
        if mode == "custom":
            if chunk.get("reset"):
                display = None
                batch.drop()
                yield Token(reset=True)
                continue
            if raw := batch.add(chunk.get("token", "")):
                display = display or display_stream()
                for reset, shown in display.feed(raw):
                    if shown and first_token is None:
                        first_token = time.perf_counter() - started
                    yield Token(reset=reset, text=shown)
        elif mode == "updates":
            for node in chunk:
                timings[node] = _ms(step)
            step = time.perf_counter()
        else:
            final = chunk
    # What the batch held back, then what the check held back: the end of the stream.
    held = batch.take()
    if held:
        display = display or display_stream()
    for reset, shown in [*display.feed(held), *display.flush()] if display else []:
        if shown and first_token is None:
            first_token = time.perf_counter() - started
        yield Token(reset=reset, text=shown)

    status = Status(final.get("status") or Status.backend_error)
    answer = final.get("answer", "")
    if status in (Status.answered, Status.answered_excerpts):
        # Model or fiche text: the same display check as the stream (a no-op on a checked
        # answer, and what makes excerpts safe).
        hits = final.get("hits", [])
        answer = check_answer(answer, len(hits), source_urls(hits), services.canary).text
    result = TurnResult(
        turn_id=turn_id,
        thread_id=thread_id,
        flow=flow.name,
        status=status,
        answer=privacy.repersonalise_display(answer),
        sources=list(final.get("sources", [])),
        masked=masked,
        notice=masked_notice(masked, has_model=services.backend is not None),
        degraded=final.get("degraded"),
        timings={**timings, "total": _ms(started)},
        usage=context.usage,
    )
    bound.info(
        "turn_finished",
        status=status.value,
        sources=len(result.sources),
        degraded=result.degraded,
        rule=final.get("rule"),
        timings=result.timings,
    )
    metrics.record_turn(result, first_token)
    yield result


async def ask(services: Services, text: str, **kwargs) -> TurnResult:
    """Run a turn to its end, ignoring the stream (CLI, API, tests)."""
    async for event in run_turn(services, text, **kwargs):
        if isinstance(event, TurnResult):
            return event
    raise RuntimeError("a turn ended without a result")  # run_turn always yields one


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def _counts(entities: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entity in entities:
        counts[entity.type] = counts.get(entity.type, 0) + 1
    return counts
