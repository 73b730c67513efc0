"""The one type of text the backend client accepts.

Every string sent to the model backend (chat messages, embedding and rerank inputs) must be
an ``Outbound``. Only two doors make one: the privacy gate (``chatbot.privacy``), which
pseudonymises what users typed, and ``published()``, for knowledge text that editors
published on purpose. The backend client refuses a plain ``str``, so a call that skips the
gate fails loudly in the tests instead of leaking quietly in production.
"""

from __future__ import annotations

from collections.abc import Iterable

_CLEARANCE = object()


class Outbound(str):
    __slots__ = ()

    def __new__(cls, text: str, *, clearance: object = None) -> Outbound:
        if clearance is not _CLEARANCE:
            raise TypeError(
                "Outbound text is made by the privacy gate or published(), not directly"
            )
        return super().__new__(cls, text)


def _clear(text: str) -> Outbound:
    """For the privacy gate only: mark text that has been pseudonymised."""
    return Outbound(text, clearance=_CLEARANCE)


def published(text: str) -> Outbound:
    """Knowledge-base text written by editors for publication (fiches, their titles)."""
    return Outbound(text, clearance=_CLEARANCE)


def require_outbound(values: Iterable[object], what: str) -> None:
    for value in values:
        if not isinstance(value, Outbound):
            raise TypeError(f"{what}: refusing to send text that did not pass the privacy gate")


def join(parts: Iterable[Outbound], sep: str = "") -> Outbound:
    """Concatenate texts that are each cleared; the result is cleared too."""
    items = list(parts)
    require_outbound(items, "join")
    return Outbound(sep.join(items), clearance=_CLEARANCE)
