"""Rate limits, one place for all of them: API keys, anonymous citizens' chat messages and
widget tokens (per IP), and password logins (per IP and per username).

Counted by the ``limits`` library (moving window) in ``GUICHET_RATE_LIMIT_STORAGE``:
``memory://`` (one process) by default, ``redis://host:6379`` to share the counts between
processes and machines. If Redis cannot be reached, counting goes on in this process's memory
(logged once per outage, retried every ``RETRY_SHARED_S``): a Redis outage never stops the
service nor crashes a request.

    limiter = shared_limiter()                       # one per process and storage URL
    verdict = await limiter.hit("30/minute", "chat-ip", ip)
    if not verdict.allowed: ... verdict.retry_after  # seconds, for Retry-After
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from chatbot.logs import get_logger

log = get_logger("guichet.limits")

RETRY_SHARED_S = 5.0  # after a Redis failure, local counting for this long, then retry
REDIS_TIMEOUT_S = 0.5  # a stuck Redis must not hold a request for long
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "valkey://")

TOO_MANY_MESSAGES = (
    "Vous envoyez trop de messages. Patientez {seconds} secondes avant d'écrire à nouveau."
)
TOO_MANY_REQUESTS = "Trop de requêtes. Réessayez dans {seconds} secondes."


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until one more request is allowed (when refused)


class Limiter:
    """A moving-window limiter on the configured storage, with a local fallback."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        uri = storage_uri.strip().removeprefix("async+")
        self.uri = uri
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared: MovingWindowRateLimiter | None = None
        if uri.startswith(_REDIS_SCHEMES):
            storage = storage_from_string(
                "async+" + uri,
                implementation="redispy",
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
            )
            self.shared = MovingWindowRateLimiter(storage)
        elif not uri.startswith("memory://"):
            self.shared = MovingWindowRateLimiter(storage_from_string("async+" + uri))
        self._down_until = 0.0
        self._down = False

    @property
    def is_shared(self) -> bool:
        return self.shared is not None and not self._down

    async def hit(self, rate: str | RateLimitItem, namespace: str, *ids: str) -> Verdict:
        item = parse(rate) if isinstance(rate, str) else rate
        if self.shared is not None and time.monotonic() >= self._down_until:
            try:
                verdict = await self._hit(self.shared, item, namespace, *ids)
            except Exception as exc:  # StorageError, timeouts, anything from the client
                self._storage_failed(exc)
            else:
                if self._down:
                    self._down = False
                    log.info("rate_limit_storage_back", storage=_safe(self.uri))
                return verdict
        return await self._hit(self.local, item, namespace, *ids)

    @staticmethod
    async def _hit(
        limiter: MovingWindowRateLimiter, item: RateLimitItem, namespace: str, *ids: str
    ) -> Verdict:
        if await limiter.hit(item, namespace, *ids):
            return Verdict(True)
        stats = await limiter.get_window_stats(item, namespace, *ids)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))

    def _storage_failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + RETRY_SHARED_S
        if not self._down:  # once per outage, not once per request
            self._down = True
            log.warning(
                "rate_limit_storage_unreachable",
                storage=_safe(self.uri),
                error=type(exc).__name__,
                fallback="memory",
            )


def _safe(uri: str) -> str:
    """The storage URL without a password."""
    scheme, sep, rest = uri.partition("://")
    return scheme + sep + rest.rpartition("@")[2]


def shared_limiter(storage_uri: str | None = None) -> Limiter:
    """The process's limiter for ``storage_uri`` (default: ``GUICHET_RATE_LIMIT_STORAGE``):
    one per storage, so every limit shares its connection and its fallback."""
    return _limiter_for((storage_uri or _configured_storage()).strip())


@lru_cache(maxsize=1)
def _configured_storage() -> str:
    # Read once: a chat message must not re-read the environment and .env.
    from chatbot.web.auth import get_auth_settings

    return get_auth_settings().rate_limit_storage


@lru_cache(maxsize=4)
def _limiter_for(storage_uri: str) -> Limiter:
    return Limiter(storage_uri)


def client_ip(scope: dict) -> str:
    """The caller's address as uvicorn sets it (``X-Forwarded-For`` from a trusted proxy,
    ``FORWARDED_ALLOW_IPS``), else "unknown"."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
