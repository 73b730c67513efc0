"""Step 1, guard: the injection and harm rules, then the optional model classifier."""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from chatbot.flows.state import TurnContext, TurnState
from chatbot.flows.status import Status
from chatbot.guard import (
    Intent,
    check_input,
    classifier_messages,
    classify_intent,
    parse_classifier,
)
from chatbot.logs import get_logger
from chatbot.privacy.topic import topic_of
from chatbot.replies import contacts_text, reply

log = get_logger("guichet.flow")
_VERDICT = re.compile(r"\b(safe|unsafe|dangereux|malveillant)\b", re.IGNORECASE)


async def guard(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    verdict = check_input(state["question"])
    if verdict.category in REFUSALS and not _in_distress_by_guess(verdict.rule, state["question"]):
        return refused(ctx, REFUSALS[verdict.category], verdict.rule)
    if ctx.flow.guard.classifier and ctx.backend is not None:
        # A reasoning model gets room to think (the backend raises max_tokens for it); its
        # answer comes back without the reasoning.
        answer = await ctx.backend.complete(
            classifier_messages(ctx.privacy.mask_known(state["question"])), max_tokens=5
        )
        if not _VERDICT.search(answer):
            # Never silently: the rules already ran, but the operator must know the second
            # layer said nothing (e.g. a reasoning model that spent every token thinking).
            log.warning("guard_classifier_no_verdict", turn_id=ctx.turn_id, length=len(answer))
        elif parse_classifier(answer):
            return refused(ctx, Status.refused_injection, "classifier")
    return {}


def _in_distress_by_guess(rule: str | None, question: str) -> bool:
    """A person in distress is never refused on the local classifier's guess alone: its
    highest-scoring honest messages include "je veux me tuer". The router then answers them
    with the help numbers. A rule that fired still refuses."""
    return bool(rule and rule.startswith("local.")) and (
        classify_intent(topic_of(question)) == Intent.distress
    )


# What each guard verdict ends in. The last two say what Guichet cannot do and where to go,
# rather than a bare "no content" that leaves the citizen guessing.
REFUSALS = {
    "injection": Status.refused_injection,
    "harmful": Status.refused_harmful,
    "other_person": Status.refused_other_person,
    "beyond_role": Status.refused_beyond_role,
}
WITH_CONTACTS = (Status.refused_other_person, Status.refused_beyond_role)


def rules_only(state: TurnState, runtime: Runtime[TurnContext], kind: str) -> TurnState:
    """Fallback when the classifier is unavailable: the rules already ran, go on."""
    return {}


def refused(ctx: TurnContext, status: Status, rule: str | None) -> TurnState:
    answer = reply(ctx.flow, status)
    if status in WITH_CONTACTS:
        answer += "\n\n" + contacts_text(ctx.flow)
    return {"status": status, "rule": rule, "answer": answer}
