"""Every turn ends in exactly one named status, each with a French message for users."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    answered = "answered"
    answered_excerpts = "answered_excerpts"
    no_content = "no_content"
    refused_injection = "refused_injection"
    refused_harmful = "refused_harmful"
    out_of_scope = "out_of_scope"
    handoff = "handoff"
    smalltalk = "smalltalk"
    about = "about"
    distress = "distress"
    invalid_input = "invalid_input"
    backend_error = "backend_error"


# The turns an editor should look at: the question found no fiche, or fell outside the flow.
UNANSWERED: frozenset[Status] = frozenset({Status.no_content, Status.out_of_scope})


# Shown above excerpts, so nobody mistakes them for a generated answer.
EXCERPTS_NO_MODEL = (
    "Voici les passages de nos fiches qui correspondent le mieux à votre question "
    "(extraits cités tels quels ; aucune réponse n'a été rédigée par un modèle de langue)."
)
EXCERPTS_BACKEND_DOWN = (
    "Le service de rédaction des réponses ne répond pas pour le moment. "
    "Voici les passages de nos fiches qui correspondent le mieux à votre question "
    "(extraits cités tels quels)."
)
# Replies for the statuses the guard's defaults do not cover; flow files may override them.
EXCERPTS_UNVERIFIED = (
    "Je n'ai pas pu rédiger une réponse dont chaque point est vérifié dans nos fiches. "
    "Voici les passages qui correspondent le mieux à votre question (extraits cités tels quels)."
)
NO_CONTENT = (
    "Je n'ai pas trouvé d'information fiable sur ce sujet dans nos fiches, "
    "et je préfère ne pas vous répondre au hasard."
)
BACKEND_ERROR = (
    "Le service est momentanément indisponible. Veuillez réessayer dans quelques minutes."
)

STATUS_REPLIES = {"no_content": NO_CONTENT, "backend_error": BACKEND_ERROR}
