"""Recorded requests and the faults a real deployment shows, as Albert (or its proxy) sends
them: 429 without ``Retry-After``, 503 with it, an nginx 504 HTML page, 403, 404, 422, a
stream cut mid-answer, a slow answer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

FAULTS = ("429", "503", "504", "403", "404", "422", "cut", "slow")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    body: bytes = b""
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
        # A cut only makes sense on a streamed chat; other calls pass through untouched.
        return self.kind != "cut" or (streamed and path.endswith("/chat/completions"))

    @property
    def delay(self) -> float:
        """How long a "slow" fault holds the request before answering normally."""
        return float(self.params.get("seconds", 2.0))

    def response(self) -> Response:
        """The error response of an HTTP fault (not "cut" nor "slow")."""
        params = self.params
        if self.kind == "429":
            headers = {}
            if "retry_after" in params:
                headers["Retry-After"] = str(params["retry_after"])
            return PlainTextResponse("Rate limit exceeded", status_code=429, headers=headers)
        if self.kind == "503":
            return JSONResponse(
                {"detail": "Service temporarily unavailable, please retry later."},
                status_code=503,
                headers={"Retry-After": str(params.get("retry_after", 1))},
            )
        if self.kind == "504":
            return HTMLResponse(
                "<html><body><h1>504 Gateway Time-out</h1></body></html>", status_code=504
            )
        if self.kind == "403":
            return forbidden()
        if self.kind == "404":
            return JSONResponse({"detail": "Model not found."}, status_code=404)
        detail = [
            {"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {}}
        ]
        return JSONResponse({"detail": detail}, status_code=422)


def forbidden() -> Response:
    return JSONResponse({"detail": "Invalid authentication credentials"}, status_code=403)


class Cut(Exception):
    """Raised inside a stream to drop the connection mid-answer."""


class SSEResponse(Response):
    """A streamed response that, on a cut, drops the connection instead of ending cleanly."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        # No Content-Length: uvicorn then uses chunked encoding, as a real SSE endpoint does.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
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
