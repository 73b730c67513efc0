"""Conversation memory against real servers: whose memory a thread id reaches, what a
PostgreSQL outage does to a conversation, and what retention leaves in the checkpoints.

Two servers share one PostgreSQL database, as an administration runs them: ``internal`` (agents
log in) and ``public`` (anonymous citizens), the latter through a TCP proxy the tests cut.
A third server runs on SQLite for retention there.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from chatbot.web.auth import UserRecord, UsersFile, hash_password, write_users_file
from tests.chat_client import Chat, login_cookie
from tests.conftest import ROOT, AppServer, free_port

pytestmark = pytest.mark.timeout(2400)  # four servers start on two shared cores

AGENT, PASSWORD = "agent.memoire", "mot-de-passe-de-test-9"
AGENT_QUESTION = "Comment ouvrir un ticket dans l'outil Sillage ?"
AGENT_WORD = "Sillage"  # a fiche's tool name: never masked, found in nothing a citizen asks
CITIZEN_QUESTION = "Comment refaire ma carte d'identité ?"
CRASH_WORDS = ("erreur inattendue", "conservée")


# ------------------------------------------------------------------------------ the proxy


class Proxy:
    """A TCP proxy on loopback in front of PostgreSQL that a test can cut and restore."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.server: asyncio.base_events.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self.links -= {writer, up_writer}

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """The database goes away: open connections drop, new ones are refused."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()
        await self.server.wait_closed()
        self.server = None

    async def restore(self) -> None:
        await self.start()


def _proxy_thread_loop() -> asyncio.AbstractEventLoop:
    """The proxy runs on its own loop and thread: the server connects through it while the
    tests' loop waits on blocking calls (server start-up)."""
    import threading

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return loop


def on(loop: asyncio.AbstractEventLoop, coro) -> None:
    asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=30)


# ------------------------------------------------------------------------------ servers


def _server(tmp: Path, name: str, albert, **env: str) -> AppServer:
    data = tmp / name
    data.mkdir()
    write_users_file(
        data / "users.json",
        UsersFile(
            users=[
                UserRecord(
                    username=AGENT,
                    password_hash=hash_password(PASSWORD),
                    role="agent",
                    display_name="Agent mémoire",
                )
            ]
        ),
    )
    return AppServer(
        {
            "GUICHET_BACKEND_URL": albert.url,
            "GUICHET_API_KEY": albert.api_key,
            "GUICHET_DATA_DIR": str(data),
            "GUICHET_USERS_FILE": str(data / "users.json"),
            "CHAINLIT_AUTH_SECRET": "secret-de-test-" + "x" * 40,
            **env,
        },
        data,
    )


@pytest.fixture(scope="module")
def shared_pg(albert, tmp_path_factory) -> Iterator[dict]:
    """internal + public servers on one PostgreSQL database; public goes through the proxy."""
    import uuid

    admin = None
    for user in ("postgres", "root"):
        try:
            admin = psycopg.connect(
                host="127.0.0.1", port=5432, user=user, dbname="test", autocommit=True
            )
            break
        except Exception:
            continue
    if admin is None:
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    name = f"guichet_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://{user}@127.0.0.1:5432/{name}"
    loop = _proxy_thread_loop()
    proxy = Proxy()
    on(loop, proxy.start())
    proxied = f"postgresql://{user}@127.0.0.1:{proxy.port}/{name}"
    tmp = tmp_path_factory.mktemp("shared")
    internal = _server(
        tmp, "internal", albert, GUICHET_INSTANCE="internal", GUICHET_POSTGRES_URL=url
    )
    public = _server(tmp, "public", albert, GUICHET_INSTANCE="public", GUICHET_POSTGRES_URL=proxied)
    try:
        internal.wait_ready(deadline_s=1200)  # slow when the machine is shared
        public.wait_ready(deadline_s=1200)
        yield {
            "url": url,
            "internal": internal,
            "public": public,
            "proxy": proxy,
            "loop": loop,
        }
    finally:
        internal.stop()
        public.stop()
        loop.call_soon_threadsafe(loop.stop)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def sqlite_server(albert, tmp_path_factory) -> Iterator[AppServer]:
    server = _server(tmp_path_factory.mktemp("sqlite"), "all", albert, GUICHET_INSTANCE="all")
    try:
        server.wait_ready(deadline_s=1200)
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------------ checkpoints


def pg_checkpoint_rows(url: str) -> list[bytes]:
    """Every row of LangGraph's checkpoint tables, as bytes to search for words."""
    rows: list[bytes] = []
    with psycopg.connect(url) as conn:
        for table in ("checkpoints", "checkpoint_writes", "checkpoint_blobs"):
            exists = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0]
            if exists:
                rows += [
                    str(row).encode()
                    + b"".join(v for v in row if isinstance(v, (bytes, memoryview)))
                    for row in conn.execute(f"SELECT * FROM {table}").fetchall()
                ]
    return [bytes(row) for row in rows]


def sqlite_checkpoint_rows(data_dir: Path) -> list[bytes]:
    path = data_dir / "guichet.sqlite"
    if not path.exists():
        return []
    rows: list[bytes] = []
    with sqlite3.connect(path) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if table in ("checkpoints", "writes"):
                for row in db.execute(f"SELECT * FROM {table}"):
                    rows.append(
                        str(row).encode()
                        + b"".join(bytes(v) for v in row if isinstance(v, (bytes, memoryview)))
                    )
    return rows


def holding(rows: list[bytes], word: str) -> int:
    return sum(word.encode() in row for row in rows)


def data_command(server: AppServer, *argv: str, postgres_url: str | None = None) -> str:
    env = {**os.environ, "GUICHET_DATA_DIR": str(server.data_dir), "PYTHONPATH": str(ROOT)}
    if postgres_url:
        env["GUICHET_POSTGRES_URL"] = postgres_url
    done = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "data", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a loaded machine starts Python slowly
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
async def chats() -> AsyncIterator[list[Chat]]:
    opened: list[Chat] = []
    yield opened
    for chat in opened:
        if chat.sio.connected:
            await chat.close()


# ------------------------------------------------------------------------------ finding 3


async def test_an_agents_thread_id_replayed_by_a_visitor_reaches_no_memory(
    shared_pg, double, chats
) -> None:
    internal, public = shared_pg["internal"], shared_pg["public"]
    cookie = await login_cookie(internal.url, AGENT, PASSWORD)
    agent = await Chat.open(internal.url, cookie=cookie, profile="helpdesk")
    chats.append(agent)
    answer = await agent.ask(AGENT_QUESTION)
    assert answer["metadata"]["status"].startswith("answered"), answer
    assert holding(pg_checkpoint_rows(shared_pg["url"]), AGENT_WORD), "the agent has memory"

    # An anonymous visitor on the public instance holds the agent's thread id.
    double.reset()
    visitor = await Chat.open(public.url, thread_id=agent.thread_id)
    chats.append(visitor)
    answer = await visitor.ask(CITIZEN_QUESTION)
    assert answer["metadata"]["status"].startswith("answered"), answer
    assert AGENT_WORD not in answer["output"]
    sent = " ".join(double.sent_texts())
    assert "identité" in sent  # the visitor's own question went to the model
    assert AGENT_WORD not in sent and "ticket" not in sent, "the agent's memory was loaded"

    # The agent still has their own memory: a follow-up carries their first question.
    double.reset()
    await agent.ask("Et pour le relancer ?")
    assert AGENT_WORD in " ".join(double.sent_texts())


# ------------------------------------------------------------------------------ finding 2


async def test_conversations_recover_after_a_postgres_outage(shared_pg, double, chats) -> None:
    public, proxy, loop = shared_pg["public"], shared_pg["proxy"], shared_pg["loop"]
    first = await Chat.open(public.url)
    chats.append(first)
    answer = await first.ask(CITIZEN_QUESTION)
    assert answer["metadata"]["status"].startswith("answered"), answer

    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(proxy.cut(), loop))
    try:
        during = await first.ask("Quel est le prix du timbre fiscal pour un bateau ?")
        assert during["metadata"]["status"] == "storage_error", during
        assert "n'a pas pu être traité ni enregistré" in during["output"]
        assert not any(word in during["output"] for word in CRASH_WORDS)
    finally:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(proxy.restore(), loop))

    # Back: the same conversation and a new one work, nothing acknowledged was lost.
    double.reset()
    after = await first.ask("Et pour le passeport, c'est pareil ?")
    assert after["metadata"]["status"].startswith("answered"), after
    assert not any(word in after["output"] for word in CRASH_WORDS)
    sent = " ".join(double.sent_texts())
    assert "identité" in sent, "the answered question before the outage is remembered"
    assert "bateau" not in sent, "the message of the outage was not kept, as the user was told"
    second = await Chat.open(public.url)
    chats.append(second)
    fresh = await second.ask(CITIZEN_QUESTION)
    assert fresh["metadata"]["status"].startswith("answered"), fresh


# ------------------------------------------------------------------------------ finding 4


async def test_a_citizens_memory_goes_when_the_visit_ends_postgres(shared_pg, chats) -> None:
    visitor = await Chat.open(shared_pg["public"].url)
    chats.append(visitor)
    await visitor.ask("Comment obtenir un permis bateau ?")
    assert holding(pg_checkpoint_rows(shared_pg["url"]), "bateau")
    await visitor.end_visit()
    await asyncio.sleep(2)
    assert holding(pg_checkpoint_rows(shared_pg["url"]), "bateau") == 0


async def test_erase_and_purge_reach_the_checkpoints_postgres(shared_pg, chats) -> None:
    internal, url = shared_pg["internal"], shared_pg["url"]
    cookie = await login_cookie(internal.url, AGENT, PASSWORD)
    agent = await Chat.open(internal.url, cookie=cookie, profile="helpdesk")
    chats.append(agent)
    await agent.ask(AGENT_QUESTION)
    await agent.close()
    visitor = await Chat.open(shared_pg["public"].url)
    chats.append(visitor)
    await visitor.ask(CITIZEN_QUESTION)
    await asyncio.sleep(1.5)  # Chainlit writes the agent's thread in the background
    assert holding(pg_checkpoint_rows(url), AGENT_WORD)

    await asyncio.to_thread(data_command, internal, "erase", AGENT, postgres_url=url)
    rows = pg_checkpoint_rows(url)
    assert holding(rows, AGENT_WORD) == 0, "the erased agent's memory is gone"
    assert holding(rows, "identité"), "a citizen's ongoing visit is not the agent's"

    await asyncio.to_thread(data_command, internal, "purge", "--days", "0", postgres_url=url)
    assert pg_checkpoint_rows(url) == []


async def test_erase_purge_and_visit_end_reach_the_checkpoints_sqlite(sqlite_server, chats) -> None:
    import httpx

    cookie = await login_cookie(sqlite_server.url, AGENT, PASSWORD)
    agent = await Chat.open(sqlite_server.url, cookie=cookie, profile="helpdesk")
    chats.append(agent)
    await agent.ask(AGENT_QUESTION)
    await agent.close()

    async with httpx.AsyncClient(base_url=sqlite_server.url) as client:  # anonymous citizen
        (await client.post("/auth/header")).raise_for_status()
        citizen_cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    leaving = await Chat.open(sqlite_server.url, cookie=citizen_cookie)
    chats.append(leaving)
    await leaving.ask("Comment obtenir un permis bateau ?")
    staying = await Chat.open(sqlite_server.url, cookie=citizen_cookie)
    chats.append(staying)
    await staying.ask(CITIZEN_QUESTION)
    await asyncio.sleep(1.5)
    rows = sqlite_checkpoint_rows(sqlite_server.data_dir)
    assert holding(rows, AGENT_WORD) and holding(rows, "bateau") and holding(rows, "identité")

    await leaving.end_visit()
    await asyncio.sleep(2)
    assert holding(sqlite_checkpoint_rows(sqlite_server.data_dir), "bateau") == 0

    await asyncio.to_thread(data_command, sqlite_server, "erase", AGENT)
    rows = sqlite_checkpoint_rows(sqlite_server.data_dir)
    assert holding(rows, AGENT_WORD) == 0
    assert holding(rows, "identité")

    await asyncio.to_thread(data_command, sqlite_server, "purge", "--days", "0")
    assert sqlite_checkpoint_rows(sqlite_server.data_dir) == []
