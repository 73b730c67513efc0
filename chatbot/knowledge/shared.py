"""One process's view of a knowledge base that several processes serve.

The process holding the sync lock (``chatbot.knowledge.leader``) is the **syncer**: it syncs
the folder into the store at start and after every edit (the watcher), and publishes a new
knowledge version after each sync that changed something. Every other process is a
**reader**: it never writes the store; once a second it compares the published version with
the one it loaded and, when it differs, builds a complete new ``KnowledgeBase`` from the
store (chunk table, lexical index, fresh Chroma handles) off the event loop, then swaps it
in with one assignment. A turn holds the ``KnowledgeBase`` it started with, so it never
reads half of one version and half of another. A reader also tries the lock every few
seconds: when the syncer dies, another process takes over.

Why a new Chroma client: an embedded (PersistentClient) Chroma keeps its vector index in
the memory of each process and does not reload it when another process writes (measured
with chromadb 1.5: the other process's ``count()`` and ``get()`` see a new row, its
``query()`` does not, until the client is opened again).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.leader import KnowledgeLock, VersionCheck, publish_version
from chatbot.knowledge.models import SyncReport
from chatbot.knowledge.watch import watch as watch_folder
from chatbot.logs import get_logger
from chatbot.settings import Settings

log = get_logger("guichet.knowledge.shared")

CHECK_EVERY_S = 1.0  # a reader looks for a new version this often
TAKEOVER_EVERY_S = 5.0  # a reader tries to become the syncer this often


def changed(report: SyncReport) -> bool:
    return bool(report.added or report.updated or report.removed or report.moved)


def fresh_client(settings: Settings) -> Any:
    """A Chroma client that reads the store as it is now, not as this process cached it."""
    from chatbot.knowledge.store import make_client

    if not settings.chroma_url:
        from chromadb.api.client import SharedSystemClient

        # Forget the cached system (the one in use keeps working for turns that hold it).
        SharedSystemClient.clear_system_cache()
    return make_client(settings)


class SharedKnowledge:
    """Keeps ``self.kb`` current, as the syncer or as a reader."""

    def __init__(self, settings: Settings, backend: Any = None) -> None:
        self.settings = settings
        self.backend = backend
        self.lock = KnowledgeLock(settings)
        self.versions: VersionCheck | None = None
        self.kb: KnowledgeBase | None = None
        self.reloads = 0  # versions loaded after start (for tests and metrics)
        self.last_sync: float | None = None  # time.time() of the last sync or reload
        self._task: asyncio.Task | None = None

    @property
    def is_syncer(self) -> bool:
        return self.lock.held

    async def open(self, *, sync: bool = True, hold: bool = False) -> KnowledgeBase:
        """Open the store; sync it first if this process gets the lock.

        ``hold``: keep the lock after the first sync (a server: this process stays the syncer
        until it stops). A one-shot command releases it at once.
        """
        # Read the version before the store: a version published during the open is seen
        # as a change at the next check, never missed.
        self.versions = await asyncio.to_thread(VersionCheck, self.settings)
        self.kb = await asyncio.to_thread(KnowledgeBase.open, self.settings, self.backend)
        if sync and await asyncio.to_thread(self.lock.try_acquire):
            try:
                await self._sync()
            finally:
                if not hold:
                    await asyncio.to_thread(self.lock.release)
        elif sync:
            log.info("kb_sync_skipped", reason="another process syncs", lock=self.lock.kind)
        self.last_sync = time.time()
        return self.kb

    async def _sync(self) -> SyncReport:
        assert self.kb is not None
        report = await self.kb.sync()
        self.last_sync = time.time()
        if changed(report):
            version = await asyncio.to_thread(publish_version, self.settings)
            if self.versions is not None:
                self.versions.loaded = version  # our own store is this version
        return report

    def start(self, *, watch: bool) -> None:
        """Run in the background: watch and sync as the syncer, or follow as a reader."""
        self._task = asyncio.create_task(self._run(watch))

    async def _run(self, watch: bool) -> None:
        while True:
            if self.is_syncer:
                await self._lead(watch)
                if self.is_syncer:
                    return  # not watching, or the folder is missing (the watcher said so)
                log.warning("kb_sync_lock_lost", lock=self.lock.kind)
                self.versions.loaded = ""  # type: ignore[union-attr]  # reload what is there
            await self._follow()
            # We took the lock over: catch up with edits made while nobody synced.
            log.info("kb_syncer_takeover")
            try:
                await self._sync()
            except Exception as exc:
                log.error("kb_resync_failed", error=type(exc).__name__)

    async def _lead(self, watch: bool) -> None:
        """Watch and sync while the lock is ours (a PostgreSQL restart drops it: then stop)."""
        watcher = (
            asyncio.create_task(watch_folder(self.settings.knowledge_dir, self._sync))
            if watch
            else None
        )
        try:
            while self.lock.kind == "postgres":
                await asyncio.sleep(TAKEOVER_EVERY_S)
                if watcher is not None and watcher.done():
                    break
                if not await asyncio.to_thread(self.lock.still_held):
                    await asyncio.to_thread(self.lock.release)
                    return
            if watcher is not None:
                await watcher
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()

    async def _follow(self) -> None:
        """Reload new versions until this process gets the lock."""
        next_try = time.monotonic() + TAKEOVER_EVERY_S
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            try:
                await self.refresh_if_changed()
            except Exception as exc:  # keep serving what we have; try again next round
                log.error("kb_reload_failed", error=type(exc).__name__)
            if time.monotonic() >= next_try:
                next_try = time.monotonic() + TAKEOVER_EVERY_S
                try:
                    if await asyncio.to_thread(self.lock.try_acquire):
                        return
                except Exception as exc:  # the database is down: stay a reader
                    log.warning("kb_lock_unavailable", error=type(exc).__name__)

    async def refresh_if_changed(self) -> bool:
        """Load the published version if it is not the one we serve; True if swapped."""
        if self.versions is None or self.is_syncer:
            return False
        version = await asyncio.to_thread(self.versions.changed)
        if version is None:
            return False
        started = time.perf_counter()
        fresh = await asyncio.to_thread(
            lambda: KnowledgeBase(self.settings, fresh_client(self.settings), self.backend)
        )
        self.kb = fresh  # one assignment: a turn sees the old base or the new one
        self.versions.loaded = version
        self.reloads += 1
        self.last_sync = time.time()
        log.info(
            "kb_reloaded",
            version=version,
            chunks=len(fresh.chunks),
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return True

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await asyncio.to_thread(self.lock.release)
        if self.versions is not None:
            self.versions.close()
