"""The endpoints of the Albert API, with its request bodies, errors and shapes per version
(see ``versions``): models, chat, embeddings, rerank and speech transcription."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from chatbot.fake_albert import versions
from chatbot.fake_albert.controls import Controls
from chatbot.fake_albert.faults import Cut, Fault, RecordedRequest, SSEResponse
from chatbot.fake_albert.model import (
    call_kind,
    content_text,
    embed_text,
    overlap_score,
    pad_answer,
    tokens,
)


def build_app(controls: Controls) -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/models", partial(list_models, controls), methods=["GET"]),
            Route("/v1/chat/completions", partial(chat, controls), methods=["POST"]),
            Route("/v1/embeddings", partial(embeddings, controls), methods=["POST"]),
            Route("/v1/rerank", partial(rerank, controls), methods=["POST"]),
            Route("/v1/audio/transcriptions", partial(transcriptions, controls), methods=["POST"]),
            Route("/v1/ocr", partial(ocr, controls), methods=["POST"]),
            # Not Albert's: the double's own figures, read by ``chatbot bench load``.
            Route("/double/model-time", partial(model_time, controls), methods=["GET"]),
        ]
    )


# --- request bodies (pydantic, so malformed bodies get FastAPI-style 422) -------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")  # Albert forwards unknown fields upstream


class _Message(_Body):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatBody(_Body):
    model: str
    messages: list[_Message] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)


class EmbeddingsBody(_Body):
    model: str
    input: str | list[str] = Field(min_length=1)
    encoding_format: Literal["float", "base64"] = "float"


class EmbeddingsBody2025(EmbeddingsBody):
    encoding_format: Literal["float"] = "float"  # type: ignore[assignment]


class RerankNew(_Body):
    model: str
    query: str = Field(min_length=1)
    documents: list[str] = Field(min_length=1)
    top_n: int | None = Field(None, ge=1)


class RerankOld(_Body):
    model: str
    prompt: str
    input: list[str]


BodyT = TypeVar("BodyT", bound=BaseModel)


def unprocessable(exc: ValidationError) -> Response:
    detail = [
        {
            "type": err["type"],
            "loc": ["body", *err["loc"]],
            "msg": err["msg"],
            "input": err.get("input"),
        }
        for err in exc.errors(include_url=False)
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def check_model(controls: Controls, name: str, expected: str) -> dict[str, Any] | Response:
    """The model a name (id or alias) stands for, or the version's 404/422."""
    model = controls.find_model(name)
    if model is None:
        return versions.model_not_found(controls.version, name)
    if model["type"] != expected:
        return versions.wrong_type(controls.version, expected, model["type"])
    return model


async def accept(
    controls: Controls, request: Request, schema: type[BodyT], kind: str
) -> tuple[RecordedRequest, Fault | None, tuple[BodyT, dict[str, Any]] | Response]:
    """Record the request, then apply a fault, auth, the body's schema and the model's type;
    a response instead of (body, model) ends the request."""
    recorded, fault, early = await controls.prelude(request)
    if early is not None:
        return recorded, fault, early
    try:
        body = schema.model_validate(recorded.json)
    except ValidationError as exc:
        return recorded, fault, unprocessable(exc)
    model = check_model(controls, body.model, kind)  # type: ignore[attr-defined]
    return recorded, fault, model if isinstance(model, Response) else (body, model)


def answer(recorded: RecordedRequest, payload: dict[str, Any]) -> Response:
    return JSONResponse(payload, headers=recorded.limit_headers)


# --- endpoints --------------------------------------------------------------------------------


async def list_models(controls: Controls, request: Request) -> Response:
    recorded, fault = await controls.record(request)
    if fault is not None and fault.kind not in ("cut", "stream_error", "slow"):
        return fault.response(controls.version)
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.delay)
    if not controls.authorised(recorded):
        return controls.auth_error(recorded)
    data = [
        {
            "id": model["id"],
            "object": "model",
            "owned_by": "albert-double",
            "created": 1700000000,
            "type": model["type"],
            "aliases": list(model["aliases"]),
            "max_context_length": model.get("max_context_length"),
            "costs": {"prompt_tokens": 0.0, "completion_tokens": 0.0},
        }
        for model in controls.models
    ]
    return JSONResponse({"object": "list", "data": data})


async def model_time(controls: Controls, request: Request) -> Response:
    """The model's own time so far, per kind of chat call: ``{kind: [calls, seconds]}``."""
    return JSONResponse(controls.model_time_so_far())


THINKING = "L'usager pose une question ; je vérifie les sources et je réponds brièvement."


async def chat(controls: Controls, request: Request) -> Response:
    recorded, fault, accepted = await accept(controls, request, ChatBody, "text-generation")
    if isinstance(accepted, Response):
        return accepted
    body, model = accepted

    text: str | None = controls.responder(recorded.json)
    kind = call_kind(recorded.json)
    if text and controls.answer_tokens and kind == "answer":
        text = pad_answer(text, controls.answer_tokens)
    reasoning: str | None = None
    finish = "stop"
    if model["id"] in controls.reasoning:
        # Thoughts cost tokens before the answer: 40 at low effort, 400 otherwise. A budget
        # that does not cover them leaves the answer empty (finish "length").
        effort = (recorded.json or {}).get("reasoning_effort")
        thought_tokens = 40 if effort == "low" else 400
        budget = body.max_tokens or 10_000
        reasoning = THINKING
        if budget <= thought_tokens:
            text, finish = None, "length"
        elif controls.think_tags:
            text, reasoning = f"<think>{THINKING}</think>\n{text}", None
    prompt_tokens = sum(len(content_text(m.content).split()) for m in body.messages)
    pieces = tokens(text) if text else []
    usage = versions.usage(controls.version, prompt_tokens, len(pieces), controls.cost_per_call)
    completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]
    created = int(time.time())
    model_seconds = controls.charge_model_time(kind, len(pieces))
    if not body.stream:
        if controls.first_token:
            await asyncio.sleep(model_seconds)
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if reasoning is not None:
            message["reasoning_content"] = reasoning
        return answer(
            recorded,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model["id"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            },
        )
    fail_after: int | None = None
    failure: bytes | None = None
    if fault is not None and fault.kind in ("cut", "stream_error"):
        fail_after = int(fault.params.get("after", 3))
        if fault.kind == "stream_error":
            failure = versions.stream_error(controls.version, bool(fault.params.get("crash")))
    head = {"id": completion_id, "object": "chat.completion.chunk", "created": created}
    pause = 1.0 / controls.tokens_per_second if controls.tokens_per_second else 0.0
    chunks = _chunks(
        {**head, "model": model["id"]},
        pieces,
        usage,
        pause,
        fail_after,
        failure,
        controls.first_token,
    )
    return SSEResponse(chunks, headers=recorded.limit_headers)


async def _chunks(
    head: dict[str, Any],
    pieces: list[str],
    usage: dict[str, Any],
    pause: float,
    fail_after: int | None,
    failure: bytes | None,
    first_token: float = 0.0,
) -> AsyncIterator[bytes]:
    """SSE chunks: role, one per piece, finish, a last one with ``choices: []`` and usage.
    ``fail_after`` pieces, the stream ends: on ``failure`` bytes, else by dropping (a cut).
    With ``first_token``, the first piece comes after that many seconds, the others
    ``pause`` apart; without it, each piece waits ``pause``."""

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        payload = {**head, "choices": choices, **extra}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    for count, piece in enumerate(pieces):
        if fail_after is not None and count >= fail_after:
            break
        wait = (first_token if count == 0 else pause) if first_token else pause
        if wait:
            await asyncio.sleep(wait)
        yield chunk({"content": piece})
    if fail_after is not None:
        if failure is None:
            raise Cut
        yield failure
        return
    yield chunk({}, "stop")
    yield chunk(None, usage=usage)
    yield b"data: [DONE]\n\n"


async def embeddings(controls: Controls, request: Request) -> Response:
    # 2025 declares encoding_format: Literal["float"], so base64 is a 422.
    schema = EmbeddingsBody if versions.accepts_base64(controls.version) else EmbeddingsBody2025
    recorded, _, accepted = await accept(controls, request, schema, "text-embeddings-inference")
    if isinstance(accepted, Response):
        return accepted
    body, model = accepted
    texts = [body.input] if isinstance(body.input, str) else body.input
    data = []
    for index, text in enumerate(texts):
        vector = embed_text(text)
        encoded: Any = vector
        if body.encoding_format == "base64":
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "embedding": encoded, "index": index})
    used = sum(len(t.split()) for t in texts)
    return answer(
        recorded,
        {
            "object": "list",
            "id": "embd-" + uuid.uuid4().hex[:12],
            "data": data,
            "model": model["id"],
            "usage": versions.usage(controls.version, used, 0, 0.0),
        },
    )


async def rerank(controls: Controls, request: Request) -> Response:
    recorded, _fault, early = await controls.prelude(request)
    if early is not None:
        return early
    # Each version declares one body; the other's fields are unknown extras, its own missing.
    shape = versions.rerank_shape(controls.version)
    try:
        body = (RerankNew if shape == "new" else RerankOld).model_validate(recorded.json)
    except ValidationError as exc:
        return unprocessable(exc)
    model = check_model(controls, body.model, "text-classification")
    if isinstance(model, Response):
        return model
    usage = versions.usage(controls.version, 0, 0, 0.0)
    rid = "rerank-" + uuid.uuid4().hex[:12]
    if isinstance(body, RerankNew):
        scored = [(overlap_score(body.query, d), i) for i, d in enumerate(body.documents)]
        scored.sort(key=lambda item: (-item[0], item[1]))
        if body.top_n is not None:
            scored = scored[: body.top_n]
        results = [{"relevance_score": s, "index": i} for s, i in scored]
        payload = {"object": "list", "id": rid, "results": results, "model": model["id"]}
        return answer(recorded, {**payload, "usage": usage})
    scored = [(overlap_score(body.prompt, d), i) for i, d in enumerate(body.input)]
    scored.sort(key=lambda item: (-item[0], item[1]))
    data = [{"object": "rerank", "score": s, "index": i} for s, i in scored]
    payload = {"object": "list", "id": rid, "data": data, "model": model["id"]}
    return answer(recorded, {**payload, "usage": usage})


def _form_error(field: str, kind: str, message: str) -> Response:
    detail = [{"type": kind, "loc": ["body", field], "msg": message, "input": None}]
    return JSONResponse({"detail": detail}, status_code=422)


async def transcriptions(controls: Controls, request: Request) -> Response:
    """Multipart only: ``file``, ``model``, ``language`` (a Whisper code or name, or empty),
    ``response_format`` (json | text, + verbose_json in 2026). The transcript is
    ``controls.transcript``: the fake hears nothing, it only checks what was sent."""
    recorded, _fault, early = await controls.prelude(request, form=True)
    if early is not None:
        return early
    try:
        form = await request.form()
    except Exception:  # not multipart: FastAPI reports the missing form fields
        return _form_error("file", "missing", "Field required")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    recorded.json = fields  # what the request log shows (the audio stays in ``body``)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _form_error("file", "missing", "Field required")
    audio = await upload.read()
    if not fields.get("model"):
        return _form_error("model", "missing", "Field required")
    language = fields.get("language", "")
    if language.lower() not in versions.WHISPER_LANGUAGES:
        return _form_error("language", "enum", "Input should be a Whisper language")
    response_format = fields.get("response_format", "json")
    if response_format not in versions.transcription_formats(controls.version):
        return _form_error("response_format", "enum", "Input should be 'json' or 'text'")
    model = check_model(controls, fields["model"], "automatic-speech-recognition")
    if isinstance(model, Response):
        return model
    if not audio.startswith(b"RIFF") and audio[:4] not in (b"OggS", b"fLaC", b"ID3\x03"):
        return JSONResponse({"detail": "Unsupported file type."}, status_code=422)
    text = controls.transcript
    if response_format == "text":
        return PlainTextResponse(text, headers=recorded.limit_headers)
    payload: dict[str, Any] = {"id": "trsc-" + uuid.uuid4().hex[:12], "text": text}
    if controls.version == "2026":
        payload |= {"model": model["id"], "usage": versions.usage("2026", 0, 0, 0.0)}
    return answer(recorded, payload)


async def ocr(controls: Controls, request: Request) -> Response:
    """Multipart ``file`` (a PDF) and ``model`` (type image-to-text), as in O26. Each page
    "reads" as ``DEFAULT_OCR_TEXT``: the fake sees no image, it checks what was sent."""
    from chatbot.fake_albert.model import DEFAULT_OCR_TEXT

    recorded, _fault, early = await controls.prelude(request, form=True)
    if early is not None:
        return early
    try:
        form = await request.form()
    except Exception:
        return _form_error("file", "missing", "Field required")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    recorded.json = fields
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return _form_error("file", "missing", "Field required")
    data = await upload.read()
    model = check_model(controls, fields.get("model", ""), "image-to-text")
    if isinstance(model, Response):
        return model
    if not data.startswith(b"%PDF-"):
        return JSONResponse({"detail": "Unsupported file type."}, status_code=422)
    pages = max(1, data.count(b"/Type /Page ") + data.count(b"/Type /Page>"))
    payload = {
        "object": "list",
        "data": [
            {
                "object": "documentPage",
                "content": DEFAULT_OCR_TEXT,
                "images": {},
                "metadata": {"document_name": upload.filename, "page": page},
            }
            for page in range(1, pages + 1)
        ],
        "usage": versions.usage(controls.version, 0, 0, 0.0),
    }
    return answer(recorded, payload)
