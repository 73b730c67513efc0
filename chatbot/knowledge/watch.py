"""Live re-sync: watch the knowledge folder and sync after each burst of edits.

The watcher knows only a folder and a sync callback, so the knowledge base imports it and
never the other way round.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import awatch

from chatbot.knowledge.models import SyncReport
from chatbot.logs import get_logger

log = get_logger("guichet.knowledge.watch")

DEBOUNCE_MS = 300


async def watch(
    folder: Path,
    sync: Callable[[], Awaitable[SyncReport]],
    stop: asyncio.Event | None = None,
) -> None:
    """Call `sync` after every burst of changes under `folder` until `stop` is set. A bad
    file keeps its last good version (sync skips it) and a failed sync never stops the
    watcher."""
    if not folder.is_dir():
        log.error("kb_watch_folder_missing")
        return
    log.info("kb_watch_started")
    async for changes in awatch(
        folder, stop_event=stop, debounce=DEBOUNCE_MS, step=50, recursive=True
    ):
        log.info("kb_change_detected", files=len(changes))
        try:
            report = await sync()
        except Exception as exc:  # keep serving the last good state; try again next change
            log.error("kb_resync_failed", error=type(exc).__name__)
            continue
        for problem in report.errors:
            log.warning(
                "kb_file_skipped", path=problem.path, line=problem.line, problem=problem.message
            )
    log.info("kb_watch_stopped")
