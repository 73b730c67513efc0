"""Steps 1 (guard) and 2 (route) of a turn, as pure functions.

normalise(text)          -> Normalised (clean text, or a problem: empty, too_long, binary)
check_input(text)        -> Verdict (injection / harmful / None, and the rule id)
classify_intent(text)    -> Intent (question, greeting, thanks, handoff, about, ...)
classifier_messages(out) -> chat messages for the optional model classifier
parse_classifier(answer) -> True when the model said "unsafe"
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatbot.guard.classifier import CLASSIFIER_PROMPT, classifier_messages, parse_classifier
    from chatbot.guard.intents import Intent, classify_intent
    from chatbot.guard.normalise import Normalised, normalise
    from chatbot.guard.rules import Verdict, check_input

# Loaded on first use, so that the CLI can list its commands without compiling the rules.
_LAZY = {
    "CLASSIFIER_PROMPT": "classifier",
    "classifier_messages": "classifier",
    "parse_classifier": "classifier",
    "Intent": "intents",
    "classify_intent": "intents",
    "Normalised": "normalise",
    "normalise": "normalise",
    "Verdict": "rules",
    "check_input": "rules",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CLASSIFIER_PROMPT",
    "Intent",
    "Normalised",
    "Verdict",
    "check_input",
    "classifier_messages",
    "classify_intent",
    "normalise",
    "parse_classifier",
]
