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
