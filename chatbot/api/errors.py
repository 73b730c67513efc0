"""Every API error is JSON in OpenAI's shape, ``{"error": {"message", "type", "code"}}``,
with a French message (a person often reads it in a client's screen or logs). Bad input is
a 4xx, never a 5xx; a server-side failure is a 5xx that names no exception text."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from chatbot.api.schemas import ErrorBody, ErrorDetail
from chatbot.logs import get_logger

log = get_logger("guichet.api")

NO_KEY = "Clé d'API manquante : envoyez l'en-tête « Authorization: Bearer <clé> »."
BAD_KEY = "Clé d'API invalide ou révoquée."
FORBIDDEN_FLOW = "Cette clé d'API ne permet pas d'utiliser l'assistant « {model} »."
UNKNOWN_FLOW = "Assistant « {model} » inconnu. La liste est sur GET /v1/models."
UNKNOWN_CONVERSATION = (
    "Conversation inconnue ou expirée pour cette clé. Omettez conversation_id pour en "
    "commencer une nouvelle."
)
NO_USER_MESSAGE = "Aucun message de l'utilisateur : le dernier message doit avoir role « user »."
TOO_LARGE = "Requête trop volumineuse : {limit} octets au plus."
NOT_JSON = "Corps de requête illisible : JSON invalide."
NOT_UTF8 = "Corps de requête illisible : le texte doit être encodé en UTF-8."
INVALID = "Requête invalide : {field} {what}."
NOT_FOUND = "Adresse inconnue dans l'API. Voir /v1/openapi.json."
NOT_ALLOWED = "Méthode non autorisée pour cette adresse."
TOO_MANY = "Trop de requêtes. Réessayez dans {seconds} secondes."
UNAVAILABLE = "Service momentanément indisponible. Réessayez dans un instant."
INTERNAL = "Erreur interne : la requête n'a pas pu aboutir. Réessayez dans un instant."

_WHAT = {
    "missing": "est obligatoire",
    "too_short": "ne doit pas être vide",
    "too_long": "est trop long",
    "string_type": "doit être un texte",
    "string_too_short": "ne doit pas être vide",
    "string_too_long": "est trop long",
    "string_pattern_mismatch": "n'a pas le format attendu",
    "literal_error": "n'a pas une valeur reconnue",
    "bool_type": "doit valoir true ou false",
    "bool_parsing": "doit valoir true ou false",
    "list_type": "doit être une liste",
    "model_type": "doit être un objet JSON",
    "model_attributes_type": "doit être un objet JSON",
    "dict_type": "doit être un objet JSON",
}

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    411: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "server_error",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status, self.message, self.code = status, message, code
        self.param, self.headers = param, headers or {}

    def response(self) -> JSONResponse:
        return error_response(self.status, self.message, self.code, self.param, self.headers)


def error_body(status: int, message: str, code: str | None, param: str | None = None) -> dict:
    detail = ErrorDetail(
        message=message, type=_TYPES.get(status, "server_error"), code=code, param=param
    )
    return ErrorBody(error=detail).model_dump()


def error_response(
    status: int,
    message: str,
    code: str | None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(status, message, code, param), status, headers=headers)


# Documented on every route of the OpenAPI schema.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "bad input: invalid JSON or UTF-8, missing or empty field",
        401: "missing, wrong or revoked API key",
        413: "body over 1 MB",
        429: "rate limit reached (Retry-After header)",
        500: "server failure",
        503: "a store is unreachable",
    }.items()
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return "« " + (".".join(parts) or "corps") + " »"


async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return error_response(400, NOT_JSON, "invalid_json")
    loc = tuple(first.get("loc", ()))
    what = _WHAT.get(str(first.get("type")), "n'est pas valide")
    message = INVALID.format(field=_field(loc), what=what)
    param = ".".join(str(p) for p in loc if p != "body") or None
    return error_response(400, message, "invalid_request", param)


async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    message = {404: NOT_FOUND, 405: NOT_ALLOWED}.get(status, NOT_JSON if status == 400 else None)
    if message is None:
        message = INTERNAL if status >= 500 else "Requête refusée."
    return error_response(status, message, {404: "not_found"}.get(status, "http_error"))


async def _api(_request: Request, exc: ApiError) -> JSONResponse:
    return exc.response()


async def _crash(_request: Request, exc: Exception) -> JSONResponse:
    log.error("api_crashed", error=type(exc).__name__)
    return error_response(500, INTERNAL, "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _crash)
