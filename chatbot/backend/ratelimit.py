"""When to wait: the retry policy and the pacing that keeps us under Albert's rate limits.

Retries are ours, not the SDK's (it is built with ``max_retries=0``): the SDK honours a
``Retry-After`` of up to two minutes and also retries 504s and timeouts, while a citizen is
waiting on the other end. We retry 429 and 500/502/503 only, never a budget error, and wait at
most ``settings.retry_max_wait``:

- a 503 carries ``Retry-After`` (OpenGateLLM sends 10 s): we honour it, capped;
- a 429 never carries ``Retry-After``. OpenGateLLM (2026) sends its own, singular headers
  ``x-ratelimit-{limit,remaining,reset}-{request,token}`` (only ``reset-requests`` is plural),
  resets as durations such as ``"1m30s"`` and ``"None"`` for an unlimited window. We wait for
  the reset of the exhausted window, capped. Albert 2025 sends nothing: exponential backoff.

Every response's headers feed a ``Pacer``: when few requests remain in the window, calls are
spread over the time left until its reset, so a burst does not end in a row of 429s.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import re
import time
from collections.abc import Mapping

from chatbot.backend.errors import RETRYABLE, BackendError
from chatbot.logs import get_logger

log = get_logger("guichet.backend")

BACKOFF_START = 0.5
RESET_MARGIN = 0.25  # seconds added to an exhausted window's reset
PACE_BELOW = 2  # remaining requests at or under which calls are spread until the reset

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")
_MILLIS = re.compile(r"^(\d+(?:\.\d+)?)ms$")


def parse_duration(value: str | None) -> float | None:
    """Seconds of a reset value: ``"1m30s"``, ``"2h0m5s"``, ``"45s"``, ``"250ms"``, ``"12"``;
    ``None`` for ``"None"`` (unlimited), empty or unreadable values."""
    if value is None:
        return None
    value = value.strip().lower()
    if not value or value == "none":
        return None
    if (millis := _MILLIS.match(value)) is not None:
        return float(millis.group(1)) / 1000
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.match(value)
        if match is None or not any(match.groups()):
            return None
        hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _count(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:  # "None": unlimited
        return None


def _first(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if (value := headers.get(name)) is not None:
            return value
    return None


class Window:
    """One rate-limit window as the last response described it."""

    def __init__(self, remaining: int | None, reset_s: float | None) -> None:
        self.remaining = remaining
        self.reset_at = time.monotonic() + reset_s if reset_s is not None else None

    def reset_in(self) -> float | None:
        return None if self.reset_at is None else max(0.0, self.reset_at - time.monotonic())


def windows(headers: Mapping[str, str]) -> dict[str, Window]:
    """The request and token windows named in a response's headers (2026 names first, the
    OpenAI plural names as a fallback for other servers)."""
    found: dict[str, Window] = {}
    for unit in ("request", "token"):
        remaining = _first(
            headers, f"x-ratelimit-remaining-{unit}", f"x-ratelimit-remaining-{unit}s"
        )
        reset = _first(headers, f"x-ratelimit-reset-{unit}s", f"x-ratelimit-reset-{unit}")
        if remaining is not None or reset is not None:
            found[unit] = Window(_count(remaining), parse_duration(reset))
    return found


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds a ``Retry-After`` (or ``retry-after-ms``) header asks for (secs or a date)."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is None:
                continue
            seconds = email.utils.mktime_tz(parsed) - time.time()
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def reset_wait(headers: Mapping[str, str] | None) -> float | None:
    """Seconds until the exhausted window of a 429 resets (the longest, if both are)."""
    if headers is None:
        return None
    found = windows(headers)
    exhausted = [w.reset_in() for w in found.values() if w.remaining == 0]
    resets = [r for r in exhausted if r is not None] or [
        r for w in found.values() if (r := w.reset_in()) is not None
    ]
    return max(resets) if resets else None


def headers_of(exc: BaseException) -> Mapping[str, str] | None:
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None)


def retry_wait(
    error: BackendError,
    exc: BaseException,
    attempt: int,
    *,
    max_retries: int,
    cap: float,
    retryable: tuple[type[BackendError], ...] = RETRYABLE,
) -> float | None:
    """Seconds to wait before retry number ``attempt + 1``, or None not to retry."""
    if not isinstance(error, retryable) or attempt >= max_retries:
        return None
    headers = headers_of(exc)
    asked = retry_after(headers)
    if asked is None and error.status == 429:
        asked = reset_wait(headers)
    if asked is not None and asked > 0:
        return min(asked, cap)
    backoff = BACKOFF_START * (2**attempt) * (1 - 0.25 * random.random())
    return min(backoff, cap)


class Pacer:
    """Spreads calls when the request window is nearly used up, until it resets.

    Fed by every response's headers (a transport hook, so 200s, 429s and streams all count).
    """

    def __init__(self, cap: float, threshold: int = PACE_BELOW) -> None:
        self.cap = cap
        self.threshold = threshold
        self.window: Window | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        found = windows(headers)
        if "request" in found:
            self.window = found["request"]

    def delay(self) -> float:
        window = self.window
        if window is None or window.remaining is None or window.remaining > self.threshold:
            return 0.0
        left = window.reset_in()
        if left is None or left == 0:
            return 0.0
        # Exhausted: wait for the reset (resets come in whole seconds: a margin). Nearly:
        # spread what is left over the time left.
        share = left + RESET_MARGIN if window.remaining <= 0 else left / (window.remaining + 1)
        if window.remaining > 0:
            window.remaining -= 1  # this call uses one; the next waits its own share
        return min(share, self.cap)

    async def wait(self, endpoint: str) -> None:
        if (pause := self.delay()) > 0:
            log.info("backend_paced", endpoint=endpoint, wait_s=round(pause, 2))
            await asyncio.sleep(pause)
