"""A faithful stand-in for the Albert API, served over real HTTP on 127.0.0.1.

It speaks the OpenAI wire format plus Albert's extras (model ``type``, ``/v1/rerank`` in two
shapes, FastAPI ``{"detail": ...}`` errors, a last stream chunk carrying ``usage``), records
every request it receives, and injects the faults a real deployment shows (429, 503 with
``Retry-After``, an nginx 504 HTML page, a stream cut mid-way, a slow answer ...).

Usage::

    with AlbertDouble() as albert:
        settings = load_settings(backend_url=albert.url, api_key=albert.api_key)
        albert.inject("503", times=1, retry_after=0.2)
        ...
        assert "Jean Dupont" not in " ".join(albert.sent_texts())

The default responder builds its chat answer from the ``<sources>`` it was given, so a test
can tell a grounded answer from a canned one (see ``default_responder``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

EMBEDDING_DIMENSIONS = 1024

MODELS: dict[str, str] = {
    "albert-large": "text-generation",
    "albert-small": "text-generation",
    "embeddings-small": "text-embeddings-inference",
    "rerank-small": "text-classification",
}

FAULTS = ("429", "503", "504", "403", "404", "422", "cut", "slow")

NO_SOURCE_ANSWER = "Je ne dispose pas d'information sur ce sujet."
PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")
SOURCE = re.compile(r"<source\b([^>]*)>(.*?)</source>", re.DOTALL)
INJECTION = re.compile(
    r"\b(ignore[sz]?|ignorez|oublie[sz]?|oubliez|disregard|forget)\b.{0,60}"
    r"\b(instructions?|consignes?|r[eè]gles?|rules)\b"
    r"|system\s+prompt|prompt\s+syst[eè]me|jailbreak|\bDAN\b",
    re.IGNORECASE | re.DOTALL,
)


# --- recorded requests and faults -----------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    kind: str
    times: int
    path: str | None
    params: dict[str, Any]

    def matches(self, path: str, streamed: bool) -> bool:
        if self.path is not None and not path.rstrip("/").endswith(self.path.rstrip("/")):
            return False
        # A cut only makes sense on a streamed chat; other calls pass through untouched.
        return self.kind != "cut" or (streamed and path.endswith("/chat/completions"))


# --- request bodies (pydantic, so malformed bodies get FastAPI-style 422) -------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Message(_Body):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class _ChatBody(_Body):
    model: str
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)


class _EmbeddingsBody(_Body):
    model: str
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"


class _RerankNew(_Body):
    model: str
    query: str
    documents: list[str]
    top_n: int | None = Field(None, ge=1)


class _RerankOld(_Body):
    model: str
    prompt: str
    input: list[str]


def _validation_detail(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "type": err["type"],
            "loc": ["body", *err["loc"]],
            "msg": err["msg"],
            "input": err.get("input"),
        }
        for err in exc.errors(include_url=False)
    ]


# --- text helpers -----------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Données" and "donnees" count as the same word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def content_text(content: Any) -> str:
    """Message content as text, whether a string or a list of OpenAI content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.search(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def tokens(text: str) -> list[str]:
    """Split an answer the way a model streams it: words and sub-words, spaces attached."""
    parts = re.findall(r"\s*\S{1,4}", text)
    rest = text[len("".join(parts)) :]
    if rest:
        parts.append(rest)
    return parts or [text]


def embed_text(text: str) -> list[float]:
    """Deterministic, meaningful vector: hashed bag of folded words plus character trigrams."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    features: list[tuple[str, float]] = []
    for word in words(text):
        features.append(("w:" + word, 1.0))
        padded = f"#{word}#"
        features.extend(("t:" + padded[i : i + 3], 0.3) for i in range(len(padded) - 2))
    for feature, weight in features:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % EMBEDDING_DIMENSIONS
        sign = 1.0 if digest[4] & 1 else -1.0
        vector[index] += sign * weight
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0] = 1.0  # empty text: still a unit vector, as a real model would return
        return vector
    return [v / norm for v in vector]


QUESTION_WORDS = {
    "comment",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "pour",
    "dans",
    "avec",
    "est-ce",
    "what",
    "which",
    "does",
    "votre",
    "vous",
    "nous",
    "elle",
}


def overlap_score(query: str, document: str) -> float:
    """Relevance in [0, 1] like a reranker's: the content words of the query found in the
    document, up to four (a long, chatty question is not penalised for its extra words; an
    unrelated question scores near 0). Short function words and placeholders do not count."""
    query_words = {
        w for w in words(PLACEHOLDER.sub(" ", query)) if len(w) > 3 and w not in QUESTION_WORDS
    }
    if not query_words:
        return 0.0
    found = len(query_words & set(words(document)))
    return round(min(1.0, found / min(len(query_words), 4)), 6)


# --- the default chat responder -------------------------------------------------------------


def default_responder(body: dict[str, Any]) -> str:
    """The chat answer, built from what the request carried.

    - system message contains ``CLASSIFIER:`` -> ``unsafe`` if the last user message holds an
      obvious injection phrase, else ``safe``;
    - system message contains ``REWRITE:`` -> last user message + `` (à propos de : `` + first
      user message + ``)``;
    - otherwise the first sentence of source 1 + `` [1]`` (and of source 2 + `` [2]``), or
      ``Je ne dispose pas d'information sur ce sujet.`` without sources; prefixed with
      ``Pour <NOM_1>, `` listing every placeholder of the last user message.
    """
    messages = body.get("messages") or []
    system = "\n".join(
        content_text(m.get("content")) for m in messages if m.get("role") == "system"
    )
    users = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    last_user = users[-1] if users else ""

    if "CLASSIFIER:" in system:
        return "unsafe" if INJECTION.search(last_user) else "safe"
    if "REWRITE:" in system:
        first_user = users[0] if users else ""
        return f"{last_user} (à propos de : {first_user})"

    everything = "\n".join(content_text(m.get("content")) for m in messages)
    sources = [text for _attrs, text in SOURCE.findall(everything)]
    if sources:
        answer = f"{first_sentence(sources[0])} [1]"
        if len(sources) > 1:
            answer += f" {first_sentence(sources[1])} [2]"
    else:
        answer = NO_SOURCE_ANSWER

    placeholders = list(dict.fromkeys(PLACEHOLDER.findall(last_user)))
    if placeholders:
        answer = f"Pour {', '.join(placeholders)}, {answer}"
    return answer


# --- the server -------------------------------------------------------------------------------


class AlbertDouble:
    """Albert API test double on a free loopback port; see the module docstring."""

    def __init__(
        self,
        api_key: str = "test-key",
        responder: Callable[[dict[str, Any]], str] | None = None,
    ) -> None:
        self.api_key = api_key
        self.responder: Callable[[dict[str, Any]], str] = responder or default_responder
        self._initial_responder = self.responder
        self.latency: float = 0.0
        self.tokens_per_second: float | None = None
        # Which rerank body shapes the server accepts: an older Albert takes only
        # {prompt, input}, a newer one only {query, documents}.
        self.rerank_shapes: set[str] = {"new", "old"}
        self.url = ""
        self.port = 0
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/v1/rerank", self._rerank, methods=["POST"]),
            ]
        )

    # lifecycle

    def start(self) -> AlbertDouble:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(
            self.app,
            interface="asgi3",
            log_level="critical",  # a "cut" fault aborts a response on purpose: keep quiet
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="albert-double"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("Albert test double did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> AlbertDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # test controls

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
            self._faults.append(_Fault(fault, times, path, params))

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

    # plumbing

    async def _record(self, request: Request) -> tuple[RecordedRequest, _Fault | None]:
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

    async def _prelude(
        self, request: Request
    ) -> tuple[RecordedRequest, _Fault | None, Response | None]:
        """Record, apply a fault or check auth; a response here ends the request."""
        recorded, fault = await self._record(request)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(float(fault.params.get("seconds", 2.0)))
            elif fault.kind != "cut":
                return recorded, fault, self._fault_response(fault)
        auth = recorded.headers.get("authorization", "")
        if auth != f"Bearer {self.api_key}":
            return (
                recorded,
                fault,
                JSONResponse({"detail": "Invalid authentication credentials"}, status_code=403),
            )
        if not isinstance(recorded.json, dict):
            detail = [
                {"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error", "input": {}}
            ]
            return recorded, fault, JSONResponse({"detail": detail}, status_code=422)
        return recorded, fault, None

    @staticmethod
    def _fault_response(fault: _Fault) -> Response:
        params = fault.params
        if fault.kind == "429":
            headers = {}
            if "retry_after" in params:
                headers["Retry-After"] = str(params["retry_after"])
            return PlainTextResponse("Rate limit exceeded", status_code=429, headers=headers)
        if fault.kind == "503":
            return JSONResponse(
                {"detail": "Service temporarily unavailable, please retry later."},
                status_code=503,
                headers={"Retry-After": str(params.get("retry_after", 1))},
            )
        if fault.kind == "504":
            return HTMLResponse(
                "<html><body><h1>504 Gateway Time-out</h1></body></html>", status_code=504
            )
        if fault.kind == "403":
            return JSONResponse({"detail": "Invalid authentication credentials"}, status_code=403)
        if fault.kind == "404":
            return JSONResponse({"detail": "Model not found."}, status_code=404)
        detail = [
            {"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": {}}
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @staticmethod
    def _check_model(model: str, expected: str) -> Response | None:
        if model not in MODELS:
            return JSONResponse({"detail": "Model not found."}, status_code=404)
        if MODELS[model] != expected:
            return JSONResponse(
                {"detail": f"Wrong model type, expected {expected}."}, status_code=422
            )
        return None

    # endpoints

    async def _models(self, request: Request) -> Response:
        recorded, fault = await self._record(request)
        if fault is not None and fault.kind not in ("cut", "slow"):
            return self._fault_response(fault)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(float(fault.params.get("seconds", 2.0)))
        if recorded.headers.get("authorization", "") != f"Bearer {self.api_key}":
            return JSONResponse({"detail": "Invalid authentication credentials"}, status_code=403)
        data = [
            {
                "id": name,
                "object": "model",
                "owned_by": "albert-double",
                "created": 1700000000,
                "type": kind,
            }
            for name, kind in MODELS.items()
        ]
        return JSONResponse({"object": "list", "data": data})

    async def _chat(self, request: Request) -> Response:
        recorded, fault, early = await self._prelude(request)
        if early is not None:
            return early
        try:
            body = _ChatBody.model_validate(recorded.json)
        except ValidationError as exc:
            return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)
        if (problem := self._check_model(body.model, "text-generation")) is not None:
            return problem

        answer = self.responder(recorded.json)
        prompt_tokens = sum(len(content_text(m.content).split()) for m in body.messages)
        pieces = tokens(answer)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(pieces),
            "total_tokens": prompt_tokens + len(pieces),
        }
        completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        if not body.stream:
            return JSONResponse(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": body.model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        cut = fault is not None and fault.kind == "cut"
        cut_after = int(fault.params.get("after", 3)) if cut and fault else 0
        return _SSEResponse(
            self._chunks(completion_id, created, body.model, pieces, usage, cut, cut_after)
        )

    async def _chunks(
        self,
        completion_id: str,
        created: int,
        model: str,
        pieces: list[str],
        usage: dict[str, int],
        cut: bool,
        cut_after: int,
    ) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
            choices = (
                [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
            )
            payload = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
                **extra,
            }
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

        pause = 1.0 / self.tokens_per_second if self.tokens_per_second else 0.0
        yield chunk({"role": "assistant", "content": ""})
        for count, piece in enumerate(pieces):
            if cut and count >= cut_after:
                raise _Cut
            if pause:
                await asyncio.sleep(pause)
            yield chunk({"content": piece})
        if cut:
            raise _Cut
        yield chunk({}, "stop")
        yield chunk(None, usage=usage)
        yield b"data: [DONE]\n\n"

    async def _embeddings(self, request: Request) -> Response:
        recorded, _fault, early = await self._prelude(request)
        if early is not None:
            return early
        try:
            body = _EmbeddingsBody.model_validate(recorded.json)
        except ValidationError as exc:
            return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)
        if (problem := self._check_model(body.model, "text-embeddings-inference")) is not None:
            return problem
        texts = [body.input] if isinstance(body.input, str) else body.input
        data = []
        for index, text in enumerate(texts):
            vector = embed_text(text)
            encoded: Any = vector
            if body.encoding_format == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "embedding": encoded, "index": index})
        used = sum(len(t.split()) for t in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.model,
                "usage": {"prompt_tokens": used, "total_tokens": used},
            }
        )

    async def _rerank(self, request: Request) -> Response:
        recorded, _fault, early = await self._prelude(request)
        if early is not None:
            return early
        raw = recorded.json
        shape = "new" if "query" in raw or "documents" in raw else "old"
        if shape not in self.rerank_shapes:
            # What a server that only knows the other shape answers: its model's fields missing.
            other = _RerankOld if shape == "new" else _RerankNew
            try:
                other.model_validate(raw)
            except ValidationError as exc:
                return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)
        try:
            body = (_RerankNew if shape == "new" else _RerankOld).model_validate(raw)
        except ValidationError as exc:
            return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)
        if (problem := self._check_model(body.model, "text-classification")) is not None:
            return problem
        if isinstance(body, _RerankNew):
            scored = [(overlap_score(body.query, d), i) for i, d in enumerate(body.documents)]
            scored.sort(key=lambda item: (-item[0], item[1]))
            if body.top_n is not None:
                scored = scored[: body.top_n]
            return JSONResponse(
                {
                    "id": "rerank-" + uuid.uuid4().hex[:12],
                    "model": body.model,
                    "results": [{"index": i, "relevance_score": s} for s, i in scored],
                }
            )
        scored = [(overlap_score(body.prompt, d), i) for i, d in enumerate(body.input)]
        scored.sort(key=lambda item: (-item[0], item[1]))
        return JSONResponse(
            {
                "object": "list",
                "data": [{"object": "rerank", "score": s, "index": i} for s, i in scored],
            }
        )


class _Cut(Exception):
    """Raised inside a stream to drop the connection mid-answer."""


class _SSEResponse(Response):
    """A streamed response that, on a cut, drops the connection instead of ending cleanly."""

    def __init__(self, chunks: Any) -> None:
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
        except _Cut:
            # Returning without the final empty body makes uvicorn close the connection
            # mid-chunked-body: the client sees a peer that hung up, as with a crashed worker.
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
