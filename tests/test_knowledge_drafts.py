"""A fiche with `status: draft` is validated but never served: not in the store, not in the
lexical index, not retrieved, never cited in a turn, for citizens and agents alike."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path

from chatbot.flows.status import Status
from chatbot.knowledge.check import scan
from chatbot.outbound import published
from chatbot.privacy import Pseudonymiser
from chatbot.roles import Role
from chatbot.services import Services
from chatbot.turn import Caller, TurnResult, run_turn
from tests.conftest import make_settings

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
BOTH = frozenset({"public", "agents"})
QUESTION = "Comment obtenir l'allocation zorglub pour mon vélo cargo ?"
FICHE = """---
title: Allocation zorglub
summary: L'allocation zorglub aide à acheter un vélo cargo.
source_url: https://www.service-public.fr/particuliers/vosdroits/F99999
updated: 2026-11-30
checked: 2026-11-30
{status}tags: [vélo, zorglub]
licence: Test
---
L'allocation zorglub aide à acheter un vélo cargo.

## Démarche
Demandez l'allocation zorglub pour votre vélo cargo en ligne sur le site de votre région.
"""


async def ask(services: Services, role: Role = Role.citizen) -> TurnResult:
    result = None
    async for event in run_turn(
        services,
        QUESTION,
        thread_id=uuid.uuid4().hex,
        privacy=Pseudonymiser(),
        caller=Caller(role=role),
    ):
        result = event
    assert isinstance(result, TurnResult)
    return result


def served(services: Services) -> set[str]:
    """Fiche ids anywhere a turn could read them: memory, lexical index, Chroma."""
    kb = services.kb
    ids = {c.fiche_id for c in kb.chunks.values()}
    ids |= {chunk_id.split("/")[1].split("#")[0] for chunk_id in kb.lexical._docs}
    for store in kb.stores.values():
        ids |= {c.fiche_id for c in store.all().values()}
    return ids


async def test_a_draft_is_never_served_until_published(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    path = folder / "public" / "zorglub.md"
    path.write_text(FICHE.format(status="status: draft\n"), encoding="utf-8")
    services = await Services.start(make_settings(tmp_path, knowledge_dir=folder))
    try:
        # Validated (no problem) and known as a draft, but nowhere a turn can read.
        result = scan(folder)
        assert "public/zorglub" in result.drafts and not result.problems
        assert "zorglub" not in served(services) and "apl" in served(services)
        hits = await services.kb.search(published(QUESTION), BOTH, 10)
        assert "zorglub" not in {h.fiche_id for h in hits}
        for role in (Role.citizen, Role.agent):
            answer = await ask(services, role)
            assert answer.status not in (Status.answered, Status.answered_excerpts), answer
            assert "zorglub" not in {s.id for s in answer.sources}

        # Published: served at the next sync (this is what makes the test above meaningful).
        path.write_text(FICHE.format(status=""), encoding="utf-8")
        await services.kb.sync()
        answer = await ask(services)
        assert answer.status == Status.answered_excerpts
        assert "zorglub" in {s.id for s in answer.sources}

        # Back to draft: withdrawn from every index at the next sync.
        path.write_text(FICHE.format(status="status: draft\n"), encoding="utf-8")
        await services.kb.sync()
        assert "zorglub" not in served(services)
        answer = await ask(services)
        assert "zorglub" not in {s.id for s in answer.sources}
    finally:
        await services.aclose()


async def test_the_running_app_never_shows_a_draft_then_shows_it_once_published(
    tmp_path: Path,
) -> None:
    from tests.chat_client import Chat
    from tests.conftest import AppServer

    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    path = folder / "public" / "zorglub.md"
    path.write_text(FICHE.format(status="status: draft\n"), encoding="utf-8")
    env = {
        "GUICHET_DATA_DIR": str(tmp_path / "data"),
        "GUICHET_KNOWLEDGE_DIR": str(folder),
        "GUICHET_BACKEND_URL": "",
        "GUICHET_API_KEY": "",
        "GUICHET_INSTANCE": "public",  # every visitor is a citizen, no login
    }
    server = AppServer(env, tmp_path)
    try:
        await asyncio.to_thread(server.wait_ready)
        chat = await Chat.open(server.url)
        try:
            shown = (await chat.ask(QUESTION))["output"]
            assert "F99999" not in shown and "Allocation zorglub" not in shown, shown
            # Published while the app runs: the watcher serves it within seconds.
            path.write_text(FICHE.format(status=""), encoding="utf-8")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "F99999" not in shown:
                await asyncio.sleep(1)
                shown = (await chat.ask(QUESTION))["output"]
            assert "F99999" in shown and "Allocation zorglub" in shown, shown
        finally:
            await chat.close()
    finally:
        server.stop()


async def test_only_a_throwaway_preview_index_serves_drafts(tmp_path: Path) -> None:
    from chatbot.knowledge.commands import scratch_kb

    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    (folder / "public" / "zorglub.md").write_text(
        FICHE.format(status="status: draft\n"), encoding="utf-8"
    )
    settings = make_settings(tmp_path, knowledge_dir=folder)
    for serve_drafts in (False, True):
        async with scratch_kb(settings, serve_drafts=serve_drafts) as kb:
            hits = await kb.search(published(QUESTION), BOTH, 3)
            assert (hits[0].fiche_id == "zorglub") is serve_drafts
    # The preview wrote nothing where the served index lives.
    assert not (tmp_path / "data").exists()
