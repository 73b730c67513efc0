"""Live re-sync: watch the knowledge folder and sync after each burst of edits."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from watchfiles import awatch

from chatbot.logs import get_logger

if TYPE_CHECKING:
    from chatbot.knowledge.base import KnowledgeBase

log = get_logger("guichet.knowledge.watch")

DEBOUNCE_MS = 300


async def watch(kb: KnowledgeBase, stop: asyncio.Event | None = None) -> None:
    """Re-sync on every change until `stop` is set. A bad file keeps its last good version
    (sync skips it) and a failed sync never stops the watcher."""
    folder = kb.settings.knowledge_dir
    if not folder.is_dir():
        log.error("kb_watch_folder_missing")
        return
    log.info("kb_watch_started")
    async for changes in awatch(
        folder, stop_event=stop, debounce=DEBOUNCE_MS, step=50, recursive=True
    ):
        log.info("kb_change_detected", files=len(changes))
        try:
            report = await kb.sync()
        except Exception as exc:  # keep serving the last good state; try again next change
            log.error("kb_resync_failed", error=type(exc).__name__)
            continue
        for problem in report.errors:
            log.warning(
                "kb_file_skipped", path=problem.path, line=problem.line, problem=problem.message
            )
    log.info("kb_watch_stopped")
