"""The running knowledge base follows edits to the folder without a restart."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

from chatbot.knowledge import KnowledgeBase
from chatbot.outbound import published
from chatbot.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
PUBLIC = frozenset({"public"})


async def wait_for(condition, deadline_s: float = 20.0) -> bool:
    """Poll an async condition until it holds or the deadline passes (no timing asserted)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_watcher_serves_an_edit_and_keeps_the_last_good_version(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    settings = Settings(
        data_dir=tmp_path / "data", knowledge_dir=folder, backend_url="", _env_file=None
    )
    kb = KnowledgeBase.open(settings)
    await kb.sync()
    stop = asyncio.Event()
    task = asyncio.create_task(kb.watch(stop))
    try:
        await asyncio.sleep(0.5)  # let the watcher start before the first edit
        path = folder / "public" / "passeport.md"
        original = path.read_text(encoding="utf-8")

        async def sees(word: str) -> bool:
            hits = await kb.search(published("prix du timbre fiscal passeport"), PUBLIC, 3)
            return any(word in h.text for h in hits)

        path.write_text(original.replace("86 euros", "91 euros"), encoding="utf-8")
        assert await wait_for(lambda: sees("91 euros")), "the edit was not picked up"

        # A new fiche appears too.
        (folder / "public" / "nouvelle.md").write_text(
            original.replace("title: Passeport", "title: Fiche xenodochium"), encoding="utf-8"
        )

        async def has_new() -> bool:
            hits = await kb.search(published("xenodochium"), PUBLIC, 1)
            return bool(hits) and hits[0].fiche_id == "nouvelle"

        assert await wait_for(has_new)

        # A broken edit is reported and the previous version keeps answering.
        path.write_text(original.replace("updated: 2026-10-15", "updated: hier"), encoding="utf-8")

        async def reported() -> bool:
            scan = kb.last_scan
            return scan is not None and any(p.path == "public/passeport.md" for p in scan.errors)

        assert await wait_for(reported)
        assert await sees("91 euros")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
