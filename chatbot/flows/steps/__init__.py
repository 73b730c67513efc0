"""The steps every flow is built from, one module each. A step is a plain function of the
turn's state and the run's context (``runtime.context``) that returns an update; any step may
end the turn by setting ``status``. Steps do not catch backend or store failures: the runner
in ``chatbot.flows.graph`` turns them into a status, or into the fallback a step declares.

Steps send state text to the backend through ``privacy.mask_known`` (no analyser run): the
turn already pseudonymised the new message, so spaCy runs once per turn.
"""

from chatbot.flows.steps.check import check
from chatbot.flows.steps.contextualise import contextualise, offline_standalone
from chatbot.flows.steps.decide import decide
from chatbot.flows.steps.generate import excerpts_instead, generate
from chatbot.flows.steps.guard import guard, rules_only
from chatbot.flows.steps.remember import remember
from chatbot.flows.steps.retrieve import retrieve
from chatbot.flows.steps.route import route

__all__ = [
    "check",
    "contextualise",
    "decide",
    "excerpts_instead",
    "generate",
    "guard",
    "offline_standalone",
    "remember",
    "retrieve",
    "route",
    "rules_only",
]
