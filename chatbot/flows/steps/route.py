"""Step 2, route: greetings, thanks, requests for a person, questions about the assistant,
out-of-scope and distress get their canned reply; questions go on."""

from __future__ import annotations

from langgraph.runtime import Runtime

from chatbot.flows.state import TurnContext, TurnState
from chatbot.flows.status import Status
from chatbot.guard import Intent, classify_intent
from chatbot.privacy.topic import topic_of
from chatbot.replies import contacts_text, reply

CANNED: dict[Intent, tuple[Status, str]] = {
    Intent.greeting: (Status.smalltalk, "smalltalk_greeting"),
    Intent.thanks: (Status.smalltalk, "smalltalk_thanks"),
    Intent.handoff: (Status.handoff, Status.handoff),
    Intent.about: (Status.about, Status.about),
    Intent.out_of_scope: (Status.out_of_scope, Status.out_of_scope),
    Intent.distress: (Status.distress, Status.distress),
}
WITH_CONTACTS = (Status.handoff, Status.out_of_scope)


def route(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    # Routed on what the question is about: "Bonjour, je m'appelle <NOM_1>. J'ai perdu ma
    # carte vitale" is a question, not a greeting.
    intent = classify_intent(topic_of(state["question"]))
    if intent not in CANNED:
        return {}
    status, key = CANNED[intent]
    answer = reply(runtime.context.flow, key)
    if status in WITH_CONTACTS:
        answer += "\n\n" + contacts_text(runtime.context.flow)
    return {"status": status, "answer": answer}
