"""The client of the Albert-compatible model backend: chat (streamed or not), embeddings,
rerank, speech transcription, and the start-up check of the configured models.

Every text sent must be an ``Outbound`` (it went through the privacy gate or was published
by an editor); a plain ``str`` raises ``TypeError`` before anything leaves the process.
Failures are ``BackendError``s (``errors``); waits and retries follow ``ratelimit``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
import openai
from pydantic import ValidationError

from chatbot.backend import ratelimit
from chatbot.backend.discovery import REASONING_MIN_TOKENS, Catalogue
from chatbot.backend.errors import (
    RETRYABLE,
    BackendAuthError,
    BackendConfigError,
    BackendError,
    BackendProtocolError,
    BackendUnreachable,
    InvalidRequest,
    ModelNotFound,
    to_backend_error,
)
from chatbot.backend.models import (
    CHAT_TYPES,
    EMBEDDING_TYPES,
    RERANK_TYPES,
    ModelInfo,
    ModelList,
    RerankResult,
    answer_text,
    check_messages,
    parse_rerank,
)
from chatbot.backend.streaming import ChatStream
from chatbot.logs import get_logger
from chatbot.outbound import Outbound, published, require_outbound
from chatbot.settings import Settings

log = get_logger("guichet.backend")

T = TypeVar("T")

EMBED_BATCH = 64
BUDGET_LINE = (
    "The Albert account's budget is exhausted (HTTP 400 'Insufficient budget.'): users get "
    "cited excerpts instead of answers until an administrator raises the budget."
)


class Backend:
    """One Albert-compatible backend, configured by the operator's settings."""

    def __init__(self, settings: Settings) -> None:
        if not settings.backend_url:
            raise BackendConfigError("GUICHET_BACKEND_URL is empty: no model backend configured")
        self.settings = settings
        self.pacer = ratelimit.Pacer(cap=settings.retry_max_wait)

        async def observe(response: Any) -> None:  # every response, streams and 429s too
            self.pacer.observe(response.headers)

        self.client = openai.AsyncOpenAI(
            base_url=settings.backend_url,
            # Keyless local servers (vLLM, Ollama) accept any key; the SDK insists on one.
            api_key=settings.api_key.get_secret_value() or "no-key",
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            max_retries=0,  # see chatbot.backend.ratelimit: retries are ours
            http_client=openai.DefaultAsyncHttpxClient(event_hooks={"response": [observe]}),
        )
        self.catalogue = Catalogue()  # filled by verify() or discover()
        self._rerank_shape: str | None = None  # "new" or "old", once one has worked

    # plumbing

    def _retry_wait(
        self,
        error: BackendError,
        exc: BaseException,
        attempt: int,
        retryable: tuple[type[BackendError], ...] = RETRYABLE,
    ) -> float | None:
        return ratelimit.retry_wait(
            error,
            exc,
            attempt,
            max_retries=self.settings.max_retries,
            cap=self.settings.retry_max_wait,
            retryable=retryable,
        )

    def _report(self, error: BackendError) -> None:
        """The failures an operator must act on get their own clear line."""
        if error.kind == "budget":
            log.error("backend_budget_exhausted", endpoint=error.endpoint, message=BUDGET_LINE)

    async def _call(self, endpoint: str, send: Callable[[], Awaitable[T]]) -> T:
        """Run one request, retrying what is worth retrying; raise only BackendErrors."""
        attempt = 0
        while True:
            await self.pacer.wait(endpoint)
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
                    self._report(error)
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

    # discovery

    async def list_models(self) -> list[ModelInfo]:
        data = await self._call("models", lambda: self.client.get("/models", cast_to=object))
        try:
            return ModelList.model_validate(data).data
        except ValidationError:
            raise BackendProtocolError(
                "backend models: unexpected response body", endpoint="models"
            ) from None

    def _wanted(self) -> list[tuple[str, str, set[str]]]:
        wanted = [("GUICHET_CHAT_MODEL", self.settings.chat_model, CHAT_TYPES)]
        if self.settings.use_backend_embeddings:
            wanted.append(
                ("GUICHET_EMBEDDING_MODEL", self.settings.embedding_model, EMBEDDING_TYPES)
            )
        if self.settings.use_rerank:
            wanted.append(("GUICHET_RERANK_MODEL", self.settings.rerank_model, RERANK_TYPES))
        return wanted

    async def _learn(self, models: list[ModelInfo]) -> None:
        """Index the models, log what each configured name resolves to, and learn the
        embedding model's dimension (it keys the knowledge base's vector space)."""
        self.catalogue = Catalogue(models)
        for setting, name, _ in self._wanted():
            if (model := self.catalogue.find(name)) is not None:
                log.info(
                    "backend_model_resolved",
                    setting=setting,
                    name=name,
                    model=model.id,
                    alias=name != model.id,
                    reasoning=self.catalogue.is_reasoning(name),
                )
        name = self.settings.embedding_model
        if self.settings.use_backend_embeddings and self.catalogue.find(name) is not None:
            vectors = await self.embed([published("dimension")], model=name)
            self.catalogue.dimensions[self.catalogue.resolve(name)] = len(vectors[0])

    async def discover(self) -> Catalogue:
        """Learn the served models without failing: a backend down at start-up is retried by
        every call, and the knowledge base falls back to offline search meanwhile."""
        try:
            await self._learn(await self.list_models())
        except BackendError as exc:
            log.warning("backend_discovery_failed", kind=exc.kind, status=exc.status)
        return self.catalogue

    async def verify(self) -> None:
        """Check the URL, the key and the configured models (by id or alias); raise one line
        if anything is off."""
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
        catalogue = Catalogue(models)
        problems = []
        for setting, name, accepted in self._wanted():
            model = catalogue.find(name)
            if model is None:
                available = ", ".join(sorted(catalogue.names)) or "none"
                problems.append(f"{setting}={name} is not served (available: {available})")
            elif model.type is not None and model.type not in accepted:
                # A server that gives no type (vLLM, Ollama) is taken at its word.
                expected = "/".join(sorted(accepted))
                problems.append(f"{setting}={name} has type {model.type}, expected {expected}")
        if problems:
            raise BackendConfigError(f"Model backend at {url}: " + "; ".join(problems))
        try:
            await self._learn(models)
        except BackendError as exc:
            raise BackendConfigError(
                f"Model backend at {url}: GUICHET_EMBEDDING_MODEL="
                f"{self.settings.embedding_model} failed a test call ({exc.kind}): {exc}"
            ) from None

    # API

    def _reasoning_options(self, model: str, max_tokens: int) -> dict[str, Any]:
        """A reasoning model thinks before it answers: give it room and ask for little."""
        if not self.catalogue.is_reasoning(model):
            return {"max_tokens": max_tokens}
        return {"max_tokens": max(max_tokens, REASONING_MIN_TOKENS), "reasoning_effort": "low"}

    def stream_chat(
        self,
        messages: list[dict],
        *,
        model: str | None = None,
        temperature: float = 0.2,
        max_tokens: int = 800,
    ) -> ChatStream:
        check_messages(messages)
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
        """The answer's text, reasoning removed; empty when a reasoning model spent every
        token thinking (the caller decides what no answer means)."""
        check_messages(messages)
        name = model or self.settings.chat_model
        options = self._reasoning_options(name, max_tokens)
        response = await self._call(
            "chat",
            lambda: self.client.chat.completions.create(
                model=name,
                messages=messages,  # type: ignore[arg-type]
                temperature=temperature,
                **options,
            ),
        )
        try:
            message = response.choices[0].message
        except (AttributeError, IndexError, TypeError):
            message = None
        if message is None:
            raise BackendProtocolError("backend chat: no message in the response", endpoint="chat")
        return answer_text(message)

    async def embed(
        self, texts: Sequence[Outbound], *, model: str | None = None
    ) -> list[list[float]]:
        require_outbound(texts, "embedding input")
        name = model or self.settings.embedding_model
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = list(texts[start : start + EMBED_BATCH])
            # The response as plain JSON: the SDK's objects for 1,024 floats cost more CPU
            # than the rest of the retrieval step (``chatbot bench load``).
            response = await self._call(
                "embeddings",
                lambda batch=batch: self.client.post(
                    "/embeddings",
                    body={"model": name, "input": batch, "encoding_format": "float"},
                    cast_to=object,
                ),
            )
            try:
                data = sorted(response["data"], key=lambda item: item["index"])
            except (KeyError, TypeError):  # a non-JSON body comes back as plain text
                data = []
            if len(data) != len(batch) or not all(
                isinstance(d.get("embedding"), list) for d in data
            ):
                raise BackendProtocolError(
                    "backend embeddings: wrong number or format of vectors", endpoint="embeddings"
                )
            vectors.extend([float(x) for x in d["embedding"]] for d in data)
        return vectors

    def embedding_space(self, model: str | None = None) -> str:
        return self.catalogue.embedding_space(model or self.settings.embedding_model)

    async def rerank(
        self,
        query: Outbound,
        documents: Sequence[Outbound],
        *,
        model: str | None = None,
        top_n: int | None = None,
    ) -> list[RerankResult]:
        """Score documents against the query, best first.

        Albert changed the body of ``/rerank`` (2025 ``{prompt, input}``, 2026 ``{query,
        documents, top_n}``) and each version refuses the other's with a 422: we try the newer
        shape, fall back to the older on a 422 (a 404 is the model's, not the shape's), and
        remember what worked.
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
            except InvalidRequest:
                if position == len(order) - 1:
                    raise
                continue
            results = parse_rerank(data, len(documents))
            if self._rerank_shape != shape:
                log.info("backend_rerank_shape", shape=shape)
                self._rerank_shape = shape
            return results[:top_n] if top_n is not None else results
        raise AssertionError("unreachable")  # pragma: no cover

    async def transcribe(
        self, audio: bytes, *, filename: str = "speech.wav", language: str = "fr"
    ) -> str:
        """The text of a recording, by the backend's speech model.

        The audio cannot pass the privacy gate (it is not text): it goes to the speech model
        only, and its transcript enters the turn like typed text, privacy gate first.
        """
        model = self.catalogue.speech_model()
        if model is None:
            raise ModelNotFound(
                "backend audio: no automatic-speech-recognition model is served",
                endpoint="audio",
            )
        response = await self._call(
            "audio",
            lambda: self.client.audio.transcriptions.create(
                file=(filename, audio, "audio/wav"),
                model=model,
                language=language,
                response_format="json",
            ),
        )
        text = getattr(response, "text", None)
        if not isinstance(text, str):
            raise BackendProtocolError("backend audio: no text in the response", endpoint="audio")
        return text.strip()

    async def ocr(self, pdf: bytes, *, filename: str = "document.pdf") -> list[tuple[int, str]]:
        """(page, text) of a scanned PDF, by the backend's OCR model (``POST /v1/ocr``).

        The page images cannot pass the privacy gate (they are not text): they go to the OCR
        model only, and only when the operator switched it on (GUICHET_DOCUMENTS_OCR); the
        text that comes back is pseudonymised like any document before it is stored or sent.
        """
        model = self.catalogue.ocr_model()
        if model is None:
            raise ModelNotFound("backend ocr: no OCR model is served", endpoint="ocr")
        response = await self._call(
            "ocr",
            lambda: self.client.post(
                "/ocr",
                cast_to=object,
                body={"model": model},
                files=[("file", (filename, pdf, "application/pdf"))],
                options={"headers": {"Content-Type": "multipart/form-data"}},
            ),
        )
        data = response.get("data") if isinstance(response, dict) else None
        if not isinstance(data, list):
            raise BackendProtocolError("backend ocr: no pages in the response", endpoint="ocr")
        pages = []
        for i, item in enumerate(data, start=1):
            item = item if isinstance(item, dict) else {}
            meta = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
            page = meta.get("page")
            content = item.get("content")
            if isinstance(content, str):
                pages.append((int(page) if isinstance(page, int) else i, content))
        return pages

    async def aclose(self) -> None:
        await self.client.close()
