"""What differs between the Albert versions the fake emulates (docs/albert-spec.md):

- ``"2025"``: etalab-ia/albert-api (Aug. 2025);
- ``"2026"``: OpenGateLLM's current API (2026).

Each version is as strict as the real server: it refuses what that server refuses, with that
server's status and ``{"detail": ...}`` body, and answers in that server's shapes.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from starlette.responses import JSONResponse, Response

Version = Literal["2025", "2026"]
VERSIONS: tuple[Version, ...] = ("2025", "2026")


def auth_error(version: Version, header: str) -> Response:
    """Missing header: FastAPI's HTTPBearer (403 in 2025, 401 since); bad key: Albert's."""
    status = 403 if version == "2025" else 401
    if not header:
        return JSONResponse({"detail": "Not authenticated"}, status_code=status)
    return JSONResponse({"detail": "Invalid API key."}, status_code=status)


def model_not_found(version: Version, name: str) -> Response:
    detail = "Model not found." if version == "2025" else f"Model {name} not found."
    return JSONResponse({"detail": detail}, status_code=404)


def wrong_type(version: Version, expected: str, actual: str) -> Response:
    if version == "2025":
        return JSONResponse({"detail": "Wrong model type."}, status_code=422)
    detail = f"Model has wrong type. Expected: {expected}. Actual: {actual}."
    return JSONResponse({"detail": detail}, status_code=422)


def budget() -> Response:
    return JSONResponse({"detail": "Insufficient budget."}, status_code=400)


def rate_limited(version: Version, model: str, headers: dict[str, str]) -> Response:
    """429 without Retry-After, in any version; 2026 adds its x-ratelimit-* headers."""
    if version == "2025":
        detail = f"Rate limit exceeded: 10 requests for {model} per minute exceeded (remaining: 0)."
        return JSONResponse({"detail": detail}, status_code=429)
    return JSONResponse(
        {"detail": "Request limit per minute exceeded."}, status_code=429, headers=headers
    )


def duration(seconds: float) -> str:
    """OpenGateLLM's reset format: ``"2h0m5s"``, ``"1m30s"``, ``"45s"`` (whole seconds)."""
    total = max(0, math.ceil(seconds))  # a window is not over before its reset
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def limit_headers(
    limit: int | None, remaining: int | None, reset_s: float, tokens: int | None = None
) -> dict[str, str]:
    """The singular 2026 names (only ``reset-requests`` is plural); "None" when unlimited."""
    return {
        "x-ratelimit-limit-request": str(limit),
        "x-ratelimit-remaining-request": str(remaining),
        "x-ratelimit-reset-requests": duration(reset_s) if limit is not None else "None",
        "x-ratelimit-limit-token": str(tokens),
        "x-ratelimit-remaining-token": str(tokens),
        "x-ratelimit-reset-token": "None" if tokens is None else duration(reset_s),
    }


def usage(version: Version, prompt: int, completion: int, cost: float) -> dict[str, Any]:
    kwh, co2 = 2e-5 * (prompt + completion), 1e-6 * (prompt + completion)
    base = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": round(cost, 6),
    }
    if version == "2025":
        carbon = {
            "kWh": {"min": kwh * 0.5, "max": kwh * 1.5},
            "kgCO2eq": {"min": co2 * 0.5, "max": co2 * 1.5},
        }
        return {**base, "carbon": carbon, "details": []}
    return {**base, "impacts": {"kWh": kwh, "kgCO2eq": co2}}


def stream_error(version: Version, crash: bool) -> bytes:
    """An error after the 200 started: a crash is ``event: error`` with an OpenAI-style body
    in every version; otherwise 2025 writes raw ``{"detail"}`` bytes with no SSE framing,
    2026 an ``event: error`` with ``{"detail"}``. Neither sends ``[DONE]`` afterwards."""
    if crash:
        body = json.dumps({"error": {"message": "Internal Server Error"}})
        return f"event: error\ndata: {body}\n\n".encode()
    detail = json.dumps({"detail": "Model is too busy, please try again later."})
    if version == "2025":
        return detail.encode()
    return f"event: error\ndata: {detail}\n\n".encode()


def rerank_shape(version: Version) -> str:
    """2025 takes ``{prompt, input}`` only; 2026 ``{query, documents, top_n}`` only."""
    return "old" if version == "2025" else "new"


def accepts_base64(version: Version) -> bool:
    return version != "2025"


def transcription_formats(version: Version) -> set[str]:
    return {"json", "text"} if version == "2025" else {"json", "text", "verbose_json"}


WHISPER_LANGUAGES = {
    "", "fr", "en", "de", "es", "it", "pt", "nl", "ar", "ru", "zh", "ja",
    "french", "english", "german", "spanish", "italian", "portuguese", "dutch", "arabic",
}  # fmt: skip
