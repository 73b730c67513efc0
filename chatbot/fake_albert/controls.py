"""What a caller controls and inspects on the fake Albert: its key, its answers, its pace,
the faults it injects and the log of every request it received."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatbot.fake_albert import versions
from chatbot.fake_albert.faults import FAULTS, STREAM_FAULTS, Fault, RecordedRequest
from chatbot.fake_albert.model import DEFAULT_MODELS, DEFAULT_TRANSCRIPT, default_responder
from chatbot.fake_albert.versions import VERSIONS, Version

Responder = Callable[[dict[str, Any]], str]


class Controls:
    def __init__(
        self,
        api_key: str = "test-key",
        responder: Responder | None = None,
        version: Version = "2026",
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"unknown Albert version {version!r}; choose from {VERSIONS}")
        self.api_key = api_key
        self.version: Version = version
        self.responder: Responder = responder or default_responder
        self._initial_responder = self.responder
        self.latency: float = 0.0
        self.tokens_per_second: float | None = None
        # A realistic model's pace (``chatbot bench load``): seconds before the first token of
        # every chat call, streamed or not, and answers padded to about this many tokens.
        self.first_token: float = 0.0
        self.answer_tokens: int | None = None
        # The model's own time, per kind of chat call: kind -> [calls, seconds].
        self.model_time: dict[str, list[float]] = {}
        self.keep_requests = True
        self.models: list[dict[str, Any]] = copy.deepcopy(DEFAULT_MODELS)
        self.transcript = DEFAULT_TRANSCRIPT
        # Models that think before answering (their thoughts cost tokens, see routes.chat);
        # think_tags: thoughts inline in <think> tags (vLLM without a reasoning parser).
        self.reasoning: set[str] = set()
        self.think_tags = False
        self.cost_per_call = 0.0
        self._limit: tuple[int, float] | None = None  # requests per window (2026 headers)
        self._window: tuple[float, int] = (0.0, 0)  # start, requests counted
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    # models

    def add_model(
        self, model_id: str, type: str, aliases: list[str] | None = None, **fields: Any
    ) -> None:
        self.models.append({"id": model_id, "type": type, "aliases": aliases or [], **fields})

    def point_alias(self, alias: str, model_id: str, type: str | None = None) -> None:
        """Move ``alias`` to ``model_id`` (added when new): a model swapped behind an alias."""
        for model in self.models:
            if alias in model["aliases"]:
                model["aliases"].remove(alias)
        target = next((m for m in self.models if m["id"] == model_id), None)
        if target is None:
            self.add_model(model_id, type or "text-generation", [alias])
        else:
            target["aliases"].append(alias)

    def find_model(self, name: str) -> dict[str, Any] | None:
        """The model an id or alias names, as Albert resolves it on every endpoint."""
        for model in self.models:
            if model["id"] == name or name in model["aliases"]:
                return model
        return None

    def rate_limit(self, requests: int | None, window: float = 60.0) -> None:
        """Allow ``requests`` per ``window`` seconds (None: unlimited). 2026 reports the window
        in ``x-ratelimit-*`` headers on every answer; both versions answer 429 past it."""
        self._limit = None if requests is None else (requests, window)
        self._window = (time.monotonic(), 0)

    def count_request(self) -> tuple[bool, dict[str, str]]:
        """Charge one request to the window: (allowed, the 2026 headers to send)."""
        if self._limit is None:
            return True, versions.limit_headers(None, None, 0)
        limit, window = self._limit
        with self._lock:
            start, used = self._window
            now = time.monotonic()
            if now - start >= window:
                start, used = now, 0
            allowed = used < limit
            used += 1 if allowed else 0
            self._window = (start, used)
            reset = window - (now - start)
        return allowed, versions.limit_headers(limit, max(0, limit - used), reset)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget requests and faults; restore latency, pacing, models, limits and responder
        (the version stays)."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
        self.latency = 0.0
        self.tokens_per_second = None
        self.first_token = 0.0
        self.answer_tokens = None
        self.model_time = {}
        self.keep_requests = True
        self.responder = self._initial_responder
        self.models = copy.deepcopy(DEFAULT_MODELS)
        self.transcript = DEFAULT_TRANSCRIPT
        self.reasoning = set()
        self.think_tags = False
        self.cost_per_call = 0.0
        self._limit = None

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

    def charge_model_time(self, kind: str, pieces: int) -> float:
        """The time a model at this pace spends on a call of ``pieces`` tokens (first token,
        then one per ``1/tokens_per_second``), added to ``model_time`` for the benchmark."""
        pace = 1.0 / self.tokens_per_second if self.tokens_per_second else 0.0
        seconds = self.first_token + max(0, pieces - 1) * pace if self.first_token else 0.0
        with self._lock:
            calls = self.model_time.setdefault(kind, [0, 0.0])
            calls[0] += 1
            calls[1] += seconds
        return seconds

    def model_time_so_far(self) -> dict[str, list[float]]:
        with self._lock:
            return {kind: list(calls) for kind, calls in self.model_time.items()}

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # used by the routes

    def authorised(self, recorded: RecordedRequest) -> bool:
        return recorded.headers.get("authorization", "") == f"Bearer {self.api_key}"

    def auth_error(self, recorded: RecordedRequest) -> Response:
        return versions.auth_error(self.version, recorded.headers.get("authorization", ""))

    async def record(self, request: Request) -> tuple[RecordedRequest, Fault | None]:
        """Log the request and take the first pending fault that matches it."""
        raw = await request.body()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:  # multipart (audio) or garbage
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
            if self.keep_requests:
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
        self, request: Request, *, form: bool = False
    ) -> tuple[RecordedRequest, Fault | None, Response | None]:
        """Record, apply a fault, check auth, the rate limit and JSON (unless ``form``);
        a response here ends the request."""
        recorded, fault = await self.record(request)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind not in STREAM_FAULTS:
                return recorded, fault, fault.response(self.version)
        if not self.authorised(recorded):
            return recorded, fault, self.auth_error(recorded)
        allowed, headers = self.count_request()
        recorded.limit_headers = headers if self.version == "2026" else {}
        if not allowed:
            model = (recorded.json or {}).get("model", "") if not form else ""
            return recorded, fault, versions.rate_limited(self.version, model, headers)
        if not form and not isinstance(recorded.json, dict):
            detail = [
                {"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error", "input": {}}
            ]
            return recorded, fault, JSONResponse({"detail": detail}, status_code=422)
        return recorded, fault, None
