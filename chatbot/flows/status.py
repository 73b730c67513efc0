"""Every turn ends in exactly one named status; the French texts are in chatbot.replies."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    answered = "answered"
    answered_excerpts = "answered_excerpts"
    no_content = "no_content"
    refused_injection = "refused_injection"
    refused_harmful = "refused_harmful"
    refused_other_person = "refused_other_person"  # someone else's personal data
    refused_beyond_role = "refused_beyond_role"  # agents' content or access beyond the role
    out_of_scope = "out_of_scope"
    handoff = "handoff"
    smalltalk = "smalltalk"
    about = "about"
    distress = "distress"
    invalid_input = "invalid_input"
    backend_error = "backend_error"
    # The conversation database failed: the message was neither answered nor kept.
    storage_error = "storage_error"


# The turns an editor should look at: the question found no fiche, or fell outside the flow.
UNANSWERED: frozenset[Status] = frozenset({Status.no_content, Status.out_of_scope})
