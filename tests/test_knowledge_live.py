"""A fiche edited while the app runs: the next answer reflects the edit, no restart."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path

from chatbot.fake_albert import FakeAlbert
from chatbot.privacy import Pseudonymiser
from chatbot.services import Services
from chatbot.turn import ask
from tests.conftest import make_settings

FIXTURES = Path(__file__).parent / "fixtures" / "kb"


async def test_an_edited_fiche_answers_without_a_restart(
    tmp_path: Path, double: FakeAlbert
) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    settings = make_settings(tmp_path, double, knowledge_dir=folder, watch_knowledge=True)
    services = await Services.start(settings, watch=True)
    try:

        async def answer() -> str:
            result = await ask(
                services,
                "Combien coûte le timbre fiscal du passeport ?",
                thread_id=uuid.uuid4().hex,
                privacy=Pseudonymiser(),
            )
            return result.answer

        assert "86 euros" in await answer()
        await asyncio.sleep(0.5)  # the watcher is running
        path = folder / "public" / "passeport.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace("86 euros", "96 euros"), encoding="utf-8"
        )
        deadline = time.monotonic() + 20
        latest = ""
        while time.monotonic() < deadline:
            latest = await answer()
            if "96 euros" in latest:
                break
            await asyncio.sleep(0.2)
        assert "96 euros" in latest and "86 euros" not in latest
    finally:
        await services.aclose()
