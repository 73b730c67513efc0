"""One builder compiles any flow into a LangGraph graph from the shared nodes."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from chatbot.flows import nodes
from chatbot.flows.nodes import TurnContext, TurnState
from chatbot.flows.schema import Flow

# The whole pipeline, readable as one list. Any step may end the turn by setting a status.
STEPS = [
    ("guard", nodes.guard),
    ("route", nodes.route),
    ("contextualise", nodes.contextualise),
    ("retrieve", nodes.retrieve),
    ("decide", nodes.decide),
    ("generate", nodes.generate),
    ("check", nodes.check),
]


def build_graph(flow: Flow, checkpointer: Any = None) -> Any:
    graph = StateGraph(TurnState, context_schema=TurnContext)
    for name, node in STEPS:
        graph.add_node(name, node)
    graph.add_node("remember", nodes.remember)
    graph.add_edge(START, STEPS[0][0])
    for (name, _), (following, _) in zip(STEPS, STEPS[1:], strict=False):
        graph.add_conditional_edges(
            name,
            lambda state, following=following: "remember" if state.get("status") else following,
            [following, "remember"],
        )
    graph.add_edge(STEPS[-1][0], "remember")
    graph.add_edge("remember", END)
    return graph.compile(checkpointer=checkpointer, name=f"flow:{flow.name}")
