"""Text as it may be stored: through the session's privacy gate, else a throwaway one.

Two kinds of text reach the store. New text (a user's message, a feedback comment, a file's
name or content) goes through ``Pseudonymiser.clear``: the gate caches the texts it scrubbed
recently, so the message the turn already analysed costs no second NER run. Text the session
already pseudonymised or displayed (assistant answers, steps built from them) needs no NER at
all: ``Pseudonymiser.mask_known`` turns the values this conversation masked back into their
placeholders, even where re-personalisation put them back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from chatbot.privacy import Pseudonymiser

PrivacyFor = Callable[[], "Pseudonymiser | None"]
# New text longer than this is never analysed nor stored (the guard refuses longer questions).
MAX_STORED_TEXT = 20_000
TOO_LONG_STORED = "[texte trop long, non conservé]"


def session_gate(privacy_for: PrivacyFor | None) -> Pseudonymiser | None:
    """The current session's gate, or None (no gate given, or no Chainlit context)."""
    if privacy_for is None:
        return None
    try:
        return privacy_for()
    except Exception:  # no Chainlit context (HTTP routes): no session mapping
        return None


def _blank(text_value: str) -> bool:
    return not text_value or not text_value.strip()


def _throwaway(text_value: str) -> str:
    from chatbot.privacy import scrub_once

    return str(scrub_once(text_value))


def pseudonymise(text_value: str, privacy_for: PrivacyFor | None) -> str:
    """New text as it may be stored (the analyser runs, unless the session saw it already)."""
    if _blank(text_value):
        return text_value
    if len(text_value) > MAX_STORED_TEXT:
        # Length before analysis: the analyser would hold the event loop for seconds.
        # The entry points refuse such text already (chatbot.web.shield).
        return TOO_LONG_STORED
    privacy = session_gate(privacy_for)
    if privacy is None:
        return _throwaway(text_value)
    # Values masked earlier in the session are masked again where the analyser alone would
    # not spot them (lower case, no context).
    return str(privacy.mask_known(str(privacy.clear(text_value))))


def mask_known(text_value: str, privacy_for: PrivacyFor | None) -> str:
    """Text the session already pseudonymised or displayed, as it may be stored: no analyser
    run. Without a session gate nothing is known, so a throwaway one analyses it."""
    if _blank(text_value):
        return text_value
    privacy = session_gate(privacy_for)
    if privacy is None:
        return _throwaway(text_value)
    return str(privacy.mask_known(text_value))


def clean_step_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chainlit's UI puts the page URL in a user message's metadata ("location"): on the
    administration's website (widget) its query string can carry personal data."""
    location = metadata.get("location")
    if isinstance(location, str):
        parts = urlsplit(location)
        metadata = {
            **metadata,
            "location": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        }
    return metadata
