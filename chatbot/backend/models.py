"""The data at the boundary: models listed, usage (tokens, cost, energy), rerank results, and
the checks on what goes out (every text an ``Outbound``) and comes back (reasoning text)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from chatbot.backend.errors import BackendProtocolError
from chatbot.outbound import require_outbound

CHAT_TYPES = {"text-generation", "image-text-to-text"}
EMBEDDING_TYPES = {"text-embeddings-inference"}
RERANK_TYPES = {"text-classification"}
SPEECH_TYPES = {"automatic-speech-recognition"}
OCR_TYPES = {"image-to-text", "image-text-to-text"}  # O26 /v1/ocr; A25 /v1/ocr-beta


class ModelInfo(BaseModel):
    id: str
    type: str | None = None
    aliases: list[str] | None = None  # null in OpenGateLLM 2026a, a list elsewhere
    max_context_length: int | None = None


class ModelList(BaseModel):
    data: list[ModelInfo]


class Usage(BaseModel):
    """What one call cost, whatever the server version's shape (see ``parse_usage``)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float | None = None
    kwh: float | None = None
    kgco2eq: float | None = None


def _figure(value: object) -> float | None:
    """A float, or the middle of Albert 2025's ``{min, max}`` range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        bounds = [
            float(v) for v in (value.get("min"), value.get("max")) if isinstance(v, int | float)
        ]
        return sum(bounds) / len(bounds) if bounds else None
    return None


def parse_usage(raw: object) -> Usage | None:
    """Normalise ``usage``: 2025 ``carbon{kWh{min,max},kgCO2eq{min,max}}``, 2026a flat
    ``carbon{kWh,kgCO2eq}``, 2026b ``impacts{kWh,kgCO2eq}``, or plain OpenAI tokens."""
    if not isinstance(raw, dict):
        return None
    impacts = raw.get("impacts") if isinstance(raw.get("impacts"), dict) else raw.get("carbon")
    impacts = impacts if isinstance(impacts, dict) else {}

    def count(name: str) -> int:
        value = raw.get(name)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    prompt, completion = count("prompt_tokens"), count("completion_tokens")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=count("total_tokens") or prompt + completion,
        cost=_figure(raw.get("cost")),
        kwh=_figure(impacts.get("kWh")),
        kgco2eq=_figure(impacts.get("kgCO2eq")),
    )


class RerankResult(BaseModel):
    index: int
    score: float


class _NewRerankItem(BaseModel):
    index: int
    relevance_score: float


class _OldRerankItem(BaseModel):
    index: int
    score: float


def parse_rerank(data: object, count: int) -> list[RerankResult]:
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


def check_messages(messages: list[dict]) -> None:
    """Every message text must be Outbound, including text parts of multi-part contents."""
    texts: list[object] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            texts.extend(part.get("text") for part in content if part.get("type") == "text")
        else:
            texts.append(content)
    require_outbound(texts, "chat message")


_THINK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|$)", re.DOTALL | re.IGNORECASE)


def answer_text(message: Any) -> str:
    """The answer of a chat message without its reasoning.

    A reasoning model may put its thoughts in ``<think>`` tags inside ``content`` (vLLM without
    a reasoning parser), or in ``reasoning_content`` with ``content`` empty or null when it
    spent every token thinking: that is an empty answer, not a protocol error.
    """
    content = getattr(message, "content", None)
    if content is None and isinstance(message, dict):
        content = message.get("content")
    return _THINK.sub("", content).strip() if isinstance(content, str) else ""
