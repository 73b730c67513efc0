"""``chatbot bench load``: N conversations, one question after another with a think time,
through the library (``run_turn``) or through a running server's socket.io protocol.

Every conversation follows the same script, a question then a follow-up the model rewrites
("Et pour un enfant ?"), so every turn at one place of the script costs the model the same
time: a calibration conversation measures it on the double before the load starts, and a
turn's *added* latency is its time minus that.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

from chatbot.bench import procs
from chatbot.bench.report import Report, Sample

SCRIPT = ["Comment refaire ma carte d'identité ?", "Et pour un enfant ?"]
ANSWERED = ("answered", "answered_excerpts")


class Conversation(Protocol):
    async def ask(self, text: str) -> tuple[float | None, float, bool]:
        """(time to first token, turn time, answered) in seconds."""
        ...

    async def close(self) -> None: ...

    @property
    def disconnected(self) -> bool: ...


Opener = Callable[[], Awaitable[Conversation]]


# --- through the library -------------------------------------------------------------------


class LibraryConversation:
    disconnected = False

    def __init__(self, services: Any) -> None:
        self.services = services
        self.thread_id = "bench-" + uuid.uuid4().hex
        self.privacy = services.privacy()

    async def ask(self, text: str) -> tuple[float | None, float, bool]:
        from chatbot.turn import Token, TurnResult, run_turn

        started = time.perf_counter()
        first: float | None = None
        status = ""
        async for event in run_turn(
            self.services, text, thread_id=self.thread_id, privacy=self.privacy
        ):
            if isinstance(event, Token) and event.text and first is None:
                first = time.perf_counter() - started
            elif isinstance(event, TurnResult):
                status = event.status.value
        return first, time.perf_counter() - started, status in ANSWERED

    async def close(self) -> None:
        return None


# --- through the server ---------------------------------------------------------------------


class ServerConversation:
    def __init__(self, chat: Any) -> None:
        self.chat = chat

    @property
    def disconnected(self) -> bool:
        return self.chat.disconnected

    @classmethod
    async def open(cls, url: str) -> ServerConversation:
        from chatbot.bench.client import Chat, anonymous_cookie

        cookie = await anonymous_cookie(url)
        return cls(await Chat.open(url, cookie=cookie, settle_s=0.5))

    async def ask(self, text: str) -> tuple[float | None, float, bool]:
        turn = await self.chat.turn(text, timeout=180)
        status = (turn.step.get("metadata") or {}).get("status", "")
        return turn.first_token_s, turn.total_s, status in ANSWERED

    async def close(self) -> None:
        try:
            await self.chat.end_visit()
        except Exception:  # already gone: counted as a disconnect
            pass


# --- the model's own time -------------------------------------------------------------------


async def model_seconds(double_url: str) -> float:
    """Everything the double's model spent so far (seconds)."""
    base = double_url.removesuffix("/v1")
    async with httpx.AsyncClient(timeout=10) as client:
        spent = (await client.get(base + "/double/model-time")).json()
    return sum(seconds for _calls, seconds in spent.values())


async def calibrate(open_conversation: Opener, double_url: str) -> dict[int, float]:
    """One conversation alone through the script: the model's time at each place (it also
    warms the server up)."""
    conversation = await open_conversation()
    spent: dict[int, float] = {}
    try:
        for position, question in enumerate(SCRIPT):
            before = await model_seconds(double_url)
            await conversation.ask(question)
            spent[position] = await model_seconds(double_url) - before
    finally:
        await conversation.close()
    return spent


# --- the run ----------------------------------------------------------------------------------


class Meter:
    """CPU time and peak memory of a process tree, sampled while the load runs."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.peak = 0
        self.cpu_start = procs.cpu_seconds(pid) if pid else 0.0
        self._task: asyncio.Task | None = None

    async def _sample(self) -> None:
        while self.pid:
            self.peak = max(self.peak, procs.rss_bytes(self.pid))
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self.cpu_start = procs.cpu_seconds(self.pid) if self.pid else 0.0
        self._task = asyncio.create_task(self._sample())

    def stop(self, report: Report) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.pid:
            report.cpu_s = procs.cpu_seconds(self.pid) - self.cpu_start
            report.peak_rss = max(self.peak, procs.rss_bytes(self.pid))


async def run_load(
    report: Report,
    open_conversation: Opener,
    *,
    duration_s: float,
    max_turns: int | None,
    measure_pid: int | None,
    connect_at_once: int = 20,
) -> Report:
    """Open the conversations, then let each ask the script over and over (a think time
    between turns, first turns spread over one think time) until the duration or the number
    of turns is reached; turns under way finish."""
    gate = asyncio.Semaphore(connect_at_once)

    def failed(kind: str) -> None:
        report.errors += 1
        report.error_kinds[kind] = report.error_kinds.get(kind, 0) + 1

    async def opened() -> Conversation | None:
        async with gate:
            try:
                return await open_conversation()
            except Exception as exc:
                failed(f"open: {type(exc).__name__}")
                return None

    conversations = await asyncio.gather(*(opened() for _ in range(report.conversations)))
    started_turns = 0
    meter = Meter(measure_pid)
    meter.start()
    start = time.perf_counter()
    deadline = start + duration_s

    def may_start() -> bool:
        nonlocal started_turns
        if time.perf_counter() >= deadline or (max_turns and started_turns >= max_turns):
            return False
        started_turns += 1
        return True

    async def converse(conversation: Conversation) -> None:
        await asyncio.sleep(random.uniform(0, report.think_s))
        position = 0
        while may_start():
            try:
                first, total, ok = await conversation.ask(SCRIPT[position])
                if not ok:
                    failed("not answered")
            except Exception as exc:
                first, total, ok = None, 0.0, False
                failed(type(exc).__name__)
            sample = Sample(position=position, first_token_s=first, total_s=total, ok=ok)
            report.samples.append(sample)
            if conversation.disconnected:
                report.disconnects += 1
                return
            position = (position + 1) % len(SCRIPT)
            if time.perf_counter() + report.think_s >= deadline:
                return  # no time left for another turn: the run's wall time stops here
            await asyncio.sleep(report.think_s)

    await asyncio.gather(*(converse(c) for c in conversations if c is not None))
    report.wall_s = time.perf_counter() - start
    meter.stop(report)
    await asyncio.gather(*(c.close() for c in conversations if c is not None))
    return report


def own_pid() -> int:
    return os.getpid()
