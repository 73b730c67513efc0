"""Rate limits on the real server: per API key, per address for anonymous citizens (chat
socket and widget token), counted in Redis so that every process shares one count, and
counted locally, without a failure, when Redis is down."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from chatbot.api import limits
from chatbot.api.limits import Limiter
from tests.chat_client import Chat
from tests.conftest import ROOT, AppServer, free_port
from tests.test_api import new_key

REDIS = "redis://127.0.0.1:6379"
PER_KEY, PER_IP = 5, 3


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def fake_ip() -> str:
    """A client address of this test alone (uvicorn trusts X-Forwarded-For from loopback)."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture(scope="module")
def servers(albert, tmp_path_factory):
    """Two servers with low limits, started together: one counting in Redis, one whose Redis
    URL points at a closed port."""
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    started = {}
    for name, storage in (("redis", REDIS), ("down", f"redis://127.0.0.1:{free_port()}")):
        tmp = tmp_path_factory.mktemp(f"limits-{name}")
        started[name] = AppServer(
            {
                "GUICHET_BACKEND_URL": albert.url,
                "GUICHET_API_KEY": albert.api_key,
                "GUICHET_DATA_DIR": str(tmp / "data"),
                "GUICHET_RATE_LIMIT_STORAGE": storage,
                "GUICHET_API_RATE_PER_KEY": f"{PER_KEY}/minute",
                "GUICHET_CHAT_RATE_PER_IP": f"{PER_IP}/minute",
                "GUICHET_WIDGET_RATE_PER_IP": f"{PER_IP}/minute",
            },
            tmp,
        )
    try:
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


def models(server, key: str) -> httpx.Response:
    return httpx.get(
        server.url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    error = response.json()["error"]
    assert error["type"] == "rate_limit_error" and error["code"] == "rate_limit_exceeded"
    assert error["message"].startswith("Trop de requêtes. Réessayez dans")


def test_the_key_over_its_limit_gets_429_with_retry_after(servers) -> None:
    server = servers["redis"]
    key, other = new_key(server, name="quota"), new_key(server, name="voisin")
    statuses = [models(server, key).status_code for _ in range(PER_KEY)]
    assert statuses == [200] * PER_KEY
    assert_limited(models(server, key))
    assert models(server, other).status_code == 200, "each key has its own count"


def test_a_count_in_redis_is_shared_with_another_process(servers) -> None:
    """This test process and the server are two processes: hits counted here count there."""
    server = servers["redis"]
    key = new_key(server, name="partage")
    key_id = key.split("_")[1]

    async def hit_here(times: int) -> None:
        here = Limiter(REDIS)
        for _ in range(times):
            assert (await here.hit(f"{PER_KEY}/minute", "api-key", key_id)).allowed

    asyncio.run(hit_here(PER_KEY - 2))
    assert [models(server, key).status_code for _ in range(2)] == [200, 200]
    assert_limited(models(server, key))


def test_with_redis_down_limits_count_locally_and_requests_succeed(servers) -> None:
    server = servers["down"]
    key = new_key(server, name="sans-redis")
    statuses = [models(server, key).status_code for _ in range(PER_KEY)]
    assert statuses == [200] * PER_KEY, "Redis down stops nothing"
    assert_limited(models(server, key))
    logs = server.logs()
    assert logs.count("rate_limit_storage_unreachable") == 1, "said once, not per request"
    assert "Traceback" not in logs


def test_the_widget_token_is_limited_per_address(servers) -> None:
    server, ip = servers["redis"], fake_ip()

    def token(address: str) -> httpx.Response:
        return httpx.post(
            server.url + "/widget/token", headers={"X-Forwarded-For": address}, timeout=30
        )

    assert [token(ip).status_code for _ in range(PER_IP)] == [200] * PER_IP
    refused = token(ip)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["detail"].startswith("Trop de requêtes")
    assert token(fake_ip()).status_code == 200, "another address is not affected"


async def send(chat: Chat, text: str) -> None:
    message = {
        "id": str(uuid.uuid4()),
        "threadId": chat.thread_id,
        "name": "User",
        "type": "user_message",
        "output": text,
        "createdAt": datetime.now(UTC).isoformat(),
    }
    await chat.sio.emit("client_message", {"message": message, "fileReferences": []})


async def citizen_chat(server, ip: str) -> Chat:
    headers = {"X-Forwarded-For": ip}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
        (await client.post("/auth/header")).raise_for_status()  # an anonymous citizen
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return await Chat.open(server.url, cookie=cookie, headers=headers)


async def test_a_citizen_sending_too_many_messages_is_told_in_french(servers) -> None:
    server, ip = servers["redis"], fake_ip()
    chat = await citizen_chat(server, ip)
    try:
        for _ in range(PER_IP):
            answer = await chat.ask("Comment refaire ma carte d'identité ?")
            assert answer["metadata"]["status"].startswith("answered")
        before = len(chat.steps)
        await send(chat, "Et pour le passeport ?")
        deadline = time.monotonic() + 30
        refusal = None
        while refusal is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            refusal = next(
                (s for s in chat.steps[before:] if "trop de messages" in s.get("output", "")),
                None,
            )
        assert refusal is not None, chat.steps[before:]
        assert refusal["isError"] and "Patientez" in refusal["output"]
        assert not [s for s in chat.steps[before:] if s.get("metadata", {}).get("status")]
    finally:
        await chat.close()
    neighbour = await citizen_chat(server, fake_ip())
    try:
        answer = await neighbour.ask("Comment refaire ma carte d'identité ?")
        assert answer["metadata"]["status"].startswith("answered"), "per address"
    finally:
        await neighbour.close()


async def test_the_limiter_goes_back_to_redis_when_it_returns(monkeypatch, tmp_path) -> None:
    server_binary = shutil.which("redis-server")
    if server_binary is None:
        pytest.skip("redis-server is not installed")
    monkeypatch.setattr(limits, "RETRY_SHARED_S", 0.0)
    port = free_port()
    limiter = Limiter(f"redis://127.0.0.1:{port}")
    name = uuid.uuid4().hex
    assert (await limiter.hit("2/minute", "t", name)).allowed
    assert not limiter.is_shared, "nothing listens yet: counted locally"
    redis = subprocess.Popen(
        [server_binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            if redis_up_on(port):
                break
            await asyncio.sleep(0.1)
        other = Limiter(f"redis://127.0.0.1:{port}")
        assert (await limiter.hit("2/minute", "t", name)).allowed
        assert limiter.is_shared, "back on Redis"
        assert (await other.hit("2/minute", "t", name)).allowed
        assert not (await other.hit("2/minute", "t", name)).allowed, "one count, two limiters"
    finally:
        redis.terminate()
        redis.wait(timeout=10)


def redis_up_on(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_a_bad_rate_setting_is_refused_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "keys", "list"],
        cwd=ROOT,
        env={**os.environ, "GUICHET_API_RATE_PER_KEY": "beaucoup"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "GUICHET_API_RATE_PER_KEY" in result.stderr and "30/minute" in result.stderr
