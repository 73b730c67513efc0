"""One process syncs the knowledge base, the others reload the version it publishes.

The lock is tested across real processes (a file lock, then a PostgreSQL advisory lock), and
the version swap on a real Chroma store.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.knowledge.leader import (
    KnowledgeLock,
    LockBusy,
    VersionCheck,
    current_version,
    publish_version,
    sync_lock,
)
from chatbot.knowledge.shared import SharedKnowledge
from chatbot.outbound import published
from tests.conftest import ROOT, make_settings
from tests.together import run_together

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
UNUSED_CHROMA = "http://127.0.0.1:9"  # names a shared store; never contacted by these tests
QUESTION = published("Combien coûte le timbre fiscal du passeport ?")

# Both processes open the same knowledge base at the same moment (a file tells them when),
# as the workers of ``chatbot serve --workers 2`` do; each says whether it synced.
CONTENDER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from pathlib import Path
    from chatbot.knowledge.shared import SharedKnowledge
    from chatbot.settings import Settings

    data, knowledge, go, postgres, chroma = sys.argv[1:6]
    settings = Settings(data_dir=data, knowledge_dir=knowledge, postgres_url=postgres,
                        chroma_url=chroma, _env_file=None)

    async def main():
        while not Path(go).exists():
            time.sleep(0.01)
        shared = SharedKnowledge(settings)
        await shared.open(sync=True, hold=True)
        print(json.dumps({"syncer": shared.is_syncer, "embedded": shared.kb.embed_calls,
                          "chunks": len(shared.kb.chunks)}), flush=True)
        time.sleep(1.5)  # hold the lock while the other one tries
        await shared.aclose()

    asyncio.run(main())
    """
)


OPENER = """
import sys
from chatbot.knowledge.base import KnowledgeBase
from chatbot.settings import Settings
from tests.together import wait_for_go

wait_for_go(sys.argv[-1])
KnowledgeBase.open(Settings(data_dir=sys.argv[1], knowledge_dir=sys.argv[2], _env_file=None))
"""


def test_processes_opening_a_new_embedded_store_together_all_open(tmp_path: Path) -> None:
    """Chroma creates its tables when a folder is first opened: workers starting together
    on a new data folder failed ("table collections already exists", "database is
    locked"). They take turns now."""
    shutil.copytree(FIXTURES / "good", tmp_path / "knowledge")
    for attempt in range(2):  # each round a new store: the race is at creation only
        data = tmp_path / f"data{attempt}"
        run_together(OPENER, [str(data), str(tmp_path / "knowledge")], 4, tmp_path / f"go{attempt}")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A Chroma server (``chroma run``), as machines that share the store use."""
    import httpx

    from tests.conftest import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chroma"),
            "run",
            "--path",
            str(tmp_path / "chroma-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "chroma run exited"
            time.sleep(0.3)
        else:
            pytest.fail("chroma run did not answer in 120 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def contend(tmp_path: Path, postgres: str = "", chroma: str = "") -> list[dict]:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [str(tmp_path / "data"), str(folder), str(go), postgres, chroma]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    time.sleep(2.0)  # both have imported and wait for the signal
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_processes_only_one_syncs(tmp_path: Path) -> None:
    results = contend(tmp_path)
    syncers = [r for r in results if r["syncer"]]
    assert len(syncers) == 1, results
    assert syncers[0]["embedded"] > 0  # it wrote the store
    reader = next(r for r in results if not r["syncer"])
    assert reader["embedded"] == 0  # the other one wrote nothing


def test_two_processes_only_one_syncs_on_postgres(
    tmp_path: Path, postgres_url: str, chroma_server: str
) -> None:
    """Machines sharing a Chroma server: the lock is PostgreSQL's (separate data folders)."""
    results = contend(tmp_path, postgres_url, chroma_server)
    assert sorted(r["syncer"] for r in results) == [False, True], results
    assert [r["embedded"] for r in results if not r["syncer"]] == [0]


def test_the_lock_is_freed_when_its_holder_dies(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from chatbot.knowledge.leader import KnowledgeLock;"
            "from chatbot.settings import Settings;"
            "lock = KnowledgeLock(Settings(data_dir=sys.argv[1], _env_file=None));"
            "print(lock.try_acquire(), flush=True); time.sleep(60)",
            str(settings.data_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        mine = KnowledgeLock(settings)
        assert not mine.try_acquire()
        with pytest.raises(LockBusy, match="another process holds the knowledge sync lock"):
            with sync_lock(settings, wait=0.3):
                pass
        holder.kill()  # a crash, not a clean release
        holder.wait()
        assert mine.try_acquire()
        mine.release()
    finally:
        holder.kill()
        holder.wait()


def test_advisory_lock_is_exclusive_and_freed_on_release(tmp_path: Path, postgres_url: str) -> None:
    settings = make_settings(tmp_path, postgres_url=postgres_url, chroma_url=UNUSED_CHROMA)
    first, second = KnowledgeLock(settings), KnowledgeLock(settings)
    assert first.kind == "postgres"
    assert first.try_acquire() and first.still_held()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_versions_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    settings = make_settings(tmp_path, postgres_url=postgres_url, chroma_url=UNUSED_CHROMA)
    assert current_version(settings) == ""
    check = VersionCheck(settings)
    assert check.changed() is None
    version = publish_version(settings)
    assert current_version(settings) == version
    assert check.changed() == version
    check.close()


async def test_a_reader_swaps_in_the_new_version_whole(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    settings = make_settings(tmp_path, knowledge_dir=folder)
    syncer, reader = SharedKnowledge(settings), SharedKnowledge(settings)
    try:
        await syncer.open(sync=True, hold=True)
        await reader.open(sync=True)
        assert syncer.is_syncer and not reader.is_syncer
        assert not await reader.refresh_if_changed()  # nothing new was published
        before = reader.kb
        assert before is not None

        path = folder / "public" / "passeport.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace("86 euros", "96 euros"), encoding="utf-8"
        )
        await syncer._sync()  # what the syncer's watcher does after an edit
        assert current_version(settings) == syncer.versions.loaded  # type: ignore[union-attr]

        assert await reader.refresh_if_changed()
        after = reader.kb
        assert after is not before and reader.reloads == 1
        hits = await after.search(QUESTION, frozenset({"public"}), k=1)
        assert "96 euros" in hits[0].text
        # A turn that started before the swap still reads one whole version: the old one.
        old_hits = await before.search(QUESTION, frozenset({"public"}), k=1)
        assert "86 euros" in old_hits[0].text
        assert not await reader.refresh_if_changed()  # loaded once
    finally:
        await reader.aclose()
        await syncer.aclose()


async def test_a_reader_takes_over_when_the_syncer_stops(tmp_path: Path, monkeypatch) -> None:
    from chatbot.knowledge import shared as shared_module

    monkeypatch.setattr(shared_module, "CHECK_EVERY_S", 0.05)
    monkeypatch.setattr(shared_module, "TAKEOVER_EVERY_S", 0.1)
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    settings = make_settings(tmp_path, knowledge_dir=folder)
    syncer, reader = SharedKnowledge(settings), SharedKnowledge(settings)
    try:
        await syncer.open(sync=True, hold=True)
        await reader.open(sync=True, hold=True)
        reader.start(watch=False)
        assert not reader.is_syncer
        await syncer.aclose()
        deadline = time.monotonic() + 10
        while not reader.is_syncer and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert reader.is_syncer
    finally:
        await reader.aclose()
        await syncer.aclose()


async def test_a_syncer_whose_advisory_lock_is_lost_stops_syncing(
    tmp_path: Path, postgres_url: str, chroma_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL restart (here: its session killed) frees the lock: another process may
    take it, and the old syncer must notice and become a reader, never two syncers."""
    import psycopg

    from chatbot.knowledge import shared as shared_module

    monkeypatch.setattr(shared_module, "CHECK_EVERY_S", 0.05)
    monkeypatch.setattr(shared_module, "TAKEOVER_EVERY_S", 0.1)
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    settings = make_settings(
        tmp_path, knowledge_dir=folder, postgres_url=postgres_url, chroma_url=chroma_server
    )
    syncer, reader = SharedKnowledge(settings), SharedKnowledge(settings)
    try:
        await syncer.open(sync=True, hold=True)
        await reader.open(sync=True, hold=True)
        assert syncer.is_syncer and not reader.is_syncer
        syncer.start(watch=False)
        reader.start(watch=False)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted"
            )
        deadline = time.monotonic() + 10
        while not reader.is_syncer and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert reader.is_syncer and not syncer.is_syncer
    finally:
        await reader.aclose()
        await syncer.aclose()


def test_the_lock_follows_the_store(tmp_path: Path, postgres_url: str) -> None:
    """PostgreSQL alone does not make the store shared: two instances with their own embedded
    Chroma (separate data folders) must each sync their own, not wait for the other."""
    one = KnowledgeLock(make_settings(tmp_path / "one", postgres_url=postgres_url))
    two = KnowledgeLock(make_settings(tmp_path / "two", postgres_url=postgres_url))
    assert one.kind == two.kind == "file"
    assert one.try_acquire() and two.try_acquire()
    one.release()
    two.release()
