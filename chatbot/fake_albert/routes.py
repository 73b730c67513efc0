"""The four endpoints of the Albert API, with its request bodies and FastAPI-style errors."""

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
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot.fake_albert.controls import Controls
from chatbot.fake_albert.faults import Cut, Fault, RecordedRequest, SSEResponse, forbidden
from chatbot.fake_albert.model import MODELS, content_text, embed_text, overlap_score, tokens


def build_app(controls: Controls) -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/models", partial(list_models, controls), methods=["GET"]),
            Route("/v1/chat/completions", partial(chat, controls), methods=["POST"]),
            Route("/v1/embeddings", partial(embeddings, controls), methods=["POST"]),
            Route("/v1/rerank", partial(rerank, controls), methods=["POST"]),
        ]
    )


# --- request bodies (pydantic, so malformed bodies get FastAPI-style 422) -------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


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
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"


class RerankNew(_Body):
    model: str
    query: str
    documents: list[str]
    top_n: int | None = Field(None, ge=1)


class RerankOld(_Body):
    model: str
    prompt: str
    input: list[str]


BodyT = TypeVar("BodyT", bound="ChatBody | EmbeddingsBody")


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


def check_model(model: str, expected: str) -> Response | None:
    if model not in MODELS:
        return JSONResponse({"detail": "Model not found."}, status_code=404)
    if MODELS[model] != expected:
        return JSONResponse({"detail": f"Wrong model type, expected {expected}."}, status_code=422)
    return None


async def accept(
    controls: Controls, request: Request, schema: type[BodyT], kind: str
) -> tuple[RecordedRequest, Fault | None, BodyT | Response]:
    """Record the request, then apply a fault, auth, the body's schema and the model's type;
    a response instead of a body ends the request."""
    recorded, fault, early = await controls.prelude(request)
    if early is not None:
        return recorded, fault, early
    try:
        body = schema.model_validate(recorded.json)
    except ValidationError as exc:
        return recorded, fault, unprocessable(exc)
    return recorded, fault, check_model(body.model, kind) or body


# --- endpoints --------------------------------------------------------------------------------


async def list_models(controls: Controls, request: Request) -> Response:
    recorded, fault = await controls.record(request)
    if fault is not None and fault.kind not in ("cut", "slow"):
        return fault.response()
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.delay)
    if not controls.authorised(recorded):
        return forbidden()
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


async def chat(controls: Controls, request: Request) -> Response:
    recorded, fault, body = await accept(controls, request, ChatBody, "text-generation")
    if isinstance(body, Response):
        return body

    answer = controls.responder(recorded.json)
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
    cut_after = int(fault.params.get("after", 3)) if fault and fault.kind == "cut" else None
    head = {"id": completion_id, "object": "chat.completion.chunk", "created": created}
    pause = 1.0 / controls.tokens_per_second if controls.tokens_per_second else 0.0
    return SSEResponse(_chunks({**head, "model": body.model}, pieces, usage, pause, cut_after))


async def _chunks(
    head: dict[str, Any],
    pieces: list[str],
    usage: dict[str, int],
    pause: float,
    cut_after: int | None,
) -> AsyncIterator[bytes]:
    """SSE chunks: role, one per piece, finish, a last one with ``choices: []`` and usage."""

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        payload = {**head, "choices": choices, **extra}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    for count, piece in enumerate(pieces):
        if cut_after is not None and count >= cut_after:
            raise Cut
        if pause:
            await asyncio.sleep(pause)
        yield chunk({"content": piece})
    if cut_after is not None:
        raise Cut
    yield chunk({}, "stop")
    yield chunk(None, usage=usage)
    yield b"data: [DONE]\n\n"


async def embeddings(controls: Controls, request: Request) -> Response:
    _, _, body = await accept(controls, request, EmbeddingsBody, "text-embeddings-inference")
    if isinstance(body, Response):
        return body
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


async def rerank(controls: Controls, request: Request) -> Response:
    recorded, _fault, early = await controls.prelude(request)
    if early is not None:
        return early
    raw = recorded.json
    shape = "new" if "query" in raw or "documents" in raw else "old"
    if shape not in controls.rerank_shapes:
        # What a server that only knows the other shape answers: its model's fields missing.
        other = RerankOld if shape == "new" else RerankNew
        try:
            other.model_validate(raw)
        except ValidationError as exc:
            return unprocessable(exc)
    try:
        body = (RerankNew if shape == "new" else RerankOld).model_validate(raw)
    except ValidationError as exc:
        return unprocessable(exc)
    if (problem := check_model(body.model, "text-classification")) is not None:
        return problem
    if isinstance(body, RerankNew):
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
