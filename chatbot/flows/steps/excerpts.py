"""Cited excerpts of the best hits: the answer without a model, or when a generated answer
cannot be used (backend down, nothing cited)."""

from __future__ import annotations

import re

from chatbot.flows.schema import Flow
from chatbot.flows.state import TurnState
from chatbot.flows.status import Status
from chatbot.knowledge.models import Hit
from chatbot.replies import reply

EXCERPTS_SHOWN = 3
EXCERPT_CHARS = 450
_INTERNAL_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://)[^)]*\)")


def section_of(hit: Hit) -> str:
    return hit.heading.split(" > ")[-1] if hit.heading else hit.title


def excerpts(hits: list[Hit], intro: str) -> str:
    parts = [intro]
    for i, hit in enumerate(hits[:EXCERPTS_SHOWN], start=1):
        # Links between fiches point at files, which mean nothing in a chat: keep their text.
        text = _INTERNAL_LINK.sub(r"\1", hit.text.strip())
        if len(text) > EXCERPT_CHARS:
            text = text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " […]"
        quoted = "\n".join("> " + line for line in text.splitlines() if line.strip())
        section = section_of(hit)
        label = hit.title if section == hit.title else f"{hit.title} — {section}"
        if hit.page:  # an agent's own document: the page is what they look up
            label += f", p. {hit.page}"
        parts.append(f"**[{i}] {label}**\n{quoted}")
    return "\n\n".join(parts)


def excerpts_update(state: TurnState, flow: Flow, reason: str, intro_key: str) -> TurnState:
    """End the turn with the best excerpts, cited, instead of a generated answer."""
    return {
        "status": Status.answered_excerpts,
        "degraded": reason,
        "answer": excerpts(state["hits"], reply(flow, intro_key)),
        "sources": state["sources"][:EXCERPTS_SHOWN],
    }
