"""The model's tokens gathered into one piece every ``interval_s``: the display check runs on
the whole answer so far each time it is fed (``chatbot.display.DisplayStream``), and each
piece it passes is one socket message to the browser. Per token, both were most of a turn's
CPU (``chatbot bench load``); ten pieces a second still read as a smooth stream.

Batching only delays text: ``chatbot.turn`` feeds every piece to the display check before
anything is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

FLUSH_EVERY_S = 0.1  # ten updates a second; a model streams 30 to 100 tokens a second


class TokenBatcher:
    def __init__(
        self, interval_s: float = FLUSH_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._pending: list[str] = []
        self._sent_at: float | None = None  # the first token goes out at once

    def add(self, text: str) -> str:
        """Take a checked token; return what to send now ("" while the interval runs)."""
        if text:
            self._pending.append(text)
        now = self.clock()
        if self._pending and (self._sent_at is None or now - self._sent_at >= self.interval_s):
            return self.take(now)
        return ""

    def take(self, now: float | None = None) -> str:
        """Everything held back (the end of the turn)."""
        text = "".join(self._pending)
        self._pending.clear()
        self._sent_at = self.clock() if now is None else now
        return text

    def drop(self) -> None:
        """The stream so far is withdrawn: what was held back is never sent."""
        self._pending.clear()
