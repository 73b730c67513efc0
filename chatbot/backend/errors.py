"""Every backend failure as one ``BackendError`` subclass with a ``kind`` the flow turns into a
named status, and the one function, ``to_backend_error``, that maps whatever the SDK or the
transport raised. Messages are English, for operators, and never carry the text of a prompt
(the SDK's own messages can echo the request body, e.g. in a 422, so they are not reused)."""

from __future__ import annotations

import json

import httpx
import openai
from pydantic import ValidationError

from chatbot.settings import SettingsError

try:  # the transport of openai>=3; older SDKs use httpx itself
    import httpx2  # type: ignore[import-not-found]

    TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, httpx2.TransportError)
    TIMEOUT_ERRORS: tuple[type[Exception], ...] = (httpx.TimeoutException, httpx2.TimeoutException)
except ImportError:  # pragma: no cover - depends on the installed SDK
    TRANSPORT_ERRORS = (httpx.TransportError,)
    TIMEOUT_ERRORS = (httpx.TimeoutException,)


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


class BudgetExhausted(BackendError):
    """Albert's 400 "Insufficient budget.": the account has no credit left for a paid model."""

    kind = "budget"


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


class StreamErrorEvent(StreamInterrupted):
    """The server reported an error inside a stream that had started (``event: error``)."""

    kind = "stream_error"


class BackendProtocolError(BackendError):
    kind = "protocol"


class BackendConfigError(SettingsError):
    """The configured backend cannot serve this installation; one line for the operator."""


RETRYABLE: tuple[type[BackendError], ...] = (RateLimited, BackendUnavailable)
BUDGET_DETAIL = "insufficient budget"


def detail_of(body: object) -> str:
    """The ``detail`` (FastAPI) or ``error.message`` (OpenAI) string of an error body."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(body.get("message"), str):  # what the SDK keeps of some bodies
            return body["message"]
    return body if isinstance(body, str) else ""


def status_error(status: int, endpoint: str, body: object) -> BackendError:
    if status == 400 and BUDGET_DETAIL in detail_of(body).lower():
        kind, what = BudgetExhausted, "the Albert account's budget is exhausted"
    elif status in (401, 403):
        kind, what = BackendAuthError, "API key refused (check GUICHET_API_KEY)"
    elif status == 404:
        kind, what = ModelNotFound, "model or route not found"
    elif status in (400, 422):
        kind, what = InvalidRequest, f"request rejected{field_problems(body)}"
    elif status == 429:
        kind, what = RateLimited, "rate limited"
    elif status == 504:
        kind, what = BackendTimeout, "gateway timed out"
    elif status >= 500:
        kind, what = BackendUnavailable, "backend unavailable"
    else:
        return BackendProtocolError(
            f"backend {endpoint}: unexpected HTTP {status}", endpoint=endpoint, status=status
        )
    return kind(f"backend {endpoint}: HTTP {status}, {what}", endpoint=endpoint, status=status)


def stream_error(body: object, endpoint: str = "chat") -> BackendError:
    """An error reported inside a started stream, by its body (``detail`` or ``error``)."""
    if BUDGET_DETAIL in detail_of(body).lower():
        return BudgetExhausted(
            f"backend {endpoint}: the Albert account's budget is exhausted", endpoint=endpoint
        )
    return StreamErrorEvent(
        f"backend {endpoint}: the server reported an error in the middle of a stream",
        endpoint=endpoint,
    )


def field_problems(body: object) -> str:
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
        return status_error(exc.status_code, endpoint, exc.body)
    if isinstance(exc, (openai.APITimeoutError, *TIMEOUT_ERRORS)):
        return BackendTimeout(f"{where}: no answer within the timeout", endpoint=endpoint)
    if isinstance(exc, (openai.APIConnectionError, *TRANSPORT_ERRORS)):
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
        # An error event inside an SSE stream ({"error": {...}}), or another SDK failure.
        if streaming:
            return stream_error(exc.body, endpoint)
        return BackendProtocolError(f"{where}: backend reported an error", endpoint=endpoint)
    if isinstance(exc, (ValidationError, json.JSONDecodeError)):
        return BackendProtocolError(f"{where}: unexpected response body", endpoint=endpoint)
    return None
