"""/health, /ready and /metrics on a real server, and metrics summed over worker processes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from chatbot.fake_albert import FakeAlbert
from tests.chat_client import Chat
from tests.conftest import ROOT, AppServer, free_port


def samples(url: str, headers: dict[str, str] | None = None) -> dict[tuple, float]:
    """Every sample of /metrics, by (name, sorted labels)."""
    response = httpx.get(url + "/metrics", headers=headers or {}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


async def citizen_chat(url: str) -> Chat:
    """An anonymous citizen's chat, as the page opens it (header login, then the socket)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        (await client.post("/auth/header")).raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return await Chat.open(url, cookie=cookie)


def value(found: dict[tuple, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_is_json_ahead_of_the_ui(app_server: AppServer) -> None:
    response = httpx.get(app_server.url + "/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}  # not Chainlit's HTML page


def wait_ready(url: str, query: str = "", deadline_s: float = 600) -> httpx.Response:
    """/ready until it says 200: the server answers HTTP before its services are built."""
    deadline = time.monotonic() + deadline_s
    while True:
        response = httpx.get(url + "/ready" + query, timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        body = response.json()
        assert response.status_code == 503 and body["ready"] is False, response.text
        time.sleep(0.5)


def test_ready_checks_every_part_when_all_are_up(app_server: AppServer, double) -> None:
    response = wait_ready(app_server.url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"backend", "database", "chroma", "knowledge"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "fiches" in body["checks"]["knowledge"]["detail"]


async def test_metrics_count_a_turn_its_steps_tokens_and_session(
    app_server: AppServer, double
) -> None:
    before = samples(app_server.url)
    chat = await citizen_chat(app_server.url)
    try:
        during = samples(app_server.url)
        assert (
            value(during, "guichet_active_sessions") == value(before, "guichet_active_sessions") + 1
        )
        answer = await chat.ask("Comment renouveler ma carte d'identité ?")
        status = answer["metadata"]["status"]
    finally:
        await chat.close()
    after = samples(app_server.url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("guichet_turns_total", flow="citizen", status=status) == 1
    for step in ("normalise", "privacy", "guard", "retrieve"):
        assert grew("guichet_step_seconds_count", step=step) == 1, step
    assert grew("guichet_turn_seconds_count", flow="citizen") == 1
    if status == "answered":  # streamed by the model: a first token, and the usage it reported
        assert grew("guichet_first_token_seconds_count", flow="citizen") == 1
        assert grew("guichet_backend_tokens_total", flow="citizen", direction="completion") > 0
    assert value(after, "guichet_knowledge_chunks") > 0
    assert value(after, "guichet_knowledge_last_sync_timestamp_seconds") > 1.7e9


async def test_metrics_count_backend_errors_by_kind(app_server: AppServer, double) -> None:
    before = samples(app_server.url)
    double.inject("503", times=10, path="/chat/completions")
    chat = await citizen_chat(app_server.url)
    try:
        answer = await chat.ask("Comment renouveler ma carte d'identité ?")
    finally:
        await chat.close()
    after = samples(app_server.url)
    kind = ("guichet_step_errors_total", (("kind", "unavailable"), ("step", "generate")))
    assert after.get(kind, 0) - before.get(kind, 0) == 1
    # The turn ended with cited excerpts instead, and was counted as such.
    status = answer["metadata"]["status"]
    assert status == "answered_excerpts"
    assert value(after, "guichet_turns_total", flow="citizen", status=status) > value(
        before, "guichet_turns_total", flow="citizen", status=status
    )


@pytest.fixture(scope="module")
def guarded_server(
    albert: FakeAlbert, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """A server whose Redis is down from the start and whose /metrics asks for a token."""
    tmp = tmp_path_factory.mktemp("guarded")
    server = AppServer(
        {
            "GUICHET_BACKEND_URL": albert.url,
            "GUICHET_API_KEY": albert.api_key,
            "GUICHET_DATA_DIR": str(tmp / "data"),
            "GUICHET_RATE_LIMIT_STORAGE": f"redis://127.0.0.1:{free_port()}",  # nobody there
            "GUICHET_METRICS_TOKEN": "scrape-secret",
            "GUICHET_READY_TIMEOUT": "1",
        },
        tmp,
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_ready_says_what_is_down_and_why(guarded_server: AppServer, double) -> None:
    # Redis is down from the start: ready only when allowed to be without it.
    assert wait_ready(guarded_server.url, "?allow=redis").status_code == 200
    double.inject("503", times=20, path="/models")
    response = httpx.get(guarded_server.url + "/ready", timeout=10)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] is False
    assert "ConnectionRefused" in checks["redis"]["detail"] or "Errno" in checks["redis"]["detail"]
    assert checks["backend"]["ok"] is False and "503" in checks["backend"]["detail"]
    assert checks["database"]["ok"] and checks["chroma"]["ok"] and checks["knowledge"]["ok"]
    # An operator who prefers degraded answers to no answers lets these two be down.
    allowing = httpx.get(guarded_server.url + "/ready?allow=backend,redis", timeout=10)
    assert allowing.status_code == 200
    assert allowing.json()["checks"]["redis"]["ok"] is False  # still reported
    assert httpx.get(guarded_server.url + "/ready?allow=redis", timeout=10).status_code == 503
    # Alive all the same: an orchestrator must not restart it for a dependency's outage.
    assert httpx.get(guarded_server.url + "/health", timeout=5).status_code == 200
    double.reset()  # the backend is back
    checks = httpx.get(guarded_server.url + "/ready", timeout=10).json()["checks"]
    assert checks["backend"]["ok"] is True


def test_metrics_token_is_required_when_set(guarded_server: AppServer) -> None:
    refused = httpx.get(guarded_server.url + "/metrics", timeout=5)
    assert refused.status_code == 401
    assert "GUICHET_METRICS_TOKEN" in refused.json()["detail"]
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(guarded_server.url + "/metrics", headers=wrong, timeout=5).status_code == 401
    found = samples(guarded_server.url, {"Authorization": "Bearer scrape-secret"})
    assert value(found, "guichet_knowledge_fiches") > 0


WORKER = textwrap.dedent(
    """
    import sys
    from chatbot import metrics
    from chatbot.flows.status import Status
    from chatbot.turn import TurnResult

    for _ in range(int(sys.argv[1])):
        metrics.record_turn(
            TurnResult(turn_id="t", thread_id="x", flow="citizen", status=Status.answered,
                       answer="", timings={"retrieve": 12.0, "total": 800.0}),
            0.4,
        )
    metrics.session_opened()
    metrics.record_knowledge(chunks=int(sys.argv[2]), fiches=3)
    """
)


def render_in(env: dict[str, str]) -> dict[tuple, float]:
    code = "import sys; from chatbot import metrics; sys.stdout.write(metrics.render().decode())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(out)
        for s in family.samples
    }


def test_metrics_of_several_workers_are_summed(tmp_path: Path) -> None:
    """Each worker process writes its own figures; /metrics (any worker) sums them."""
    from chatbot import metrics

    folder = metrics.prepare_multiprocess_dir(tmp_path / "prometheus")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    os.environ.pop(metrics.MULTIPROC_ENV)  # set for the workers only, not for this process
    env[metrics.MULTIPROC_ENV] = str(folder)
    pids = []
    for turns, chunks in ((2, 40), (3, 41)):
        worker = subprocess.Popen([sys.executable, "-c", WORKER, str(turns), str(chunks)], env=env)
        assert worker.wait(timeout=120) == 0
        pids.append(worker.pid)
    found = render_in(env)
    assert value(found, "guichet_turns_total", flow="citizen", status="answered") == 5
    assert value(found, "guichet_step_seconds_count", step="retrieve") == 5
    assert value(found, "guichet_first_token_seconds_count", flow="citizen") == 5
    assert value(found, "guichet_active_sessions") == 2
    assert value(found, "guichet_knowledge_chunks") in (40, 41)
    # A worker that ended: its sessions stop counting, its turns stay counted.
    for pid in pids:
        metrics.worker_exited(pid, folder)
    found = render_in(env)
    assert value(found, "guichet_active_sessions") == 0
    assert value(found, "guichet_turns_total", flow="citizen", status="answered") == 5


async def test_redis_probe_speaks_to_a_real_redis() -> None:
    """The /ready probe against the Redis on 127.0.0.1:6379: up, refused, wrong password."""
    from chatbot.web.health import _timed, redis_check

    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", 6379)
        writer.close()
    except OSError:
        pytest.skip("Redis not reachable on 127.0.0.1:6379")
    name, up = await _timed("redis", redis_check("redis://127.0.0.1:6379/0"), 2)
    assert up.ok and up.detail == "127.0.0.1:6379"
    _, down = await _timed("redis", redis_check(f"redis://127.0.0.1:{free_port()}"), 2)
    assert not down.ok and "Connect" in down.detail
    _, refused = await _timed("redis", redis_check("redis://nobody:wrong@127.0.0.1:6379/0"), 2)
    assert not refused.ok and "AUTH answered" in refused.detail
    assert "wrong" not in refused.detail  # a password never reaches the operator's screen


def turn_workers(log: str) -> list[int]:
    """The worker index of every ``turn_finished`` line of a server's JSON log."""
    found = []
    for line in log.splitlines():
        if line.startswith("{") and '"turn_finished"' in line:
            event = json.loads(line)
            if event.get("event") == "turn_finished":
                found.append(event.get("worker"))
    return found


async def test_metrics_of_two_serving_workers_are_summed(
    albert: FakeAlbert, double, tmp_path: Path
) -> None:
    """``chatbot serve --workers 2``: whichever worker answers /metrics, it counts both."""
    server = AppServer(
        {
            "GUICHET_WORKERS": "2",
            "GUICHET_INSTANCE": "public",
            "GUICHET_BACKEND_URL": albert.url,
            "GUICHET_API_KEY": albert.api_key,
            "GUICHET_DATA_DIR": str(tmp_path / "data"),
        },
        tmp_path,
    )
    try:
        server.wait_ready(deadline_s=900)
        deadline = time.monotonic() + 900
        while server.logs().count('"services_ready"') < 2:  # both workers, not the first only
            assert time.monotonic() < deadline and server.process.poll() is None, server.logs()
            time.sleep(0.5)
        for _ in range(16):  # new conversations until each worker has answered one
            chat = await Chat.open(server.url)
            try:
                await chat.ask("Comment renouveler ma carte d'identité ?")
            finally:
                await chat.close()
            if len(set(turn_workers(server.logs()))) == 2:
                break
        turns = turn_workers(server.logs())
        assert len(set(turns)) == 2, turns
        for _ in range(6):  # new connections: the kernel hands them to either worker
            found = samples(server.url)
            assert sum(v for k, v in found.items() if k[0] == "guichet_turns_total") == len(turns)
            assert value(found, "guichet_knowledge_fiches") > 0
    finally:
        server.stop()
