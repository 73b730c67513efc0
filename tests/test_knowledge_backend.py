"""Retrieval with the backend's embeddings and rerank, over real HTTP to the Albert double,
and the offline fallback when the backend fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import structlog

from chatbot.backend import Backend
from chatbot.fake_albert import FakeAlbert
from chatbot.knowledge import KnowledgeBase
from chatbot.outbound import published
from chatbot.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
PUBLIC = frozenset({"public"})


def settings_for(tmp_path: Path, double: FakeAlbert) -> Settings:
    shutil.copytree(FIXTURES / "good", tmp_path / "knowledge")
    return Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "knowledge",
        backend_url=double.url,
        api_key=double.api_key,
        timeout=5,
        connect_timeout=2,
        max_retries=0,
        _env_file=None,
    )


async def test_backend_embeddings_and_rerank_are_used_and_kept_apart(
    tmp_path: Path, double: FakeAlbert
) -> None:
    settings = settings_for(tmp_path, double)
    backend = Backend(settings)
    try:
        kb = KnowledgeBase.open(settings, backend)
        report = await kb.sync()
        # Both spaces are filled: offline (the fallback) and the backend model's.
        assert report.embedded == 2 * len(kb.chunks)
        assert set(kb.stores) == {"offline-h1024-v1", "backend-embeddings-small"}
        sent = " ".join(double.sent_texts())
        assert "attestation de loyer" in sent  # fiche text went out for embedding

        double.reset()
        assert (await kb.sync()).embedded == 0
        assert not [p for p in double.paths() if p.endswith("/embeddings")]

        hits = await kb.search(published("combien coûte un passeport"), PUBLIC, 3)
        assert hits[0].fiche_id == "passeport"
        assert all(0.0 <= h.score <= 1.0 for h in hits)
        paths = double.paths()
        assert any(p.endswith("/embeddings") for p in paths)
        assert any(p.endswith("/rerank") for p in paths)
        # The rerank never sees an agents chunk for a public caller.
        assert "quetzalcoatl" not in " ".join(double.sent_texts()).lower()
    finally:
        await backend.aclose()


async def test_search_falls_back_offline_when_the_backend_fails(
    tmp_path: Path, double: FakeAlbert
) -> None:
    settings = settings_for(tmp_path, double)
    backend = Backend(settings)
    try:
        kb = KnowledgeBase.open(settings, backend)
        await kb.sync()
        double.inject("403", times=10, path="/embeddings")
        double.inject("403", times=10, path="/rerank")
        with structlog.testing.capture_logs() as logs:
            hits = await kb.search(published("j'ai perdu mon permis de conduire"), PUBLIC, 3)
        assert hits and hits[0].fiche_id == "permis-de-conduire"
        degraded = [e for e in logs if e["event"] == "kb_search_degraded"]
        assert {e["reason"] for e in degraded} == {"embeddings", "rerank"}
        assert "permis" not in repr(degraded)  # logs carry no text

        # A sync while the backend is down still updates the offline space.
        path = settings.knowledge_dir / "public" / "apl.md"
        path.write_text(path.read_text(encoding="utf-8") + "\nMot nouveau : zéphyrine.\n")
        double.inject("503", times=10, path="/embeddings")
        report = await kb.sync()
        assert report.updated == 1
        assert (await kb.search(published("zéphyrine"), PUBLIC, 1))[0].fiche_id == "apl"
    finally:
        await backend.aclose()
