"""Client of the Albert-compatible model backend: chat (streamed or not), embeddings, rerank.

Every text sent must be an ``Outbound`` (it went through the privacy gate or was published
by an editor); a plain ``str`` raises ``TypeError`` before anything leaves the process.

Every failure surfaces as one ``BackendError`` subclass with a ``kind`` the flow turns into a
named status. One function, ``to_backend_error``, maps whatever the SDK or the transport
raised; messages are English, for operators, and never carry the text of a prompt (the SDK's
own messages can echo the request body, e.g. in a 422, so they are not reused).

Retries are ours, not the SDK's (it is built with ``max_retries=0``): the SDK honours a
``Retry-After`` of up to two minutes and also retries 504s and timeouts, while a citizen is
waiting on the other end. We retry 429 and 500/502/503 only, wait ``Retry-After`` capped at
``settings.retry_max_wait`` (exponential backoff with jitter when there is none), and never
retry a stream once text has been handed to the caller.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
import openai
from pydantic import BaseModel, ValidationError

from chatbot.logs import get_logger
from chatbot.outbound import Outbound, require_outbound
from chatbot.settings import Settings, SettingsError

try:  # the transport of openai>=3; older SDKs use httpx itself
    import httpx2  # type: ignore[import-not-found]

    _TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, httpx2.TransportError)
    _TIMEOUT_ERRORS: tuple[type[Exception], ...] = (httpx.TimeoutException, httpx2.TimeoutException)
except ImportError:  # pragma: no cover - depends on the installed SDK
    _TRANSPORT_ERRORS = (httpx.TransportError,)
    _TIMEOUT_ERRORS = (httpx.TimeoutException,)

log = get_logger("guichet.backend")

T = TypeVar("T")

EMBED_BATCH = 64
CHAT_TYPES = {"text-generation", "image-text-to-text"}
EMBEDDING_TYPES = {"text-embeddings-inference"}
RERANK_TYPES = {"text-classification"}
_BACKOFF_START = 0.5


# --- errors ---------------------------------------------------------------------------------


class BackendError(Exception):
    """A backend call failed; ``kind`` names why, ``status`` is the HTTP status if any."""

    kind = "backend"

    def __init__(self, message: str, *, endpoint: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status


class BackendAuthError(BackendError):
    kind = "auth"


class ModelNotFound(BackendError):
    kind = "model_not_found"


class InvalidRequest(BackendError):
    kind = "invalid_request"


class RateLimited(BackendError):
    kind = "rate_limited"


class BackendUnavailable(BackendError):
    kind = "unavailable"


class BackendTimeout(BackendError):
    kind = "timeout"


class BackendUnreachable(BackendError):
    kind = "unreachable"


class StreamInterrupted(BackendError):
    kind = "stream_interrupted"


class BackendProtocolError(BackendError):
    kind = "protocol"


class BackendConfigError(SettingsError):
    """The configured backend cannot serve this installation; one line for the operator."""


_RETRYABLE = (RateLimited, BackendUnavailable)


def _status_error(status: int, endpoint: str, body: object) -> BackendError:
    where = f"backend {endpoint}"
    if status in (401, 403):
        return BackendAuthError(
            f"{where}: HTTP {status}, API key refused (check GUICHET_API_KEY)",
            endpoint=endpoint,
            status=status,
        )
    if status == 404:
        return ModelNotFound(
            f"{where}: HTTP 404, model or route not found", endpoint=endpoint, status=status
        )
    if status in (400, 422):
        return InvalidRequest(
            f"{where}: HTTP {status}, request rejected{_field_problems(body)}",
            endpoint=endpoint,
            status=status,
        )
    if status == 429:
        return RateLimited(f"{where}: HTTP 429, rate limited", endpoint=endpoint, status=status)
    if status == 504:
        return BackendTimeout(
            f"{where}: HTTP 504, gateway timed out", endpoint=endpoint, status=status
        )
    if status >= 500:
        return BackendUnavailable(
            f"{where}: HTTP {status}, backend unavailable", endpoint=endpoint, status=status
        )
    return BackendProtocolError(
        f"{where}: unexpected HTTP {status}", endpoint=endpoint, status=status
    )


def _field_problems(body: object) -> str:
    """Which fields a 422 names, without the ``input`` values (they may hold the prompt)."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list):
        return ""
    problems = []
    for item in detail[:5]:
        if isinstance(item, dict):
            loc = ".".join(str(part) for part in item.get("loc", []) if part != "body")
            problems.append(f"{loc or 'body'}: {str(item.get('msg', ''))[:80]}")
    return " (" + "; ".join(problems) + ")" if problems else ""


def to_backend_error(
    exc: BaseException, endpoint: str, *, streaming: bool = False
) -> BackendError | None:
    """Map anything a backend call raised to a ``BackendError``; ``None`` for our own bugs."""
    where = f"backend {endpoint}"
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc.status_code, endpoint, exc.body)
    if isinstance(exc, (openai.APITimeoutError, *_TIMEOUT_ERRORS)):
        return BackendTimeout(f"{where}: no answer within the timeout", endpoint=endpoint)
    if isinstance(exc, (openai.APIConnectionError, *_TRANSPORT_ERRORS)):
        if streaming:
            return StreamInterrupted(
                f"{where}: connection dropped in the middle of a stream", endpoint=endpoint
            )
        return BackendUnreachable(
            f"{where}: cannot connect (check GUICHET_BACKEND_URL and the network)",
            endpoint=endpoint,
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return BackendProtocolError(f"{where}: unexpected response body", endpoint=endpoint)
    if isinstance(exc, openai.APIError):
        # An error event inside an SSE stream, or another SDK-level failure.
        cls = StreamInterrupted if streaming else BackendProtocolError
        return cls(f"{where}: backend reported an error", endpoint=endpoint)
    if isinstance(exc, (ValidationError, json.JSONDecodeError)):
        return BackendProtocolError(f"{where}: unexpected response body", endpoint=endpoint)
    return None


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``Retry-After`` secs or date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is None:
                continue
            seconds = email.utils.mktime_tz(parsed) - time.time()
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


# --- data at the boundary -------------------------------------------------------------------


class ModelInfo(BaseModel):
    id: str
    type: str | None = None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class RerankResult(BaseModel):
    index: int
    score: float


class _ModelList(BaseModel):
    data: list[ModelInfo]


class _NewRerankItem(BaseModel):
    index: int
    relevance_score: float


class _OldRerankItem(BaseModel):
    index: int
    score: float


def _check_messages(messages: list[dict]) -> None:
    """Every message text must be Outbound, including text parts of multi-part contents."""
    texts: list[object] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            texts.extend(part.get("text") for part in content if part.get("type") == "text")
        else:
            texts.append(content)
    require_outbound(texts, "chat message")


def _parse_rerank(data: object, count: int) -> list[RerankResult]:
    if not isinstance(data, dict):
        raise BackendProtocolError(
            "backend rerank: response is not a JSON object", endpoint="rerank"
        )
    try:
        if isinstance(data.get("results"), list):
            items = [_NewRerankItem.model_validate(i) for i in data["results"]]
            results = [RerankResult(index=i.index, score=i.relevance_score) for i in items]
        elif isinstance(data.get("data"), list):
            olds = [_OldRerankItem.model_validate(i) for i in data["data"]]
            results = [RerankResult(index=i.index, score=i.score) for i in olds]
        else:
            raise BackendProtocolError(
                "backend rerank: neither 'results' nor 'data' in the response", endpoint="rerank"
            )
    except ValidationError:
        raise BackendProtocolError(
            "backend rerank: unexpected item in the response", endpoint="rerank"
        ) from None
    if any(not 0 <= r.index < count for r in results):
        raise BackendProtocolError("backend rerank: index out of range", endpoint="rerank")
    return sorted(results, key=lambda r: r.score, reverse=True)


# --- streaming ------------------------------------------------------------------------------


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

    async def _run(self) -> AsyncIterator[str]:
        backend = self._backend
        attempt = 0
        while True:
            yielded = 0
            stream = await backend._call(
                "chat",
                lambda: backend.client.chat.completions.create(
                    stream=True, stream_options={"include_usage": True}, **self._request
                ),
            )
            try:
                async for chunk in stream:
                    if chunk.usage is not None:
                        self.usage = Usage.model_validate(chunk.usage.model_dump())
                    for choice in chunk.choices:
                        if choice.finish_reason:
                            self.finish_reason = choice.finish_reason
                        if choice.delta is not None and choice.delta.content:
                            yielded += 1
                            yield choice.delta.content
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
                raise error from None
            finally:
                await stream.close()


# --- the client -----------------------------------------------------------------------------


class Backend:
    """One Albert-compatible backend, configured by the operator's settings."""

    def __init__(self, settings: Settings) -> None:
        if not settings.backend_url:
            raise BackendConfigError("GUICHET_BACKEND_URL is empty: no model backend configured")
        self.settings = settings
        self.client = openai.AsyncOpenAI(
            base_url=settings.backend_url,
            # Keyless local servers (vLLM, Ollama) accept any key; the SDK insists on one.
            api_key=settings.api_key.get_secret_value() or "no-key",
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            max_retries=0,  # see the module docstring: retries are ours
        )
        self._rerank_shape: str | None = None  # "new" or "old", once one has worked

    # plumbing

    def _retry_wait(
        self,
        error: BackendError,
        exc: BaseException,
        attempt: int,
        retryable: tuple[type[BackendError], ...] = _RETRYABLE,
    ) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or None not to retry."""
        if not isinstance(error, retryable) or attempt >= self.settings.max_retries:
            return None
        cap = self.settings.retry_max_wait
        asked = _retry_after(exc)
        if asked is not None and asked > 0:
            return min(asked, cap)
        backoff = _BACKOFF_START * (2**attempt) * (1 - 0.25 * random.random())
        return min(backoff, cap)

    async def _call(self, endpoint: str, send: Callable[[], Awaitable[T]]) -> T:
        """Run one request, retrying what is worth retrying; raise only BackendErrors."""
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                result = await send()
            except Exception as exc:
                error = to_backend_error(exc, endpoint)
                if error is None:
                    raise
                wait = self._retry_wait(error, exc, attempt)
                log.warning(
                    "backend_error",
                    endpoint=endpoint,
                    kind=error.kind,
                    status=error.status,
                    attempt=attempt,
                    retry_in_s=wait,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
                if wait is None:
                    raise error from None
                await asyncio.sleep(wait)
                attempt += 1
                continue
            log.debug(
                "backend_call",
                endpoint=endpoint,
                attempt=attempt,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return result

    # API

    async def list_models(self) -> list[ModelInfo]:
        data = await self._call("models", lambda: self.client.get("/models", cast_to=object))
        try:
            return _ModelList.model_validate(data).data
        except ValidationError:
            raise BackendProtocolError(
                "backend models: unexpected response body", endpoint="models"
            ) from None

    async def verify(self) -> None:
        """Check the URL, the key and the configured models; raise one line if anything is off."""
        url = self.settings.backend_url
        try:
            models = await self.list_models()
        except BackendUnreachable:
            raise BackendConfigError(
                f"Model backend unreachable at {url}: check GUICHET_BACKEND_URL"
            ) from None
        except BackendAuthError:
            raise BackendConfigError(
                f"Model backend at {url} refused the API key: check GUICHET_API_KEY"
            ) from None
        except BackendError as exc:
            raise BackendConfigError(
                f"Model backend at {url} failed to list models ({exc.kind}): {exc}"
            ) from None
        types = {m.id: m.type for m in models}
        wanted = [("GUICHET_CHAT_MODEL", self.settings.chat_model, CHAT_TYPES)]
        if self.settings.use_backend_embeddings:
            wanted.append(
                ("GUICHET_EMBEDDING_MODEL", self.settings.embedding_model, EMBEDDING_TYPES)
            )
        if self.settings.use_rerank:
            wanted.append(("GUICHET_RERANK_MODEL", self.settings.rerank_model, RERANK_TYPES))
        problems = []
        for setting, name, accepted in wanted:
            if name not in types:
                available = ", ".join(sorted(types)) or "none"
                problems.append(f"{setting}={name} is not served (available: {available})")
            elif types[name] is not None and types[name] not in accepted:
                # A server that gives no type (vLLM, Ollama) is taken at its word.
                expected = "/".join(sorted(accepted))
                problems.append(f"{setting}={name} has type {types[name]}, expected {expected}")
        if problems:
            raise BackendConfigError(f"Model backend at {url}: " + "; ".join(problems))

    def stream_chat(
        self,
        messages: list[dict],
        *,
        model: str | None = None,
        temperature: float = 0.2,
        max_tokens: int = 800,
    ) -> ChatStream:
        _check_messages(messages)
        request = {
            "model": model or self.settings.chat_model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        return ChatStream(self, request)

    async def complete(
        self,
        messages: list[dict],
        *,
        model: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 300,
    ) -> str:
        _check_messages(messages)
        response = await self._call(
            "chat",
            lambda: self.client.chat.completions.create(
                model=model or self.settings.chat_model,
                messages=messages,  # type: ignore[arg-type]
                temperature=temperature,
                max_tokens=max_tokens,
            ),
        )
        try:
            content = response.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise BackendProtocolError("backend chat: no message in the response", endpoint="chat")
        return content

    async def embed(
        self, texts: Sequence[Outbound], *, model: str | None = None
    ) -> list[list[float]]:
        require_outbound(texts, "embedding input")
        name = model or self.settings.embedding_model
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = list(texts[start : start + EMBED_BATCH])
            response = await self._call(
                "embeddings",
                lambda batch=batch: self.client.embeddings.create(
                    model=name, input=batch, encoding_format="float"
                ),
            )
            try:
                data = sorted(response.data, key=lambda item: item.index)
            except (AttributeError, TypeError):  # a non-JSON body comes back as plain text
                data = []
            if len(data) != len(batch) or not all(isinstance(d.embedding, list) for d in data):
                raise BackendProtocolError(
                    "backend embeddings: wrong number or format of vectors", endpoint="embeddings"
                )
            vectors.extend([float(x) for x in d.embedding] for d in data)
        return vectors

    async def rerank(
        self,
        query: Outbound,
        documents: Sequence[Outbound],
        *,
        model: str | None = None,
        top_n: int | None = None,
    ) -> list[RerankResult]:
        """Score documents against the query, best first.

        Albert changed the body of ``/rerank``: we try the newer ``{query, documents}`` shape,
        fall back to the older ``{prompt, input}`` on 404/422, and remember what worked.
        """
        require_outbound([query], "rerank query")
        require_outbound(documents, "rerank document")
        if not documents:
            return []
        name = model or self.settings.rerank_model
        bodies = {
            "new": {"model": name, "query": query, "documents": list(documents)}
            | ({"top_n": top_n} if top_n is not None else {}),
            "old": {"model": name, "prompt": query, "input": list(documents)},
        }
        order = ["new", "old"] if self._rerank_shape != "old" else ["old", "new"]
        for position, shape in enumerate(order):
            try:
                data = await self._call(
                    "rerank",
                    lambda shape=shape: self.client.post(
                        "/rerank", body=bodies[shape], cast_to=object
                    ),
                )
            except (ModelNotFound, InvalidRequest):
                if position == len(order) - 1:
                    raise
                continue
            results = _parse_rerank(data, len(documents))
            if self._rerank_shape != shape:
                log.info("backend_rerank_shape", shape=shape)
                self._rerank_shape = shape
            return results[:top_n] if top_n is not None else results
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self.client.close()
