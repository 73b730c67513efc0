"""The server's services, built in the background while it already answers HTTP.

Importing spaCy, Presidio, Chroma and LangGraph and loading the French model take about
ten seconds of CPU. ``chatbot serve`` starts listening first (the page, its assets and the
login answer at once) and builds the services meanwhile: the imports in a thread, then
``Services.start``. Whatever needs them (a chat start, a message, the chat profiles) awaits
``services()``; the first user waits for the rest of the start-up, nobody gets an error.

For the health checks (``/ready``): ``is_ready()`` says whether the services are up,
``problem()`` why they are not (still starting, or what failed).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from chatbot.logs import get_logger

if TYPE_CHECKING:
    from chatbot.services import Services

log = get_logger("guichet.boot")

# Imported in a thread before the services start, so that the event loop keeps serving.
HEAVY_MODULES = (
    "chatbot.privacy.analyzer",
    "chatbot.services",
    "chatbot.threads",
    "chatbot.present",
)

_task: asyncio.Task[Services] | None = None
_started_at = 0.0
_failed: BaseException | None = None


def _import_heavy() -> None:
    from importlib import import_module

    for name in HEAVY_MODULES:
        import_module(name)


def begin(build: Callable[[], Awaitable[Services]]) -> None:
    """Start building the services in the background (once per process)."""
    global _task, _started_at
    if _task is not None:
        return
    _started_at = time.perf_counter()

    async def run() -> Services:
        try:
            await asyncio.to_thread(_import_heavy)
            services = await build()
        except BaseException as exc:
            abort(exc)
            raise
        log.info("services_started", ms=round((time.perf_counter() - _started_at) * 1000))
        return services

    _task = asyncio.create_task(run())


def abort(exc: BaseException) -> None:
    """Stop this server: its start-up failed (a wrong database URL or store, say).

    Chainlit logs and swallows what ``on_app_startup`` raises, so without this a worker
    whose start-up failed would serve pages without services. The server exits with status
    1; ``serve --workers`` restarts the worker once, then stops.
    """
    global _failed
    _failed = exc
    log.error("services_failed", error=type(exc).__name__, detail=str(exc)[:300])
    os.kill(os.getpid(), signal.SIGTERM)


async def services() -> Services:
    """The services, once built (waits for the start-up to finish)."""
    if _task is None:
        raise RuntimeError("the services were not started (boot.begin)")
    return await asyncio.shield(_task)


def current() -> Services | None:
    """The services if they are built, else None (never waits)."""
    if _task is None or not _task.done() or _task.cancelled() or _task.exception():
        return None
    return _task.result()


def is_ready() -> bool:
    return current() is not None


def failed() -> bool:
    return _failed is not None


def problem() -> str | None:
    """Why the services are not ready, in one line for operators (None when ready)."""
    if _failed is not None:
        return f"start-up failed: {type(_failed).__name__}: {str(_failed)[:200]}"
    if _task is None:
        return "not started"
    if not _task.done():
        return "starting (loading the privacy model and the knowledge base)"
    return None
