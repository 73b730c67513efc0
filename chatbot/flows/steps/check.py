"""Step 7, check: nothing unchecked is displayed. ``check_answer`` (``chatbot.display``) is
the pure check (citations, links, images, markup, canary), the same one the stream goes
through on its way to every screen; ``check`` is the step that acts on it."""

from __future__ import annotations

from langgraph.runtime import Runtime

from chatbot.display import CITATION, Checked, check_answer
from chatbot.flows.state import TurnContext, TurnState
from chatbot.flows.status import Status
from chatbot.flows.steps.excerpts import excerpts_update
from chatbot.knowledge.models import source_urls
from chatbot.logs import get_logger
from chatbot.replies import reply

log = get_logger("guichet.flow")

__all__ = ["CITATION", "Checked", "check", "check_answer"]


def check(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    hits = state["hits"]
    checked = check_answer(state.get("answer", ""), len(hits), source_urls(hits), ctx.canary)
    if checked.canary_leak:
        log.warning("check_canary_leak", turn_id=ctx.turn_id)
        return {
            "status": Status.refused_injection,
            "rule": "canary",
            "sources": [],
            "answer": reply(ctx.flow, Status.refused_injection),
        }
    if not checked.cited or not checked.text:
        # An answer that cites nothing is not grounded: show the evidence instead.
        log.warning("check_uncited_answer", turn_id=ctx.turn_id, invalid=checked.invalid_citations)
        return excerpts_update(state, ctx.flow, "uncited", "excerpts_unverified")
    if any(checked.repairs().values()):
        log.info("check_repaired", turn_id=ctx.turn_id, **checked.repairs())
    # Only the sources the answer cites are listed under it, keeping their numbers.
    sources = [s for s in state["sources"] if s.n in checked.cited]
    return {"status": Status.answered, "answer": checked.text, "sources": sources}
