"""``chatbot bench load``: N conversations, one question after another with a think time,
through the library (``run_turn``) or through a running server's socket.io protocol.

Every conversation follows the same script, a question then a follow-up the model rewrites
("Et pour un enfant ?"), so every turn at one place of the script costs the model the same
time: a calibration conversation measures it on the double before the load starts, and a
turn's *added* latency is its time minus that.
"""

from __future__ import annotations

import asyncio
import json
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


# --- through the API --------------------------------------------------------------------------


class TurnRefused(Exception):
    """The API answered with an error (status code or an error in the stream)."""


class ApiConversation:
    """One conversation through ``POST /v1/chat/completions`` with ``stream: true``, as an
    OpenAI client sees it (SSE chunks), continued with the ``conversation_id`` it is given."""

    disconnected = False

    def __init__(self, client: httpx.AsyncClient, model: str = "citizen") -> None:
        self.client = client
        self.model = model
        self.conversation_id: str | None = None

    async def ask(self, text: str) -> tuple[float | None, float, bool]:
        body: dict[str, Any] = {
            "model": self.model,
            "stream": True,
            "messages": [{"role": "user", "content": text}],
        }
        if self.conversation_id:
            body["conversation_id"] = self.conversation_id
        started = time.perf_counter()
        first: float | None = None
        status = ""
        async with self.client.stream("POST", "/v1/chat/completions", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                raise TurnRefused(f"HTTP {response.status_code}")
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    break
                chunk = json.loads(line[6:])
                if "error" in chunk:
                    raise TurnRefused(str(chunk["error"].get("code")))
                if first is None and any(
                    (c.get("delta") or {}).get("content") for c in chunk.get("choices") or []
                ):
                    first = time.perf_counter() - started
                status = chunk.get("status") or status
                self.conversation_id = chunk.get("conversation_id") or self.conversation_id
        return first, time.perf_counter() - started, status in ANSWERED

    async def close(self) -> None:
        return None


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

    def __init__(self, pid: int | list[int] | None) -> None:
        # Several trees (instances behind nginx): CPU summed, memory summed at each sample.
        self.pids = [pid] if isinstance(pid, int) else list(pid or [])
        self.peak = 0
        self.cpu_start = self._cpu()
        self._task: asyncio.Task | None = None

    def _cpu(self) -> float:
        return sum(procs.cpu_seconds(pid) for pid in self.pids)

    def _rss(self) -> int:
        return sum(procs.rss_bytes(pid) for pid in self.pids)

    async def _sample(self) -> None:
        while self.pids:
            self.peak = max(self.peak, self._rss())
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self.cpu_start = self._cpu()
        self._task = asyncio.create_task(self._sample())

    def stop(self, report: Report) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.pids:
            report.cpu_s = self._cpu() - self.cpu_start
            report.peak_rss = max(self.peak, self._rss())


async def run_load(
    report: Report,
    open_conversation: Opener,
    *,
    duration_s: float,
    max_turns: int | None,
    measure_pid: int | list[int] | None,
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
