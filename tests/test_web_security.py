"""Attacks on the running server (``chatbot serve`` + the Albert test double), from outside:
plain HTTP (httpx) and a socket.io client, as a browser page or a script would.

One server for the module (it takes minutes to start), configured as behind HTTPS
(``GUICHET_PUBLIC_URL=https://...``) with debug logs on (uvicorn access lines), so that the
cookie and log findings show. The login rate-limit test runs last: it exhausts the limit.
Written to run unchanged against the code before the fixes (they all fail there).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from chatbot.web.auth import UserRecord, UsersFile, hash_password, write_users_file
from tests.conftest import ROOT, AppServer

pytestmark = pytest.mark.timeout(1200)  # the server takes minutes to start on a busy host

PUBLIC = "https://guichet.example.test"
AGENT, PASSWORD = "agent.secu", "un-mot-de-passe-solide"
EMAIL = "jean.dupont@example.fr"
ENGLISH = re.compile(r"indices|object|KeyError|TypeError|must be|Traceback|not subscriptable")


class HttpsServer(AppServer):
    """``chatbot serve`` announced at an https public URL (a proxy terminates TLS)."""

    def extra_env(self) -> dict[str, str]:
        return {
            "GUICHET_PUBLIC_URL": PUBLIC,
            "GUICHET_ALLOWED_ORIGINS": self.url,
            "DEBUG": "1",  # an operator troubleshooting: uvicorn's access lines are written
        }


@pytest.fixture(scope="module")
def server(albert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsServer]:
    tmp = tmp_path_factory.mktemp("secure")
    data = tmp / "data"
    srv = HttpsServer(
        {
            "GUICHET_BACKEND_URL": albert.url,
            "GUICHET_API_KEY": albert.api_key,
            "GUICHET_DATA_DIR": str(data),
            "GUICHET_USERS_FILE": str(data / "users.json"),
        },
        tmp,
    )
    try:
        srv.wait_ready(deadline_s=900)
        set_users(srv, AGENT, "agent.autre", "agent.parti", "agent.sortant")
        yield srv
    finally:
        srv.stop()


def set_users(server: HttpsServer, *names: str) -> None:
    users = UsersFile(
        users=[
            UserRecord(username=name, password_hash=hash_password(PASSWORD, n=2**12), role="agent")
            for name in names
        ]
    )
    write_users_file(server.data_dir / "users.json", users)


# ------------------------------------------------------------------------------ helpers


def token_of(response: httpx.Response) -> str:
    for cookie in response.headers.get_list("set-cookie"):
        if match := re.match(r"access_token=([^;]+)", cookie):
            return match.group(1)
    raise AssertionError(f"no session cookie: {response.status_code} {response.text[:200]}")


def login(server: HttpsServer, username: str = AGENT) -> str:
    response = httpx.post(server.url + "/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return token_of(response)


def citizen(server: HttpsServer) -> str:
    return token_of(httpx.post(server.url + "/auth/header"))


def with_token(token: str) -> dict[str, str]:
    # By hand: the cookie is Secure (https public URL) and the test speaks plain HTTP.
    return {"Cookie": f"access_token={token}"}


def db_rows(server: HttpsServer, query: str, *params: Any) -> list[tuple]:
    path = server.data_dir / "chainlit.sqlite"
    with sqlite3.connect(path) as conn:
        return conn.execute(query, params).fetchall()


class Chat:
    """A socket.io client speaking Chainlit's protocol, recording every event."""

    def __init__(self, server: HttpsServer, token: str | None) -> None:
        self.server = server
        self.token = token
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.thread_id = str(uuid.uuid4())

        async def record(event: str, *data: Any) -> None:
            self.events.append((event, data[0] if data else None))

        self.client.on("*", record)

    async def connect(self, origin: str | None = None, auth: Any = "default") -> None:
        headers = with_token(self.token) if self.token else {}
        if origin is not None:
            headers["Origin"] = origin
        if auth == "default":
            auth = {
                "sessionId": str(uuid.uuid4()),
                "clientType": "webapp",
                "userEnv": "{}",
                "chatProfile": None,
                "threadId": self.thread_id,
            }
        await self.client.connect(
            self.server.url,
            headers=headers,
            auth=auth,
            transports=["websocket"],
            socketio_path="/ws/socket.io",
            wait_timeout=10,
        )
        await self.client.emit("connection_successful")

    def outputs(self) -> list[str]:
        return [
            str(data.get("output") or "")
            for event, data in self.events
            if event in ("new_message", "update_message") and isinstance(data, dict)
        ]

    async def wait_for(self, predicate, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"timed out; events: {[e for e, _ in self.events]}")

    async def send(self, text: str, message_id: str | None = None, event: str = "client_message"):
        message_id = message_id or str(uuid.uuid4())
        ended = sum(1 for e, _ in self.events if e == "task_end")
        await self.client.emit(
            event,
            {
                "message": {
                    "id": message_id,
                    "threadId": self.thread_id,
                    "name": "User",
                    "type": "user_message",
                    "output": text,
                    "createdAt": "2026-01-01T00:00:00Z",
                },
                "fileReferences": [],
            },
        )
        return message_id, ended

    async def ask(self, text: str) -> str:
        message_id, ended = await self.send(text)
        await self.wait_for(lambda: sum(1 for e, _ in self.events if e == "task_end") > ended)
        return message_id

    async def close(self) -> None:
        await self.client.disconnect()


async def agent_thread(server: HttpsServer, token: str) -> tuple[str, str, str]:
    """(thread id, user message id, answer step id) of a stored helpdesk conversation."""
    chat = Chat(server, token)
    await chat.connect(origin=server.url)
    try:
        asked = await chat.ask("Comment réinitialiser mon mot de passe de messagerie ?")
    finally:
        await chat.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = db_rows(
            server,
            "SELECT id FROM steps WHERE threadId = ? AND type = 'assistant_message'",
            chat.thread_id,
        )
        if rows:
            return chat.thread_id, asked, rows[0][0]
        time.sleep(0.3)
    raise AssertionError("the agent's answer was not stored")


@pytest.fixture(scope="module")
def agent_token(server: HttpsServer) -> str:
    return login(server)


@pytest.fixture(scope="module")
def agent_conversation(server: HttpsServer, agent_token: str) -> tuple[str, str, str]:
    return asyncio.run(agent_thread(server, agent_token))


# ------------------------------------------------------------------------------ 5: origin


async def test_socket_refuses_a_page_from_another_origin(server, agent_token) -> None:
    # Another origin of the same site: the browser sends the agent's SameSite=Lax cookie.
    rogue = Chat(server, agent_token)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await rogue.connect(origin=f"http://localhost:{server.port}")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await rogue.connect(origin="https://autre.example.test")
    for allowed in (server.url, PUBLIC):  # the widget's sites and the public URL still work
        chat = Chat(server, agent_token)
        await chat.connect(origin=allowed)
        await chat.close()


# ------------------------------------------------------------------------------ 5: sessions


async def test_a_removed_users_session_ends_everywhere(server) -> None:
    token = login(server, "agent.parti")
    assert httpx.get(server.url + "/user", headers=with_token(token)).status_code == 200
    removed = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "users", "remove", "agent.parti"]
        + ["--users-file", str(server.data_dir / "users.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "GUICHET_DATA_DIR": str(server.data_dir)},
    )
    assert removed.returncode == 0, removed.stderr
    refused = httpx.get(server.url + "/user", headers=with_token(token))
    assert refused.status_code == 401
    assert "session" in refused.json()["detail"].lower()  # in French, no exception text
    with pytest.raises(socketio.exceptions.ConnectionError):
        await Chat(server, token).connect(origin=server.url)


async def test_a_token_is_dead_after_logout_and_an_open_socket_closes(server) -> None:
    token = login(server, "agent.sortant")
    open_chat = Chat(server, token)
    await open_chat.connect(origin=server.url)
    out = httpx.post(server.url + "/logout", headers=with_token(token))
    assert out.status_code == 200
    assert httpx.get(server.url + "/user", headers=with_token(token)).status_code == 401
    assert (
        httpx.get(server.url + "/user", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    with pytest.raises(socketio.exceptions.ConnectionError):
        await Chat(server, token).connect(origin=server.url)
    # The socket opened before the logout is closed at its next frame (a heartbeat or this
    # message, whichever comes first).
    await asyncio.sleep(1.5)
    if open_chat.client.connected:
        try:
            await open_chat.send("Encore une question ?")
        except socketio.exceptions.BadNamespaceError:
            pass  # closed in between
    await open_chat.wait_for(lambda: not open_chat.client.connected, timeout=30)
    assert login(server, "agent.sortant")  # logging in again works


# ------------------------------------------------------------------------------ 5: sharing


def test_thread_sharing_is_refused_and_nothing_is_readable(
    server, agent_token, agent_conversation
) -> None:
    thread_id, _, _ = agent_conversation
    shared = httpx.put(
        server.url + "/project/thread/share",
        json={"threadId": thread_id, "isShared": True},
        headers=with_token(agent_token),
    )
    assert shared.status_code == 404
    metadata = db_rows(server, "SELECT metadata FROM threads WHERE id = ?", thread_id)[0][0]
    assert "is_shared" not in (metadata or "")
    for token in (citizen(server), agent_token):
        seen = httpx.get(server.url + f"/project/share/{thread_id}", headers=with_token(token))
        assert seen.status_code == 404 and "mot de passe" not in seen.text


# ------------------------------------------------------------------------------ 5: feedback


def test_only_the_owner_rates_or_unrates_an_agents_answer(
    server, agent_token, agent_conversation
) -> None:
    thread_id, _, answer_id = agent_conversation
    for intruder in (citizen(server), login(server, "agent.autre")):
        response = httpx.put(
            server.url + "/feedback",
            json={
                "feedback": {"forId": answer_id, "value": 0, "comment": "Réponse nulle"},
                "sessionId": "x",
            },
            headers=with_token(intruder),
        )
        assert response.status_code in (200, 403)
    assert db_rows(server, 'SELECT id FROM feedbacks WHERE "forId" = ?', answer_id) == []

    mine = httpx.put(
        server.url + "/feedback",
        json={"feedback": {"forId": answer_id, "value": 1}, "sessionId": "x"},
        headers=with_token(agent_token),
    )
    feedback_id = mine.json()["feedbackId"]
    assert db_rows(server, "SELECT value FROM feedbacks WHERE id = ?", feedback_id) == [(1,)]
    # Another visitor who learns the id can neither overwrite nor withdraw it.
    other = citizen(server)
    httpx.put(
        server.url + "/feedback",
        json={"feedback": {"forId": answer_id, "value": 0, "id": feedback_id}, "sessionId": "x"},
        headers=with_token(other),
    )
    httpx.request(
        "DELETE",
        server.url + "/feedback",
        json={"feedbackId": feedback_id},
        headers=with_token(other),
    )
    assert db_rows(server, "SELECT value FROM feedbacks WHERE id = ?", feedback_id) == [(1,)]


# ------------------------------------------------------------------------------ 5: editing


async def test_editing_a_sent_message_is_refused(server, agent_token, agent_conversation) -> None:
    thread_id, asked_id, _ = agent_conversation
    chat = Chat(server, agent_token)
    chat.thread_id = thread_id
    await chat.connect(origin=server.url)
    try:
        await chat.send("Texte réécrit après coup", message_id=asked_id, event="edit_message")
        await chat.wait_for(lambda: any("modification" in o for o in chat.outputs()), timeout=30)
    finally:
        await chat.close()
    stored = db_rows(server, "SELECT output FROM steps WHERE id = ?", asked_id)[0][0]
    assert "réécrit" not in stored


# ------------------------------------------------------------------------------ 6: sizes


async def test_a_huge_message_is_refused_before_analysis_and_the_server_stays_up(
    server, agent_token, agent_conversation
) -> None:
    chat = Chat(server, agent_token)
    await chat.connect(origin=server.url)
    try:
        huge = ("Bonjour je suis Jean Dupont, 12 rue de la Paix à Paris. " * 8200)[:450_000]
        await chat.send(huge)
        await asyncio.sleep(0.5)
        started = time.monotonic()
        assert httpx.get(server.url + "/health", timeout=60).status_code == 200
        assert time.monotonic() - started < 2, "the event loop was blocked"
        await chat.wait_for(lambda: any("trop long" in o for o in chat.outputs()), timeout=10)
    finally:
        await chat.close()
    thread_id, _, answer_id = agent_conversation
    for method, path, body in (
        ("PUT", "/feedback", {"feedback": {"forId": answer_id, "value": 0, "comment": huge}}),
        ("PUT", "/project/thread", {"threadId": thread_id, "name": huge}),
    ):
        started = time.monotonic()
        response = httpx.request(
            method,
            server.url + path,
            json={**body, "sessionId": "x"},
            headers=with_token(agent_token),
            timeout=120,
        )
        assert response.status_code == 413, (path, response.status_code)
        assert "trop long" in response.json()["detail"].lower()
        assert time.monotonic() - started < 2


# ------------------------------------------------------------------------------ 6: errors


async def test_malformed_socket_payloads_get_french_errors(server) -> None:
    chat = Chat(server, citizen(server))
    await chat.connect(origin=server.url)
    try:
        for payload in ({"message": "pas un objet"}, {"message": {"id": "x", "output": 3}}, []):
            before = len(chat.outputs())
            await chat.client.emit("client_message", payload)
            await chat.wait_for(
                lambda before=before: any("illisible" in o for o in chat.outputs()[before:]),
                timeout=15,
            )
        replies = [o for o in chat.outputs() if o]
        assert not [o for o in replies if ENGLISH.search(o)], replies
    finally:
        await chat.close()
    refused = Chat(server, citizen(server))
    errors: list[Any] = []
    refused.client.on("connect_error", lambda data=None: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(origin=server.url, auth={"clientType": 1})
    assert errors and "Connexion refusée" in json.dumps(errors, ensure_ascii=False), errors


# ------------------------------------------------------------------------------ 6: cookies


def test_session_cookies_are_secure_behind_https(server) -> None:
    for response in (
        httpx.post(server.url + "/auth/header"),
        httpx.post(server.url + "/login", data={"username": AGENT, "password": PASSWORD}),
    ):
        cookie = next(c for c in response.headers.get_list("set-cookie") if "access_token" in c)
        assert "secure" in cookie.lower() and "httponly" in cookie.lower()


# ------------------------------------------------------------------------------ 6: logs


async def test_no_personal_data_from_the_url_reaches_the_logs(server) -> None:
    paths = [
        f"/project/thread/{EMAIL}?email={EMAIL}",
        f"/{EMAIL}",
        f"/avatars/{EMAIL}",
        f"/login?agent&email={EMAIL}",
    ]
    for path in paths:
        httpx.get(server.url + path, headers={"Referer": f"{server.url}/?q={EMAIL}"})
    talk = Chat(server, citizen(server))
    await talk.connect(origin=server.url)
    await talk.send(f"Mon adresse est {EMAIL}")
    await talk.wait_for(lambda: any(e == "task_end" for e, _ in talk.events), timeout=90)
    await talk.close()
    chat = Chat(server, citizen(server))
    await chat.client.connect(
        f"{server.url}?email={EMAIL}",
        headers={**with_token(chat.token), "Origin": server.url},
        auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp"},
        transports=["websocket"],
        socketio_path="/ws/socket.io",
    )
    await chat.close()
    time.sleep(1)
    logs = server.logs()
    assert "/project/thread/{thread_id}" in logs, "access lines are written (debug is on)"
    assert "jean.dupont" not in logs.lower()
    # No client address: uvicorn writes '127.0.0.1:54321 - "GET ...' in its access lines.
    assert not re.search(r'\d+\.\d+\.\d+\.\d+:\d+ - "', logs)


# ------------------------------------------------------------------------------ 6: secret


def test_the_session_secret_is_never_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatbot.cli import auth_secret
    from tests.conftest import make_settings

    # A permissive umask, and no chmod allowed after the fact: the mode must come with the
    # file's creation, or another local user can read the secret in between.
    monkeypatch.setattr(os, "chmod", lambda *a, **k: None)
    monkeypatch.setattr(Path, "chmod", lambda *a, **k: None)
    old = os.umask(0)
    try:
        secret = auth_secret(make_settings(tmp_path))
    finally:
        os.umask(old)
    path = tmp_path / "data" / ".auth_secret"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(secret) > 40 and auth_secret(make_settings(tmp_path)) == secret


# ------------------------------------------------------------------------------ 6: login rate
# Last: it uses up this address's attempts.


def test_password_guessing_is_rate_limited_by_username_and_by_address(server) -> None:
    statuses = []
    for attempt in range(40):
        response = httpx.post(
            server.url + "/login", data={"username": AGENT, "password": f"essai-{attempt}"}
        )
        statuses.append(response.status_code)
    assert statuses[:3] == [401, 401, 401]
    assert statuses.count(429) >= 30, statuses
    limited = response.json()["detail"]
    assert "Trop de tentatives" in limited
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Spraying other usernames from the same address is stopped too.
    sprayed = httpx.post(server.url + "/login", data={"username": "x.autre", "password": "p" * 12})
    assert sprayed.status_code == 429
    assert json.dumps(response.json(), ensure_ascii=False).count("essai") == 0
