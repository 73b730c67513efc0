"""One streamed answer: text deltas, Albert's usage chunk, and the errors a stream can end on.

A stream can fail after its 200 has started, in three shapes (docs/albert-spec.md §2):
OpenGateLLM 2026 sends ``event: error`` with ``{"detail": ...}`` (the SDK hands it over as a
chunk without ``choices``); a crash sends ``event: error`` with ``{"error": {"message"}}``
(the SDK raises ``APIError``); Albert 2025 writes raw ``{"detail": ...}`` bytes and closes
without ``[DONE]`` (no finish chunk). Each ends as a ``BackendError``, never a ``TypeError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from openai import AsyncStream

from chatbot.backend.errors import StreamInterrupted, stream_error, to_backend_error
from chatbot.backend.models import Usage, parse_usage
from chatbot.logs import get_logger

if TYPE_CHECKING:
    from chatbot.backend.client import Backend

log = get_logger("guichet.backend")
USAGE = {"include_usage": True}


# The fields of an OpenAI chat completion chunk; anything else a chunk carries is Albert's.
_CHUNK_FIELDS = frozenset(
    {"id", "choices", "created", "model", "object", "service_tier", "system_fingerprint", "usage"}
)


def _error_body(chunk: Any) -> dict | None:
    """The error a chunk carries instead of ``choices`` (``event: error`` with a detail)."""
    if not isinstance(chunk, dict):
        return {}
    if isinstance(chunk.get("choices"), list):
        return None
    return {k: v for k, v in chunk.items() if k not in _CHUNK_FIELDS}


class ChatStream:
    """Async iterator of text deltas of one streamed answer.

    ``usage`` is read from Albert's last chunk (``choices: []``), ``finish_reason`` from the
    finish chunk. A stream that ends without a finish reason, or whose connection drops,
    raises ``StreamInterrupted``. Use ``async with`` (or ``aclose()``) when you may stop early.
    """

    def __init__(self, backend: Backend, request: dict[str, Any]) -> None:
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.model: str = request["model"]
        self._backend = backend
        self._request = request
        self._iterator = self._run()

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> str:
        return await self._iterator.__anext__()

    async def aclose(self) -> None:
        await self._iterator.aclose()

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def text(self) -> str:
        """Read the whole answer."""
        return "".join([delta async for delta in self])

    def _read(self, chunk: Any) -> list[str]:
        """The deltas of one chunk (its JSON, as sent); raise if the chunk is an error event."""
        body = _error_body(chunk)
        if body is not None:
            raise stream_error(body)
        if isinstance(chunk.get("usage"), dict):
            self.usage = parse_usage(chunk["usage"])
        if isinstance(chunk.get("model"), str) and chunk["model"]:
            self.model = chunk["model"]
        deltas = []
        for choice in chunk["choices"]:
            if not isinstance(choice, dict):
                continue
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and content:
                deltas.append(content)
        return deltas

    async def _run(self) -> AsyncIterator[str]:
        backend = self._backend
        attempt = 0
        while True:
            yielded = 0
            stream = await backend._call(
                "chat",
                # The chunks as plain JSON: building the SDK's pydantic objects for every
                # token was the largest CPU cost of a turn (``chatbot bench load``).
                lambda: backend.client.post(
                    "/chat/completions",
                    body={**self._request, "stream": True, "stream_options": USAGE},
                    cast_to=object,
                    stream=True,
                    stream_cls=AsyncStream[object],
                ),
            )
            try:
                async for chunk in stream:
                    for delta in self._read(chunk):
                        yielded += 1
                        yield delta
                if self.finish_reason is None:
                    raise StreamInterrupted(
                        "backend chat: stream ended before its finish chunk", endpoint="chat"
                    )
                return
            except Exception as exc:
                error = to_backend_error(exc, "chat", streaming=True)
                if error is None:
                    raise
                # Before any text reached the caller, a dropped stream is a failed request
                # and may be retried; after that, a retry would repeat or garble the answer.
                if yielded == 0 and isinstance(error, StreamInterrupted):
                    wait = backend._retry_wait(error, exc, attempt, retryable=(StreamInterrupted,))
                    if wait is not None:
                        log.warning("backend_retry", endpoint="chat", kind=error.kind, wait_s=wait)
                        await asyncio.sleep(wait)
                        attempt += 1
                        continue
                backend._report(error)
                raise error from None
            finally:
                await stream.close()
