"""Prometheus metrics: every figure Guichet exports, and the few functions that record them.

Recorded in one place per event: a turn's end (``chatbot.turn``), a step's failure (the
runner in ``chatbot.flows.graph``), a knowledge sync (``chatbot.knowledge.base``), a chat
session's start and end (``chatbot.app``). ``GET /metrics`` (``chatbot.web.health``) renders
them in the Prometheus text format.

Several worker processes: ``prometheus-client``'s multiprocess mode. The parent sets
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before it starts the workers
(``prepare_multiprocess_dir``); each worker writes its values there and ``/metrics``, served by
whichever worker the request reaches, sums the files of all of them. The variable must be set
before this module is first imported (the client picks its value class at import).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = ["CONTENT_TYPE_LATEST", "render"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds. Steps run from ~1 ms (normalise) to tens of seconds (a slow generation).
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80)
TURN_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120)

TURNS = Counter(
    "guichet_turns", "Conversation turns ended, by flow and named status", ["flow", "status"]
)
TURN_SECONDS = Histogram(
    "guichet_turn_seconds", "Whole turn, input to last token", ["flow"], buckets=TURN_BUCKETS
)
FIRST_TOKEN_SECONDS = Histogram(
    "guichet_first_token_seconds",
    "Time from the message to the first checked token shown (streamed turns only)",
    ["flow"],
    buckets=TURN_BUCKETS,
)
STEP_SECONDS = Histogram(
    "guichet_step_seconds",
    "Duration of each step of a turn (normalise, privacy, then the flow's steps)",
    ["step"],
    buckets=STEP_BUCKETS,
)
STEP_ERRORS = Counter(
    "guichet_step_errors",
    "Steps that failed on a dependency: kind is the backend error kind (auth, timeout, "
    "unavailable, rate_limited, ...) or the knowledge store's exception type",
    ["step", "kind"],
)
TOKENS = Counter("guichet_backend_tokens", "Tokens the backend reported", ["flow", "direction"])
COST = Counter("guichet_backend_cost", "Cost the backend reported (Albert's unit)", ["flow"])
ENERGY = Counter("guichet_backend_energy_kwh", "Energy the backend reported, kWh", ["flow"])
CARBON = Counter(
    "guichet_backend_carbon_kgco2eq", "Emissions the backend reported, kg CO2 eq.", ["flow"]
)
# Live gauges: a dead worker's sessions do not count (multiprocess "livesum").
SESSIONS = Gauge(
    "guichet_active_sessions", "Open chat sessions (browser tabs)", multiprocess_mode="livesum"
)
KB_CHUNKS = Gauge(
    "guichet_knowledge_chunks",
    "Sections of fiches in the knowledge base, as this instance serves them",
    multiprocess_mode="livemostrecent",
)
KB_FICHES = Gauge(
    "guichet_knowledge_fiches",
    "Fiches in the knowledge base, as this instance serves them",
    multiprocess_mode="livemostrecent",
)
KB_LAST_SYNC = Gauge(
    "guichet_knowledge_last_sync_timestamp_seconds",
    "Unix time of the last knowledge sync or reload",
    multiprocess_mode="livemax",
)


def record_turn(result: object, first_token_s: float | None) -> None:
    """A turn ended (``chatbot.turn.TurnResult``): status, timings and the backend's usage."""
    flow = str(getattr(result, "flow", ""))
    status = getattr(result, "status", "")
    TURNS.labels(flow=flow, status=getattr(status, "value", str(status))).inc()
    timings: dict[str, float] = dict(getattr(result, "timings", {}) or {})
    for step, ms in timings.items():
        if step != "total":
            STEP_SECONDS.labels(step=step).observe(ms / 1000)
    if "total" in timings:
        TURN_SECONDS.labels(flow=flow).observe(timings["total"] / 1000)
    if first_token_s is not None:
        FIRST_TOKEN_SECONDS.labels(flow=flow).observe(first_token_s)
    usage = getattr(result, "usage", None)
    if usage is not None:
        TOKENS.labels(flow=flow, direction="prompt").inc(usage.prompt_tokens)
        TOKENS.labels(flow=flow, direction="completion").inc(usage.completion_tokens)
        for counter, value in ((COST, usage.cost), (ENERGY, usage.kwh), (CARBON, usage.kgco2eq)):
            if value is not None and value >= 0:
                counter.labels(flow=flow).inc(value)


def record_step_error(step: str, kind: str) -> None:
    STEP_ERRORS.labels(step=step, kind=kind).inc()


def record_knowledge(chunks: int, fiches: int) -> None:
    KB_CHUNKS.set(chunks)
    KB_FICHES.set(fiches)
    KB_LAST_SYNC.set(time.time())


def session_opened() -> None:
    SESSIONS.inc()


def session_closed() -> None:
    SESSIONS.dec()


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV, "").strip()
    return Path(value) if value else None


def render() -> bytes:
    """The text exposition: every worker's values summed in multiprocess mode, else this
    process's (with the client's process and Python collectors)."""
    folder = multiprocess_dir()
    if folder is None:
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))
    return generate_latest(registry)


def prepare_multiprocess_dir(folder: Path) -> Path:
    """For the parent of several workers: an empty folder, named in the environment the
    workers inherit. Call before starting them (and before importing this module's metrics in
    a worker). Files left by a previous run would add old counts to the new ones."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def worker_exited(pid: int, folder: Path | None = None) -> None:
    """For the parent: a worker ended; its live gauges (sessions, knowledge) stop counting."""
    folder = folder or multiprocess_dir()
    if folder is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, str(folder))
