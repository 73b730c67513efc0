"""Conversation memory (LangGraph checkpoints): which session may use which, and its deletion.

The checkpointer is keyed by a ``key`` the server makes (``new_key``), never by the thread id
a browser sends. ``guichet_memory`` (``schema.memory``) records each key: whose it is, the
Chainlit thread it belongs to (agents), and when it was last used. So:

- a citizen's memory is one key per visit, deleted when the visit ends and swept after
  ``CITIZEN_MEMORY_MAX_IDLE`` (a crash or a restart loses no deletion);
- an agent's memory follows their own stored thread, found again when they resume it;
- retention (``chatbot.store.retention``) deletes checkpoints by age, by user and by thread,
  and any checkpoint that no key accounts for.

    registry = MemoryRegistry(settings, checkpointer)
    await registry.touch(key, kind="agent", user="agent.martin", thread_id=thread_id)
    await registry.forget(key)
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from chatbot.logs import get_logger
from chatbot.store.schema import (
    create_tables,
    database_url,
    make_engine,
    memory,
    utc_timestamp,
)

if TYPE_CHECKING:
    from chatbot.settings import Settings

log = get_logger("guichet.memory")

CITIZEN = "citizen"
AGENT = "agent"

# A citizen's memory is deleted when their visit ends (Chainlit's session timeout, one hour,
# or at once on "new conversation"); the sweep (every ``services.SWEEP_EVERY_S``, five
# minutes) deletes any left idle this long, so none outlives two hours without a message even
# when a process stopped before it could delete. chainlit.md says so.
CITIZEN_MEMORY_MAX_IDLE = timedelta(minutes=115)
# How stale a memory's last use may be recorded (well under the idle time above).
TOUCH_EVERY_S = 60.0

# LangGraph's checkpoint tables, per database.
CHECKPOINT_TABLES = {
    "sqlite": ("checkpoints", "writes"),
    "postgresql": ("checkpoints", "checkpoint_writes", "checkpoint_blobs"),
}


def _storage_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [SQLAlchemyError, sqlite3.Error]
    try:
        import psycopg
        import psycopg_pool

        errors += [psycopg.Error, psycopg_pool.PoolTimeout]
    except ImportError:  # PostgreSQL extras not installed
        pass
    return tuple(errors)


# What a database outage raises through the checkpointer or our own queries.
STORAGE_ERRORS = _storage_errors()


def new_key(kind: str) -> str:
    """A fresh memory key; nothing the browser sends goes into it."""
    return f"{kind}-{uuid.uuid4().hex}"


def checkpoint_url(settings: Settings) -> str:
    """SQLAlchemy URL of the database holding the checkpoints (see ``services``)."""
    if settings.postgres_url:
        return database_url(settings)
    return f"sqlite+aiosqlite:///{Path(settings.sqlite_path).resolve()}"


# ------------------------------------------------------------------------ checkpoint tables


async def _checkpoint_tables(conn: Any) -> list[str]:
    names = CHECKPOINT_TABLES.get(conn.dialect.name, ())
    present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    return [name for name in names if name in present]


async def checkpoint_keys(conn: Any) -> set[str]:
    """Every thread id that has a checkpoint or a pending write."""
    keys: set[str] = set()
    for table in await _checkpoint_tables(conn):
        result = await conn.execute(text(f"SELECT DISTINCT thread_id FROM {table}"))
        keys.update(str(key) for (key,) in result)
    return keys


async def delete_checkpoints(conn: Any, keys: Iterable[str]) -> int:
    """Delete every checkpoint, blob and write of these keys; return how many keys had some."""
    wanted = set(keys)
    if not wanted:
        return 0
    tables = await _checkpoint_tables(conn)
    found = len(wanted & await checkpoint_keys(conn)) if tables else 0
    keys = sorted(wanted)
    for table in tables:
        query = text(f"DELETE FROM {table} WHERE thread_id IN :keys").bindparams(
            bindparam("keys", expanding=True)
        )
        for start in range(0, len(keys), 500):
            await conn.execute(query, {"keys": keys[start : start + 500]})
    return found


async def forget_keys(settings: Settings, data_engine: AsyncEngine, keys: set[str]) -> int:
    """Delete the checkpoints of ``keys`` and every checkpoint no memory row accounts for
    (older releases keyed memory by the browser's thread id; nobody can reach those)."""
    same_database = bool(settings.postgres_url)
    if not same_database and not Path(settings.sqlite_path).exists():
        return 0
    engine = data_engine if same_database else make_engine(checkpoint_url(settings))
    try:
        # Checkpoints first, rows second: a conversation starting meanwhile records its row
        # before its first checkpoint, so it is never taken for an orphan.
        async with engine.connect() as conn:
            present = await checkpoint_keys(conn)
        async with data_engine.connect() as conn:
            known = {key for (key,) in await conn.execute(select(memory.c.key))}
        async with engine.begin() as conn:
            return await delete_checkpoints(conn, (keys | present) - known)
    finally:
        if engine is not data_engine:
            await engine.dispose()


# ------------------------------------------------------------------------ the running app


class MemoryRegistry:
    """The app's side of ``guichet_memory``: record keys as they are used, delete them."""

    def __init__(self, settings: Settings, checkpointer: Any) -> None:
        self.engine = make_engine(database_url(settings))
        self.checkpointer = checkpointer
        self._touched: dict[str, float] = {}  # key -> when this process last recorded it

    async def setup(self) -> None:
        await create_tables(self.engine)

    async def touch(
        self, key: str, *, kind: str, user: str | None = None, thread_id: str | None = None
    ) -> None:
        """Record that ``key`` is used now; before the turn writes any checkpoint, so that
        retention always finds it. A key recorded less than ``TOUCH_EVERY_S`` ago is not
        written again: retention counts in hours and days, and a write per turn was a
        database transaction per message (``chatbot bench load``)."""
        seen = time.monotonic()
        if seen - self._touched.get(key, -TOUCH_EVERY_S) < TOUCH_EVERY_S:
            return
        now = utc_timestamp()
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    'INSERT INTO guichet_memory ("key", "kind", "userIdentifier", "threadId", '
                    '"createdAt", "lastAt") VALUES (:key, :kind, :user, :thread, :now, :now) '
                    'ON CONFLICT ("key") DO UPDATE SET "lastAt" = :now'
                ),
                {"key": key, "kind": kind, "user": user, "thread": thread_id, "now": now},
            )
        if len(self._touched) > 100_000:  # forgotten visits: keep the map small
            self._touched.clear()
        self._touched[key] = seen

    async def find(self, user: str, thread_id: str, *, kind: str = AGENT) -> str | None:
        """The memory of this user's thread, if they have one (API conversations of a
        citizen key are ``CITIZEN`` memories: swept like a visit's)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(memory.c.key)
                    .where(
                        (memory.c.kind == kind)
                        & (memory.c.userIdentifier == user)
                        & (memory.c.threadId == thread_id)
                    )
                    .order_by(memory.c.lastAt.desc())
                    .limit(1)
                )
            ).first()
        return row[0] if row else None

    async def forget(self, key: str) -> None:
        """Delete one memory: its checkpoints first, then its row."""
        self._touched.pop(key, None)
        await self.checkpointer.adelete_thread(key)
        async with self.engine.begin() as conn:
            await conn.execute(memory.delete().where(memory.c.key == key))

    async def sweep(self, max_idle: timedelta = CITIZEN_MEMORY_MAX_IDLE) -> int:
        """Delete citizens' memories idle for longer than ``max_idle``."""
        cutoff = utc_timestamp(datetime.now(UTC) - max_idle)
        async with self.engine.connect() as conn:
            keys = [
                key
                for (key,) in await conn.execute(
                    select(memory.c.key).where(
                        (memory.c.kind == CITIZEN) & (memory.c.lastAt < cutoff)
                    )
                )
            ]
        for key in keys:
            await self.forget(key)
        if keys:
            log.info("memory_swept", memories=len(keys))
        return len(keys)

    async def aclose(self) -> None:
        await self.engine.dispose()
