"""Recorded requests and the faults a real deployment shows, as Albert (or its proxy) sends
them: 429 without ``Retry-After`` (2026: with ``x-ratelimit-*`` headers), 400 "Insufficient
budget.", 503 with ``Retry-After``, an nginx 504 HTML page, 403, 404, 422, a stream cut
mid-answer, an error event in a started stream, a slow answer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

from chatbot.fake_albert import versions
from chatbot.fake_albert.versions import Version

FAULTS = ("429", "503", "504", "403", "404", "422", "budget", "cut", "stream_error", "slow")
# Faults that act inside a started stream rather than answering with an error status.
STREAM_FAULTS = ("cut", "stream_error")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    body: bytes = b""
    limit_headers: dict[str, str] = field(default_factory=dict)  # sent with the answer (2026)
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    kind: str
    times: int
    path: str | None
    params: dict[str, Any]

    def matches(self, path: str, streamed: bool) -> bool:
        if self.path is not None and not path.rstrip("/").endswith(self.path.rstrip("/")):
            return False
        # A stream fault only makes sense on a streamed chat; other calls pass untouched.
        return self.kind not in STREAM_FAULTS or (streamed and path.endswith("/chat/completions"))

    @property
    def delay(self) -> float:
        """How long a "slow" fault holds the request before answering normally."""
        return float(self.params.get("seconds", 2.0))

    def response(self, version: Version = "2026") -> Response:
        """The error response of an HTTP fault (not a stream fault nor "slow")."""
        params = self.params
        if self.kind == "429":
            reset = float(params.get("reset", 1.0))
            headers = versions.limit_headers(int(params.get("limit", 10)), 0, reset)
            return versions.rate_limited(version, "albert-large", headers)
        if self.kind == "budget":
            return versions.budget()
        if self.kind == "503":
            return JSONResponse(
                {"detail": "Model is too busy, please try again later."},
                status_code=503,
                headers={"Retry-After": str(params.get("retry_after", 10))},
            )
        if self.kind == "504":
            return HTMLResponse(
                "<html><body><h1>504 Gateway Time-out</h1></body></html>", status_code=504
            )
        if self.kind == "403":
            return JSONResponse({"detail": "Invalid API key."}, status_code=403)
        if self.kind == "404":
            return versions.model_not_found(version, "albert-large")
        detail = [
            {"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {}}
        ]
        return JSONResponse({"detail": detail}, status_code=422)


class Cut(Exception):
    """Raised inside a stream to drop the connection mid-answer."""


class SSEResponse(Response):
    """A streamed response that, on a cut, drops the connection instead of ending cleanly."""

    def __init__(self, chunks: AsyncIterator[bytes], headers: dict[str, str] | None = None) -> None:
        # No Content-Length: uvicorn then uses chunked encoding, as a real SSE endpoint does.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            *[(k.encode(), v.encode()) for k, v in (headers or {}).items()],
        ]
        self.chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            async for data in self.chunks:
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except Cut:
            # Returning without the final empty body makes uvicorn close the connection
            # mid-chunked-body: the client sees a peer that hung up, as with a crashed worker.
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
