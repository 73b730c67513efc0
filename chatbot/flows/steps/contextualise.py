"""Step 3, contextualise: a follow-up ("et pour un enfant ?") is rewritten to stand alone,
by the model when there is one, else by prefixing the previous question."""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from chatbot.flows.state import HISTORY_SENT, TurnContext, TurnState
from chatbot.outbound import published
from chatbot.privacy.topic import topic_of

_FOLLOW_UP = re.compile(
    r"^\s*(et|mais|aussi|pareil|idem|dans ce cas|and|what about)\b|^\s*(pour|si|avec|sans)\b",
    re.IGNORECASE,
)
REWRITE_PROMPT = (
    "REWRITE: Réécris la dernière question de l'usager pour qu'elle se comprenne "
    "seule, en reprenant le sujet de la conversation. "
    "Réponds par la question seule."
)


def previous_questions(history: list[dict[str, str]]) -> list[str]:
    return [m["content"] for m in history if m["role"] == "user"]


def looks_like_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 4


async def contextualise(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    question = state["question"]
    history = state.get("history", [])
    # A follow-up may start with the detail it is about ("et pour <NOM_1> ?"), or be short
    # once the details around it are set aside.
    follow_up = looks_like_follow_up(question) or looks_like_follow_up(topic_of(question))
    if not previous_questions(history) or not follow_up:
        return {"standalone": question}
    if ctx.backend is not None:
        mask = ctx.privacy.mask_known
        messages = [
            {"role": "system", "content": published(REWRITE_PROMPT)},
            *[{"role": m["role"], "content": mask(m["content"])} for m in history[-HISTORY_SENT:]],
            {"role": "user", "content": mask(question)},
        ]
        rewritten = (await ctx.backend.complete(messages, max_tokens=120)).strip()
        if rewritten:
            return {"standalone": rewritten}
    return offline_standalone(state, runtime, "no_backend")


def offline_standalone(state: TurnState, runtime: Runtime[TurnContext], kind: str) -> TurnState:
    """The earlier subject plus the follow-up is what retrieval needs (also the fallback
    when the backend fails)."""
    earlier = previous_questions(state.get("history", []))
    return {"standalone": f"{topic_of(earlier[-1])} {topic_of(state['question'])}"}
