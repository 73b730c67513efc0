"""``chatbot serve --workers 2``: two processes serve conversations, both serve an edited fiche,
and a session-bound HTTP call reaches the worker that holds the session."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from chatbot.fake_albert import FakeAlbert
from tests.chat_client import Chat
from tests.conftest import AppServer

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
QUESTION = "Combien coûte le timbre fiscal du passeport ?"


class Workers(AppServer):
    def events(self, name: str) -> list[dict]:
        found = []
        for line in self.logs().splitlines():
            if line.startswith("{") and f'"{name}"' in line:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == name:
                    found.append(event)
        return found

    def wait_for(self, name: str, count: int, deadline_s: float = 240) -> list[dict]:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            found = self.events(name)
            if len(found) >= count:
                return found
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.logs()[-4000:]}")
            time.sleep(0.5)
        raise AssertionError(f"no {count} {name!r} in the logs:\n{self.logs()[-4000:]}")


@contextmanager
def two_workers(albert: FakeAlbert, tmp: Path, **env: str) -> Iterator[Workers]:
    """``chatbot serve --workers 2`` on a copy of the fixture fiches, once both workers'
    services are up (not just the first to answer)."""
    shutil.copytree(FIXTURES / "good", tmp / "knowledge")
    server = Workers(
        {
            "GUICHET_WORKERS": "2",
            "GUICHET_INSTANCE": "public",
            "GUICHET_BACKEND_URL": albert.url,
            "GUICHET_API_KEY": albert.api_key,
            "GUICHET_DATA_DIR": str(tmp / "data"),
            "GUICHET_KNOWLEDGE_DIR": str(tmp / "knowledge"),
            **env,
        },
        tmp,
    )
    try:
        server.wait_ready()
        server.wait_for("services_ready", 2)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def workers(albert: FakeAlbert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    with two_workers(
        albert, tmp_path_factory.mktemp("workers"), GUICHET_WATCH_KNOWLEDGE="true"
    ) as server:
        yield server


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def ask_until_both_workers(server: Workers, expect: str, forbid: str) -> dict[int, int]:
    """New conversations until each worker has answered one: worker -> pid.

    Four at a time: the kernel wakes every worker for a new connection and the first to
    accept takes it, so one idle worker can win every connection made one after another.
    Connections made together find the first worker busy.
    """
    served: dict[int, int] = {}
    for _ in range(6):
        before = len(server.events("turn_started"))
        chats = await asyncio.gather(*(Chat.open(server.url) for _ in range(4)))
        try:
            replies = await asyncio.gather(*(chat.ask(QUESTION) for chat in chats))
        finally:
            await asyncio.gather(*(chat.close() for chat in chats))
        for reply in replies:
            assert expect in reply["output"] and forbid not in reply["output"], reply["output"]
        for turn in server.events("turn_started")[before:]:
            served[turn["worker"]] = turn["pid"]
        if len(served) == 2:
            return served
    raise AssertionError(f"24 conversations, all served by worker(s) {sorted(served)}")


async def test_two_workers_serve_conversations_and_both_serve_an_edited_fiche(
    workers: Workers,
) -> None:
    served = await ask_until_both_workers(workers, "86 euros", "96 euros")
    assert sorted(served) == [0, 1]
    assert len(set(served.values())) == 2  # two processes ...
    assert {parent_of(pid) for pid in served.values()} == {workers.process.pid}  # of this serve
    assert len(workers.events("kb_synced")) == 1  # only one of them synced at start

    fiche = workers.data_dir.parent / "knowledge" / "public" / "passeport.md"
    fiche.write_text(
        fiche.read_text(encoding="utf-8").replace("86 euros", "96 euros"), encoding="utf-8"
    )
    workers.wait_for("kb_version_published", 1)  # the syncer wrote it
    workers.wait_for("kb_reloaded", 1)  # the other worker loaded it
    served_after = await ask_until_both_workers(workers, "96 euros", "86 euros")
    assert served_after == served  # the same two processes, nothing restarted


async def test_a_session_bound_call_reaches_the_worker_holding_the_session(
    workers: Workers,
) -> None:
    chat = await Chat.open(workers.url)
    try:
        url = f"{workers.url}/project/file/no-such-file?session_id={chat.session_id}"
        codes = []
        for _ in range(20):
            # A new connection each time: the kernel hands it to either worker.
            async with httpx.AsyncClient(timeout=60) as client:
                codes.append((await client.get(url)).status_code)
            if workers.events("session_call_forwarded") and len(codes) >= 4:
                break
        # 404 "file not found" from the worker that has the session; 401 would mean a worker
        # that does not know the session answered.
        assert set(codes) == {404}, codes
        assert workers.events("session_call_forwarded")
        async with httpx.AsyncClient(timeout=60) as client:
            unknown = await client.get(f"{workers.url}/project/file/x?session_id=nobody")
        assert unknown.status_code == 401
    finally:
        await chat.close()


async def test_socketio_long_polling_is_refused_with_workers(workers: Workers) -> None:
    """Polling would spread one session over several workers; websockets keep it on one."""
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.get(
            f"{workers.url}/ws/socket.io/", params={"EIO": "4", "transport": "polling"}
        )
        page = await client.get(workers.url + "/")
    assert response.status_code == 400
    assert 'window.transports = ["websocket"]' in page.text
