"""The API sub-application, mounted at ``/v1`` in Chainlit's server (``install_api``).

    GET  /v1/models             the assistants (flows) the key's role is offered
    POST /v1/chat/completions   one turn, streamed or not (``chatbot.api.chat``)
    POST|GET /v1/files, DELETE /v1/files/{id}   agents' own documents (``chatbot.api.files``)
    GET  /v1/openapi.json       the OpenAPI schema of every route, body and error

A sub-application has its own error handlers (every error in OpenAI's JSON shape) and its own
schema; it is mounted ahead of Chainlit's catch-all ``GET /{full_path:path}``, which would
otherwise answer every unknown path with the chat page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from chatbot.api import errors
from chatbot.api.access import ApiState, api_state, authenticate
from chatbot.api.chat import router as chat_router
from chatbot.api.errors import ERROR_RESPONSES, error_response, install_error_handlers
from chatbot.api.files import router as files_router
from chatbot.api.keys import ApiKey, KeyStore
from chatbot.api.limits import shared_limiter
from chatbot.api.schemas import ChatChunk, ModelCard, ModelList
from chatbot.services import Services
from chatbot.web.asgi import replay_body

MAX_BODY = 1024 * 1024  # bytes of a JSON body; larger is refused with 413 before parsing

models_router = APIRouter()


@models_router.get(
    "/models",
    response_model=ModelList,
    summary="The assistants this key may use",
    responses=ERROR_RESPONSES,
)
async def list_models(request: Request, key: Annotated[ApiKey, Depends(authenticate)]) -> ModelList:
    services = api_state(request).services()
    return ModelList(
        data=[
            ModelCard(id=flow.name, label=flow.label, description=flow.description)
            for flow in services.offered_flows(key.role)
        ]
    )


class BodyCheck:
    """JSON bodies over ``MAX_BODY`` get 413 and bodies that are not UTF-8 get 400, before
    anything parses them. Multipart uploads (``POST /v1/files``) set their own limits."""

    def __init__(self, app: Any, max_body: int = MAX_BODY) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if content_type.startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413, errors.TOO_LARGE.format(limit=self.max_body), "request_too_large"
        )
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > self.max_body:
            await too_large(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            await error_response(400, errors.NOT_UTF8, "invalid_utf8")(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)


def build_api(state: ApiState) -> FastAPI:
    api = FastAPI(
        title="Guichet API",
        version="1",
        summary="OpenAI-compatible access to Guichet's assistants",
        description=(
            "Any OpenAI client can talk to a Guichet assistant: `base_url` = this server's "
            "`/v1`, `api_key` = a key made by `chatbot keys add`. Answers carry the turn's "
            "`status`, its `sources` and a `conversation_id` to send back (extra body field) "
            'to continue. Errors: `{"error": {"message", "type", "code"}}`, messages '
            "in French."
        ),
        openapi_url="/openapi.json",
        docs_url=None,  # Swagger UI loads scripts from a CDN: nothing is fetched elsewhere
        redoc_url=None,
    )
    api.state.guichet = state
    api.openapi = lambda: _openapi(api)  # type: ignore[method-assign]
    install_error_handlers(api)
    api.add_middleware(BodyCheck)
    api.include_router(models_router)
    api.include_router(chat_router)
    api.include_router(files_router)  # agents' own documents, private to their key
    return api


def _openapi(api: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus the streamed chunk: each SSE event of a streamed answer carries
    a ``ChatChunk``."""
    if api.openapi_schema:
        return api.openapi_schema
    from fastapi.openapi.utils import get_openapi

    document = get_openapi(
        title=api.title,
        version=api.version,
        summary=api.summary,
        description=api.description,
        routes=api.routes,
    )
    chunk = ChatChunk.model_json_schema(ref_template="#/components/schemas/{model}")
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in chunk.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["ChatChunk"] = chunk
    stream = document["paths"]["/chat/completions"]["post"]["responses"]["200"]["content"]
    # Before OpenAPI 3.2, the ``schema`` of an event stream describes one event.
    stream["text/event-stream"] = {
        "schema": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "description": "a ChatChunk as JSON; the last event is `[DONE]`",
                    "anyOf": [
                        {"const": "[DONE]"},
                        {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "contentSchema": {"$ref": "#/components/schemas/ChatChunk"},
                        },
                    ],
                }
            },
        }
    }
    api.openapi_schema = document
    return document


def make_api(settings: Any, get_services: Callable[[], Services | None]) -> FastAPI:
    """The API application (mounted at ``/v1`` by ``chatbot.api.mount.install_api``)."""
    from chatbot.store.schema import database_url
    from chatbot.web.auth import get_auth_settings

    state = ApiState(
        get_services=get_services,
        keys=KeyStore(database_url(settings)),
        limiter=shared_limiter(get_auth_settings().rate_limit_storage),
        rate_per_key=settings.api_rate_per_key,
    )
    return build_api(state)
