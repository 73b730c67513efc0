"""The server's services are built in the background; health checks can tell when they are up."""

from __future__ import annotations

import asyncio

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
