"""What a caller controls and inspects on the fake Albert: its key, its answers, its pace,
the faults it injects and the log of every request it received."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatbot.fake_albert.faults import FAULTS, Fault, RecordedRequest, forbidden
from chatbot.fake_albert.model import default_responder

Responder = Callable[[dict[str, Any]], str]


class Controls:
    def __init__(self, api_key: str = "test-key", responder: Responder | None = None) -> None:
        self.api_key = api_key
        self.responder: Responder = responder or default_responder
        self._initial_responder = self.responder
        self.latency: float = 0.0
        self.tokens_per_second: float | None = None
        # Which rerank body shapes the server accepts: an older Albert takes only
        # {prompt, input}, a newer one only {query, documents}.
        self.rerank_shapes: set[str] = {"new", "old"}
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget requests and faults; restore latency, pacing, rerank shapes and responder."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
        self.latency = 0.0
        self.tokens_per_second = None
        self.rerank_shapes = {"new", "old"}
        self.responder = self._initial_responder

    def inject(self, fault: str, *, times: int = 1, path: str | None = None, **params: Any) -> None:
        """Make the next ``times`` matching requests fail with ``fault`` (see FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
        with self._lock:
            self._faults.append(Fault(fault, times, path, params))

    def sent_texts(self) -> list[str]:
        """Every string found anywhere in the recorded JSON bodies (for privacy assertions)."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        for recorded in self.requests:
            walk(recorded.json)
        return found

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # used by the routes

    def authorised(self, recorded: RecordedRequest) -> bool:
        return recorded.headers.get("authorization", "") == f"Bearer {self.api_key}"

    async def record(self, request: Request) -> tuple[RecordedRequest, Fault | None]:
        """Log the request and take the first pending fault that matches it."""
        raw = await request.body()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            json=parsed,
            body=raw,
        )
        streamed = isinstance(parsed, dict) and bool(parsed.get("stream"))
        fault = None
        with self._lock:
            self._requests.append(recorded)
            for candidate in self._faults:
                if candidate.times > 0 and candidate.matches(recorded.path, streamed):
                    candidate.times -= 1
                    fault = candidate
                    break
            self._faults = [f for f in self._faults if f.times > 0]
        if self.latency:
            await asyncio.sleep(self.latency)
        return recorded, fault

    async def prelude(
        self, request: Request
    ) -> tuple[RecordedRequest, Fault | None, Response | None]:
        """Record, apply a fault or check auth and JSON; a response here ends the request."""
        recorded, fault = await self.record(request)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind != "cut":
                return recorded, fault, fault.response()
        if not self.authorised(recorded):
            return recorded, fault, forbidden()
        if not isinstance(recorded.json, dict):
            detail = [
                {"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error", "input": {}}
            ]
            return recorded, fault, JSONResponse({"detail": detail}, status_code=422)
        return recorded, fault, None
