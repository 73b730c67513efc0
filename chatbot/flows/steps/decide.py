"""Step 5, decide: keep the hits good enough to answer from, or end with ``no_content``."""

from __future__ import annotations

from langgraph.runtime import Runtime

from chatbot.flows.state import TurnContext, TurnState
from chatbot.flows.status import Status
from chatbot.knowledge.models import Source
from chatbot.replies import contacts_text, reply


def decide(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    flow = runtime.context.flow
    hits = [h for h in state.get("hits", []) if h.score >= flow.retrieval.min_score]
    if not hits:
        return {
            "status": Status.no_content,
            "hits": [],
            "answer": reply(flow, Status.no_content) + "\n\n" + contacts_text(flow),
        }
    return {"hits": hits, "sources": [Source.of(h, n) for n, h in enumerate(hits, start=1)]}
