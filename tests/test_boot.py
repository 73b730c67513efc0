"""The server's services are built in the background; health checks can tell when they are up."""

from __future__ import annotations

import asyncio
import json

import pytest

from chatbot import boot


@pytest.fixture
def fresh_boot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boot, "_task", None)
    monkeypatch.setattr(boot, "_failed", None)
    monkeypatch.setattr(boot, "HEAVY_MODULES", ())  # the imports are not what is tested here


async def test_callers_wait_for_the_services_and_readiness_says_why_not(fresh_boot) -> None:
    assert not boot.is_ready() and boot.problem() == "not started"
    release = asyncio.Event()
    built = object()

    async def build():
        await release.wait()
        return built

    boot.begin(build)
    waiter = asyncio.create_task(boot.services())
    await asyncio.sleep(0.05)
    assert not boot.is_ready() and boot.current() is None
    assert "starting" in (boot.problem() or "")
    assert not waiter.done()  # a chat start waits, it does not fail

    release.set()
    assert await asyncio.wait_for(waiter, 5) is built
    assert boot.is_ready() and boot.current() is built and boot.problem() is None


async def test_a_cancelled_waiter_does_not_cancel_the_start_up(fresh_boot) -> None:
    release = asyncio.Event()

    async def build():
        await release.wait()
        return "services"

    boot.begin(build)
    impatient = asyncio.create_task(boot.services())
    await asyncio.sleep(0.05)
    impatient.cancel()  # a visitor who leaves during the start-up
    release.set()
    assert await asyncio.wait_for(boot.services(), 5) == "services"


def test_the_app_module_loads_none_of_the_heavy_libraries() -> None:
    """The page answers while spaCy, Presidio, Chroma and LangGraph load in the background:
    importing the app (every route it mounts included) must not import them."""
    import subprocess
    import sys

    heavy = ("spacy", "presidio_analyzer", "chromadb", "langgraph", "sklearn")
    code = f"import sys, chatbot.app; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    assert loaded == "", f"imported at start-up: {loaded}"


def test_a_server_whose_start_up_fails_stops_instead_of_serving_without_services(
    tmp_path,
) -> None:
    """Chainlit swallows what its start-up hook raises: a database that cannot be reached at
    start-up left a server (or a worker) answering pages that could never chat."""
    from tests.conftest import AppServer

    server = AppServer({"GUICHET_POSTGRES_URL": "postgresql://guichet@127.0.0.1:1/none"}, tmp_path)
    try:
        status = server.process.wait(timeout=180)
        logs = server.logs()
    finally:
        server.stop()
    assert status == 1, logs[-3000:]
    failed = [json.loads(line) for line in logs.splitlines() if '"services_failed"' in line]
    assert failed and "127.0.0.1" in failed[0]["detail"], logs[-3000:]
