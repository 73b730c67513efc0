"""Login sessions that end when they should: logout, a removed user, a changed password or role.

Chainlit's session is a signed token (JWT) valid for ``user_session_timeout`` whatever happens
on the server. Three checks, run by :mod:`chatbot.web.shield` on every HTTP request, socket
connection and socket frame, make it end earlier:

- **logout**: ``POST /logout`` records a digest of the token in ``revoked_tokens`` (the
  database every server process shares: SQLite in the data folder or PostgreSQL), kept until
  the token would have expired anyway;
- **user removed** (``chatbot users remove``): a password login is valid only while its user is
  still in the users file (re-read when it changes, so every process sees it);
- **password or role changed** (``chatbot users add --replace``): the record's
  ``sessions_after`` invalidates tokens issued before it, and a token whose role differs from
  the file's is refused.

The identity of whoever sent the current request is kept in :data:`requester` for code that
runs outside a Chainlit context (the data layer under Chainlit's ``/feedback`` route).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import os
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, MetaData, String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from chatbot.logs import get_logger

log = get_logger("guichet.sessions")

# Seconds a "still valid" answer is reused within one process: bounds the cost of a check on
# every socket frame; a revocation takes effect everywhere within this delay.
CHECK_TTL = 1.0
_CACHE_SIZE = 10_000

_metadata = MetaData()
revoked_tokens = Table(
    "guichet_revoked_tokens",
    _metadata,
    Column("digest", String(64), primary_key=True),
    Column("expires_at", Float, nullable=False),
)


@dataclass(frozen=True)
class Requester:
    """Who sent the request being served (decoded from its valid, unrevoked token)."""

    identifier: str
    role: str | None


requester: contextvars.ContextVar[Requester | None] = contextvars.ContextVar(
    "guichet_requester", default=None
)


def current_requester() -> Requester | None:
    return requester.get()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RevocationStore:
    """Digests of logged-out tokens, in the shared database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Any = None
        self._ready = False
        self._lock = asyncio.Lock()
        self._cache: OrderedDict[str, tuple[float, bool]] = OrderedDict()

    async def _engine_ready(self) -> Any:
        if self._ready:
            return self._engine
        async with self._lock:
            if not self._ready:
                from chatbot.store.schema import ensure_tables, make_engine

                self._engine = make_engine(self.url)
                await ensure_tables(self._engine, _metadata)
                self._ready = True
        return self._engine

    async def revoke(self, token: str, expires_at: float) -> None:
        digest = token_digest(token)
        engine = await self._engine_ready()
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(revoked_tokens).values(digest=digest, expires_at=expires_at)
        async with engine.begin() as conn:
            await conn.execute(insert.on_conflict_do_nothing(index_elements=["digest"]))
            expired = revoked_tokens.c.expires_at < time.time()
            await conn.execute(delete(revoked_tokens).where(expired))
        self._cache[digest] = (time.monotonic(), True)

    async def is_revoked(self, token: str) -> bool:
        digest = token_digest(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and (cached[1] or now - cached[0] < CHECK_TTL):
            return cached[1]
        try:
            engine = await self._engine_ready()
            async with engine.connect() as conn:
                row = await conn.execute(
                    select(revoked_tokens.c.digest).where(revoked_tokens.c.digest == digest)
                )
                revoked = row.first() is not None
        except SQLAlchemyError as exc:
            # Fail closed for a token we cannot check: the visitor logs in again later.
            log.error("revocation_check_failed", error=type(exc).__name__)
            return True
        self._cache[digest] = (now, revoked)
        self._cache.move_to_end(digest)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return revoked


def password_session_problem(claims: dict[str, Any], users_path: Path) -> str | None:
    """Why a password login's token no longer stands (user removed, role or password changed)."""
    from chatbot.web.auth import user_store

    metadata = claims.get("metadata") or {}
    if not isinstance(metadata, dict) or metadata.get("provider") != "password":
        return None
    record = user_store(users_path).find(str(claims.get("identifier") or ""))
    if record is None:
        return "user_removed"
    if str(record.role) != metadata.get("role"):
        return "role_changed"
    issued = claims.get("iat")
    if record.sessions_after is not None and (
        not isinstance(issued, (int, float)) or issued <= record.sessions_after
    ):
        return "password_changed"
    return None


def ensure_secret_file(path: Path) -> str:
    """The session-signing secret in ``path``, created readable by its owner only from the
    first byte (no window where another local user could read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()
