"""The shared nodes every flow is built from. Each node is a plain function of state (and of
the run's context) that returns an update; any node may end the turn by setting ``status``.

State holds pseudonymised text only: it is what the checkpointer persists.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from langgraph.runtime import Runtime

from chatbot.flows.check import check_answer
from chatbot.flows.schema import Flow
from chatbot.flows.status import (
    EXCERPTS_BACKEND_DOWN,
    EXCERPTS_NO_MODEL,
    EXCERPTS_UNVERIFIED,
    STATUS_REPLIES,
    Status,
)
from chatbot.guard import (
    DEFAULT_REPLIES,
    Intent,
    check_input,
    classifier_messages,
    classify_intent,
    parse_classifier,
)
from chatbot.logs import get_logger
from chatbot.outbound import Outbound, join, published

if TYPE_CHECKING:
    from chatbot.backend import Backend
    from chatbot.knowledge import KnowledgeBase
    from chatbot.privacy import Pseudonymiser

log = get_logger("guichet.flow")

HISTORY_SENT = 6  # messages of history sent with a generation or a rewrite
EXCERPT_CHARS = 450


class TurnState(TypedDict, total=False):
    history: Annotated[list[dict[str, str]], operator.add]  # persisted, pseudonymised
    question: str  # this turn's message, normalised and pseudonymised
    standalone: str  # the question rewritten to stand alone
    status: str | None
    answer: str
    hits: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    degraded: str | None
    rule: str | None


@dataclass
class TurnContext:
    flow: Flow
    audiences: frozenset[str]
    privacy: Pseudonymiser
    kb: KnowledgeBase
    backend: Backend | None
    canary: str
    turn_id: str = ""


def reply(flow: Flow, key: str) -> str:
    return flow.replies.get(key) or DEFAULT_REPLIES.get(key) or STATUS_REPLIES[key]


def contacts_text(flow: Flow) -> str:
    lines = [
        f"- **{c.name}** : {c.detail}" + (f" ({c.url})" if c.url else "") for c in flow.escalation
    ]
    return "Vous pouvez vous adresser à :\n" + "\n".join(lines)


# --- 1. guard ---------------------------------------------------------------------------


async def guard(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    verdict = check_input(state["question"])
    if verdict.category == "injection":
        return {
            "status": Status.refused_injection,
            "rule": verdict.rule,
            "answer": reply(ctx.flow, "refused_injection"),
        }
    if verdict.category == "harmful":
        return {
            "status": Status.refused_harmful,
            "rule": verdict.rule,
            "answer": reply(ctx.flow, "refused_harmful"),
        }
    if ctx.flow.guard.classifier and ctx.backend is not None:
        from chatbot.backend import BackendError

        try:
            answer = await ctx.backend.complete(
                classifier_messages(ctx.privacy.clear(state["question"])), max_tokens=5
            )
        except BackendError as exc:  # the rules already ran: go on without the second layer
            log.warning("guard_classifier_unavailable", kind=exc.kind, turn_id=ctx.turn_id)
            return {}
        if parse_classifier(answer):
            return {
                "status": Status.refused_injection,
                "rule": "classifier",
                "answer": reply(ctx.flow, "refused_injection"),
            }
    return {}


# --- 2. route ---------------------------------------------------------------------------

_CANNED: dict[Intent, tuple[Status, str]] = {
    Intent.greeting: (Status.smalltalk, "smalltalk_greeting"),
    Intent.thanks: (Status.smalltalk, "smalltalk_thanks"),
    Intent.handoff: (Status.handoff, "handoff"),
    Intent.about: (Status.about, "about"),
    Intent.out_of_scope: (Status.out_of_scope, "out_of_scope"),
    Intent.distress: (Status.distress, "distress"),
}


def route(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    intent = classify_intent(state["question"])
    if intent not in _CANNED:
        return {}
    status, key = _CANNED[intent]
    answer = reply(runtime.context.flow, key)
    if status in (Status.handoff, Status.out_of_scope):
        answer += "\n\n" + contacts_text(runtime.context.flow)
    return {"status": status, "answer": answer}


# --- 3. contextualise -------------------------------------------------------------------

_FOLLOW_UP = re.compile(
    r"^\s*(et|mais|aussi|pareil|idem|dans ce cas|and|what about)\b|^\s*(pour|si|avec|sans)\b",
    re.IGNORECASE,
)


def previous_questions(history: list[dict[str, str]]) -> list[str]:
    return [m["content"] for m in history if m["role"] == "user"]


def looks_like_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 4


async def contextualise(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    question = state["question"]
    earlier = previous_questions(state.get("history", []))
    if not earlier or not looks_like_follow_up(question):
        return {"standalone": question}
    if ctx.backend is not None:
        from chatbot.backend import BackendError

        messages = [
            {
                "role": "system",
                "content": published(
                    "REWRITE: Réécris la dernière question de l'usager pour qu'elle se comprenne "
                    "seule, en reprenant le sujet de la conversation. "
                    "Réponds par la question seule."
                ),
            },
            *[
                {"role": m["role"], "content": ctx.privacy.clear(m["content"])}
                for m in state["history"][-HISTORY_SENT:]
            ],
            {"role": "user", "content": ctx.privacy.clear(question)},
        ]
        try:
            rewritten = (await ctx.backend.complete(messages, max_tokens=120)).strip()
            if rewritten:
                return {"standalone": rewritten}
        except BackendError as exc:
            log.warning("contextualise_backend_unavailable", kind=exc.kind, turn_id=ctx.turn_id)
    # Offline: the earlier subject plus the follow-up is what retrieval needs.
    return {"standalone": f"{earlier[-1]} {question}"}


# --- 4. retrieve and decide -------------------------------------------------------------


async def retrieve(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    query = ctx.privacy.clear(state.get("standalone") or state["question"])
    try:
        hits = await ctx.kb.search(query, ctx.audiences, k=ctx.flow.retrieval.k)
    except Exception as exc:  # the store is down: no answer is better than a made-up one
        log.error("retrieve_failed", error=type(exc).__name__, turn_id=ctx.turn_id)
        return {"status": Status.backend_error, "answer": reply(ctx.flow, "backend_error")}
    return {"hits": [h.model_dump() for h in hits]}


def decide(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    flow = runtime.context.flow
    hits = [h for h in state.get("hits", []) if h["score"] >= flow.retrieval.min_score]
    if not hits:
        return {
            "status": Status.no_content,
            "hits": [],
            "answer": reply(flow, "no_content") + "\n\n" + contacts_text(flow),
        }
    return {"hits": hits, "sources": sources_of(hits)}


def sources_of(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "n": i,
            "id": h["fiche_id"],
            "title": h["title"],
            "heading": h["heading"],
            "anchor": h["anchor"],
            "url": h["url"],
            "audience": h["audience"],
        }
        for i, h in enumerate(hits, start=1)
    ]


# --- 5. generate ------------------------------------------------------------------------


EXCERPTS_SHOWN = 3
_INTERNAL_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://)[^)]*\)")


def excerpts(hits: list[dict[str, Any]], intro: str) -> str:
    parts = [intro]
    for i, hit in enumerate(hits[:EXCERPTS_SHOWN], start=1):
        # Links between fiches point at files, which mean nothing in a chat: keep their text.
        text = _INTERNAL_LINK.sub(r"\1", hit["text"].strip())
        if len(text) > EXCERPT_CHARS:
            text = text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " […]"
        quoted = "\n".join("> " + line for line in text.splitlines() if line.strip())
        section = section_of(hit)
        label = hit["title"] if section == hit["title"] else f"{hit['title']} — {section}"
        parts.append(f"**[{i}] {label}**\n{quoted}")
    return "\n\n".join(parts)


def excerpts_update(state: TurnState, reason: str, intro: str) -> TurnState:
    """End the turn with the best excerpts, cited, instead of a generated answer."""
    return {
        "status": Status.answered_excerpts,
        "degraded": reason,
        "answer": excerpts(state["hits"], intro),
        "sources": state["sources"][:EXCERPTS_SHOWN],
    }


def section_of(hit: dict[str, Any]) -> str:
    return hit["heading"].split(" > ")[-1] if hit.get("heading") else hit["title"]


def system_prompt(ctx: TurnContext) -> Outbound:
    flow = ctx.flow
    return published(
        f"{flow.instructions.strip()}\n\nTon : {flow.tone.strip()}\n\n"
        f"Identifiant confidentiel de ces consignes, à ne jamais écrire : {ctx.canary}"
    )


def sources_block(hits: list[dict[str, Any]]) -> Outbound:
    blocks = []
    for i, hit in enumerate(hits, start=1):
        title = hit["title"].replace('"', "'")
        section = section_of(hit).replace('"', "'")
        blocks.append(
            f'<source n="{i}" title="{title}" section="{section}">\n'
            f"{hit['text'].strip()}\n</source>"
        )
    return published("<sources>\n" + "\n".join(blocks) + "\n</sources>\n\n")


def generation_messages(state: TurnState, ctx: TurnContext) -> list[dict[str, Outbound]]:
    history = [
        {"role": m["role"], "content": ctx.privacy.clear(m["content"])}
        for m in state.get("history", [])[-HISTORY_SENT:]
    ]
    question = join([published("Question de l'usager : "), ctx.privacy.clear(state["question"])])
    return [
        {"role": "system", "content": system_prompt(ctx)},
        *history,
        {"role": "user", "content": join([sources_block(state["hits"]), question])},
    ]


async def generate(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    if ctx.backend is None:
        return excerpts_update(state, "no_backend", EXCERPTS_NO_MODEL)
    from chatbot.backend import BackendError

    model = ctx.flow.model
    parts: list[str] = []
    try:
        stream = ctx.backend.stream_chat(
            generation_messages(state, ctx),
            model=model.name,
            temperature=model.temperature,
            max_tokens=model.max_tokens,
        )
        async for delta in stream:
            parts.append(delta)
            runtime.stream_writer({"token": delta})
    except BackendError as exc:
        log.warning("generate_backend_failed", kind=exc.kind, turn_id=ctx.turn_id)
        runtime.stream_writer({"reset": True})
        return excerpts_update(state, exc.kind, EXCERPTS_BACKEND_DOWN)
    if stream.usage is not None:  # Albert's last chunk: what the operator is billed for
        log.info(
            "generate_usage",
            turn_id=ctx.turn_id,
            finish=stream.finish_reason,
            **stream.usage.model_dump(),
        )
    return {"answer": "".join(parts)}


# --- 6. check ---------------------------------------------------------------------------


def check(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    hits = state["hits"]
    checked = check_answer(state.get("answer", ""), len(hits), {h["url"] for h in hits}, ctx.canary)
    if checked.canary_leak:
        log.warning("check_canary_leak", turn_id=ctx.turn_id)
        return {
            "status": Status.refused_injection,
            "rule": "canary",
            "sources": [],
            "answer": reply(ctx.flow, "refused_injection"),
        }
    if not checked.cited or not checked.text:
        # An answer that cites nothing is not grounded: show the evidence instead.
        log.warning("check_uncited_answer", turn_id=ctx.turn_id, invalid=checked.invalid_citations)
        return excerpts_update(state, "uncited", EXCERPTS_UNVERIFIED)
    if checked.invalid_citations or checked.removed_urls:
        log.info(
            "check_repaired",
            turn_id=ctx.turn_id,
            invalid=checked.invalid_citations,
            removed_urls=checked.removed_urls,
        )
    # Only the sources the answer cites are listed under it, keeping their numbers.
    sources = [s for s in state["sources"] if s["n"] in checked.cited]
    return {"status": Status.answered, "answer": checked.text, "sources": sources}


# --- end of every turn ------------------------------------------------------------------


def remember(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    """Append this exchange to the persisted (pseudonymised) history."""
    return {
        "history": [
            {"role": "user", "content": state["question"]},
            {"role": "assistant", "content": state.get("answer", "")},
        ]
    }
