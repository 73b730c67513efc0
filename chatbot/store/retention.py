"""Retention and erasure (GDPR): every copy of a conversation goes, files and conversation
memory (LangGraph checkpoints, ``chatbot.store.memory``) included.

await purge_older_than(settings, days=30)   # conversations and memories idle for 30 days,
                                            # old signals
await erase_user(settings, "agent.martin")  # one user and everything of theirs
Both reach agents' uploaded documents too (``chatbot.documents``, in Chroma).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import false, func, select

from chatbot.logs import get_logger
from chatbot.store.files import LocalStorageClient, StorageKeyError
from chatbot.store.memory import forget_keys
from chatbot.store.schema import (
    cutoff_timestamp,
    database_url,
    elements,
    feedbacks,
    memory,
    open_engine,
    signals,
    steps,
    threads,
    users,
)

if TYPE_CHECKING:
    from chatbot.settings import Settings

log = get_logger("guichet.persistence")


def _documents(settings: Settings) -> Any:
    """Agents' uploaded documents live in Chroma (chatbot.documents), not in SQL."""
    from chatbot.documents import Documents
    from chatbot.knowledge.store import make_client

    return Documents(settings, make_client(settings))


async def _delete_threads(conn: Any, thread_ids: list[str]) -> list[str]:
    """Delete threads and everything under them; return the object keys of their files."""
    keys: list[str] = []
    for start in range(0, len(thread_ids), 500):
        chunk = thread_ids[start : start + 500]
        result = await conn.execute(
            elements.select()
            .with_only_columns(elements.c.objectKey)
            .where(elements.c.threadId.in_(chunk))
        )
        keys.extend(key for (key,) in result if key)
        step_ids = steps.select().with_only_columns(steps.c.id).where(steps.c.threadId.in_(chunk))
        await conn.execute(
            feedbacks.delete().where(
                feedbacks.c.threadId.in_(chunk) | feedbacks.c.forId.in_(step_ids)
            )
        )
        await conn.execute(elements.delete().where(elements.c.threadId.in_(chunk)))
        await conn.execute(steps.delete().where(steps.c.threadId.in_(chunk)))
        await conn.execute(threads.delete().where(threads.c.id.in_(chunk)))
    return keys


async def _remove_files(settings: Settings, keys: list[str]) -> int:
    storage = LocalStorageClient(Path(settings.data_dir) / "files", url_prefix="")
    removed = 0
    for key in keys:
        removed += bool(await storage.delete_file(key))
    return removed


async def _take_memory_rows(conn: Any, where: Any) -> set[str]:
    """Delete the memory rows matching ``where``; return their keys (checkpoints go next)."""
    keys = {key for (key,) in await conn.execute(select(memory.c.key).where(where))}
    if keys:
        await conn.execute(memory.delete().where(where))
    return keys


async def purge_older_than(settings: Settings, days: float) -> dict[str, int]:
    """Delete conversations whose last activity is older than ``days`` days, conversation
    memories unused for that long (and those of purged conversations, and any that no row
    accounts for), and citizens' anonymous signals older than that."""
    if days < 0:
        raise ValueError("days must be >= 0")
    cutoff = cutoff_timestamp(days)
    async with open_engine(database_url(settings)) as engine:
        async with engine.begin() as conn:
            last_step = (
                select(steps.c.threadId, func.max(steps.c.createdAt).label("last"))
                .group_by(steps.c.threadId)
                .subquery()
            )
            activity = func.coalesce(last_step.c.last, threads.c.createdAt)
            query = (
                select(threads.c.id)
                .select_from(threads.outerjoin(last_step, last_step.c.threadId == threads.c.id))
                .where(activity < cutoff)
            )
            old = [row[0] for row in await conn.execute(query)]
            keys = await _delete_threads(conn, old)
            # Feedback whose step is gone (e.g. a step deleted by Chainlit) is not kept either.
            orphans = await conn.execute(
                feedbacks.delete().where(~feedbacks.c.forId.in_(select(steps.c.id)))
            )
            old_signals = await conn.execute(signals.delete().where(signals.c.createdAt < cutoff))
            memory_keys = await _take_memory_rows(
                conn,
                (memory.c.lastAt < cutoff) | (memory.c.threadId.in_(old) if old else false()),
            )
        memories = await forget_keys(settings, engine, memory_keys)
        files = await _remove_files(settings, keys)
    documents = await asyncio.to_thread(_documents(settings).purge_older_than, days)
    log.info(
        "retention.purged",
        documents=documents,
        threads=len(old),
        files=files,
        signals=old_signals.rowcount or 0,
        memories=memories,
        days=days,
    )
    return {
        "threads": len(old),
        "files": files,
        "orphan_feedbacks": orphans.rowcount or 0,
        "signals": old_signals.rowcount or 0,
        "memories": memories,
        "documents": documents,
    }


async def erase_user(settings: Settings, identifier: str) -> dict[str, int]:
    """GDPR erasure: the user, their conversations, feedback, files and conversation memory.
    Citizens' anonymous signals name nobody, so there is nothing of a user's among them."""
    async with open_engine(database_url(settings)) as engine:
        async with engine.begin() as conn:
            user_ids = [
                row[0]
                for row in await conn.execute(
                    select(users.c.id).where(users.c.identifier == identifier)
                )
            ]
            owned = await conn.execute(
                select(threads.c.id).where(
                    (threads.c.userIdentifier == identifier)
                    | (threads.c.userId.in_(user_ids) if user_ids else false())
                )
            )
            thread_ids = [row[0] for row in owned]
            keys = await _delete_threads(conn, thread_ids)
            deleted_users = await conn.execute(
                users.delete().where(users.c.identifier == identifier)
            )
            memory_keys = await _take_memory_rows(
                conn,
                (memory.c.userIdentifier == identifier)
                | (memory.c.threadId.in_(thread_ids) if thread_ids else false()),
            )
        memories = await forget_keys(settings, engine, memory_keys)
        files = await _remove_files(settings, keys)
        # Files of the erased threads whose element rows were already gone.
        storage = LocalStorageClient(Path(settings.data_dir) / "files", url_prefix="")
        for thread_id in thread_ids:
            try:
                folder = storage.path_for(thread_id)
            except StorageKeyError:
                continue
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
    documents = await asyncio.to_thread(_documents(settings).erase, identifier)
    log.info(
        "retention.erased",
        documents=documents,
        users=deleted_users.rowcount or 0,
        threads=len(thread_ids),
        memories=memories,
    )
    return {
        "users": deleted_users.rowcount or 0,
        "threads": len(thread_ids),
        "files": files,
        "memories": memories,
        "documents": documents,
    }
