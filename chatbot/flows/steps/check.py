"""Step 7, check: nothing unchecked is displayed. ``check_answer`` is the pure check
(citations, links, canary); ``check`` is the step that acts on it."""

from __future__ import annotations

import re

from langgraph.runtime import Runtime
from pydantic import BaseModel

from chatbot.flows.state import TurnContext, TurnState
from chatbot.flows.status import Status
from chatbot.flows.steps.excerpts import excerpts_update
from chatbot.logs import get_logger
from chatbot.replies import reply

log = get_logger("guichet.flow")

CITATION = re.compile(r"\[(\d{1,2})\]")
URL = re.compile(r"https?://[^\s)\]>\"']+|www\.[^\s)\]>\"']+", re.IGNORECASE)


class Checked(BaseModel):
    text: str
    cited: list[int]  # source numbers the answer cites, in order of first use
    invalid_citations: int = 0
    removed_urls: int = 0
    canary_leak: bool = False


def check_answer(text: str, n_sources: int, allowed_urls: set[str], canary: str) -> Checked:
    """Drop citations to sources that do not exist and URLs that are not sources."""
    if canary and canary.lower() in text.lower():
        return Checked(text="", cited=[], canary_leak=True)

    invalid = 0

    def _citation(match: re.Match[str]) -> str:
        nonlocal invalid
        if 1 <= int(match.group(1)) <= n_sources:
            return match.group(0)
        invalid += 1
        return ""

    text = CITATION.sub(_citation, text)
    removed = 0

    def _url(match: re.Match[str]) -> str:
        nonlocal removed
        url = match.group(0).rstrip(".,;:")
        if url in allowed_urls:
            return match.group(0)
        removed += 1
        return "(lien retiré)"

    text = URL.sub(_url, text)
    cited: list[int] = []
    for match in CITATION.finditer(text):
        n = int(match.group(1))
        if n not in cited:
            cited.append(n)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return Checked(text=text, cited=cited, invalid_citations=invalid, removed_urls=removed)


def check(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    hits = state["hits"]
    checked = check_answer(state.get("answer", ""), len(hits), {h.url for h in hits}, ctx.canary)
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
    if checked.invalid_citations or checked.removed_urls:
        log.info(
            "check_repaired",
            turn_id=ctx.turn_id,
            invalid=checked.invalid_citations,
            removed_urls=checked.removed_urls,
        )
    # Only the sources the answer cites are listed under it, keeping their numbers.
    sources = [s for s in state["sources"] if s.n in checked.cited]
    return {"status": Status.answered, "answer": checked.text, "sources": sources}
