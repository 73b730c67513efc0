"""Steps 1 (guard) and 2 (route) of a turn, as pure functions.

normalise(text)          -> Normalised (clean text, or a problem: empty, too_long, binary)
check_input(text)        -> Verdict (injection / harmful / other_person / beyond_role / None,
                            and what fired: a rule id or "local.<category>")
check_rules(text), check_local(text) -> the two layers of check_input, for tools
classify_intent(text)    -> Intent (question, greeting, thanks, handoff, about, ...)
classifier_messages(out) -> chat messages for the optional model classifier
parse_classifier(answer) -> True when the model said "unsafe"
"""

from typing import TYPE_CHECKING

from chatbot.lazy import lazy_exports

if TYPE_CHECKING:
    from chatbot.guard.check import check_input, check_local
    from chatbot.guard.classifier import CLASSIFIER_PROMPT, classifier_messages, parse_classifier
    from chatbot.guard.intents import Intent, classify_intent
    from chatbot.guard.normalise import Normalised, normalise
    from chatbot.guard.rules import Verdict, check_rules

# Loaded on first use, so that the CLI can list its commands without compiling the rules.
lazy_exports(
    __name__,
    {
        "CLASSIFIER_PROMPT": "classifier",
        "classifier_messages": "classifier",
        "parse_classifier": "classifier",
        "Intent": "intents",
        "classify_intent": "intents",
        "Normalised": "normalise",
        "normalise": "normalise",
        "Verdict": "rules",
        "check_rules": "rules",
        "check_input": "check",
        "check_local": "check",
    },
)

__all__ = [
    "CLASSIFIER_PROMPT",
    "Intent",
    "Normalised",
    "Verdict",
    "check_input",
    "check_local",
    "check_rules",
    "classifier_messages",
    "classify_intent",
    "normalise",
    "parse_classifier",
]
