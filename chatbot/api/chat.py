"""``POST /v1/chat/completions``: one turn of the flow named by ``model``, through the same
turn function as the chat (``chatbot.threads.run_turn_with_memory`` → ``chatbot.turn``): the
privacy gate, the guard, the flow and the display check all apply. Streamed in the
OpenAI/Albert SSE shape (``chat.completion.chunk`` events, a last chunk with ``choices: []``,
``usage``, ``status`` and ``sources``, then ``data: [DONE]``) or answered at once
(``chat.completion``). The conversation id comes back in the body and in the
``X-Guichet-Conversation-Id`` header."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, StreamingResponse

from chatbot.api import errors
from chatbot.api.access import ApiState, api_state, authenticate
from chatbot.api.errors import ERROR_RESPONSES, ApiError, error_body
from chatbot.api.keys import ApiKey
from chatbot.api.schemas import (
    AnswerMessage,
    ChatChunk,
    ChatCompletion,
    ChatRequest,
    Choice,
    ChunkChoice,
    Delta,
    ErrorBody,
    usage_of,
)
from chatbot.flows.schema import Flow
from chatbot.flows.status import Status
from chatbot.guard import normalise
from chatbot.logs import get_logger
from chatbot.replies import reply
from chatbot.services import Services
from chatbot.store.memory import STORAGE_ERRORS
from chatbot.threads import Memory, run_turn_with_memory
from chatbot.turn import Caller, Token, TurnResult

log = get_logger("guichet.api")

router = APIRouter()
CONVERSATION_HEADER = "X-Guichet-Conversation-Id"

_SSE_DOC = (
    "With `stream: true`: `text/event-stream` of `data: <chat.completion.chunk>` events, the "
    "last one with `choices: []`, `usage`, `status` and `sources`, then `data: [DONE]`."
)


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    summary="Run one turn of an assistant (streamed or not)",
    description=(
        "`model` is an assistant name from `GET /v1/models`. The last message must be the "
        "user's; earlier messages are ignored: the history is the one of `conversation_id`, "
        "kept by the server. " + _SSE_DOC
    ),
    responses={
        200: {"content": {"text/event-stream": {}}},  # completed in routes._openapi
        **ERROR_RESPONSES,
        403: {"model": ErrorBody, "description": "this key's role may not use the assistant"},
        404: {"model": ErrorBody, "description": "unknown assistant or conversation"},
    },
)
async def chat_completions(
    body: ChatRequest, request: Request, key: Annotated[ApiKey, Depends(authenticate)]
) -> JSONResponse | StreamingResponse:
    state = api_state(request)
    services = state.services()
    flow = _flow(services, key, body.model)
    text = _new_message(body, flow)
    memory = await _memory(state, services, key, body.conversation_id)
    privacy = state.conversations.gate(services, memory)
    events = run_turn_with_memory(
        services,
        text,
        memory=memory,
        privacy=privacy,
        caller=Caller(user_id=key.owner, role=key.role),
        flow_name=flow.name,
    )
    conversation_id = memory.thread_id or ""
    headers = {CONVERSATION_HEADER: conversation_id}
    log.info("api_turn", key=key.id, flow=flow.name, stream=body.stream)
    if body.stream:
        headers |= {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            _sse(events, flow.name, conversation_id),
            media_type="text/event-stream",
            headers=headers,
        )
    result: TurnResult | None = None
    try:
        async for event in events:
            if isinstance(event, TurnResult):
                result = event
    except Exception as exc:  # an answer in OpenAI's shape, no exception text anywhere
        log.error("api_turn_crashed", error=type(exc).__name__)
        raise ApiError(500, errors.INTERNAL, "internal_error") from None
    if result is None:  # run_turn always ends with one; never shown as a success
        raise ApiError(500, errors.INTERNAL, "internal_error")
    if result.status == Status.storage_error:  # neither answered nor kept: the reply says so
        raise ApiError(503, result.answer, "storage_unavailable")
    completion = ChatCompletion(
        id=f"chatcmpl-{result.turn_id}",
        created=int(time.time()),
        model=flow.name,
        choices=[Choice(message=AnswerMessage(content=result.answer))],
        usage=usage_of(result.usage),
        **_extras(result, conversation_id),
    )
    return JSONResponse(completion.model_dump(mode="json"), headers=headers)


def _flow(services: Services, key: ApiKey, name: str) -> Flow:
    """The flow named ``model``, if the key's role is offered it (the chat's own rule)."""
    flow = services.flows.get(name)
    if flow is None:
        raise ApiError(
            404, errors.UNKNOWN_FLOW.format(model=name[:64]), "model_not_found", param="model"
        )
    if flow not in services.offered_flows(key.role):
        log.info("api_flow_refused", key=key.id, flow=name)
        raise ApiError(
            403, errors.FORBIDDEN_FLOW.format(model=name), "model_not_allowed", param="model"
        )
    return flow


def _new_message(body: ChatRequest, flow: Flow) -> str:
    """The new turn: the last message, which must be the user's.

    Earlier messages are not used. The history comes from the conversation id, i.e. the
    server's own checkpoints: assistant (or system) messages sent by the client would put text
    into the model's context that never went through the privacy gate, the guard or the
    display check, and would let a client write the bot's past answers (or instructions)."""
    last = body.messages[-1]
    if last.role != "user":
        raise ApiError(400, errors.NO_USER_MESSAGE, "no_user_message", param="messages")
    text = last.text()
    clean = normalise(text, max_chars=flow.guard.max_chars)
    if clean.problem:  # empty, binary or too long: the chat's own French words
        raise ApiError(
            400, reply(flow, clean.problem), f"invalid_input_{clean.problem}", param="messages"
        )
    return text


async def _memory(
    state: ApiState, services: Services, key: ApiKey, conversation_id: str | None
) -> Memory:
    if conversation_id is None:
        return state.conversations.start(key)
    try:
        found = await state.conversations.find(services, key, conversation_id)
    except (*STORAGE_ERRORS, OSError) as exc:
        log.error("api_conversation_lookup_failed", error=type(exc).__name__)
        raise ApiError(503, errors.UNAVAILABLE, "storage_unavailable") from None
    if found is None:
        log.info("api_conversation_refused", key=key.id)
        raise ApiError(
            404, errors.UNKNOWN_CONVERSATION, "conversation_not_found", param="conversation_id"
        )
    return found


def _extras(result: TurnResult, conversation_id: str) -> dict:
    return {
        "conversation_id": conversation_id,
        "status": result.status,
        "sources": result.sources,
        "notice": result.notice or None,
    }


def _data(payload: dict) -> str:
    return "data: " + json.dumps(payload, ensure_ascii=False) + "\n\n"


async def _sse(
    events: AsyncIterator[Token | TurnResult], model: str, conversation_id: str
) -> AsyncIterator[str]:
    chunk_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
    created = int(time.time())

    def chunk(delta: Delta, **extra: object) -> str:
        body = ChatChunk(
            id=chunk_id,
            created=created,
            model=model,
            conversation_id=conversation_id,
            choices=[ChunkChoice(delta=delta, finish_reason=extra.pop("finish_reason", None))],
            **extra,
        )
        return _data(body.model_dump(mode="json", exclude_none=True))

    shown = ""
    result: TurnResult | None = None
    try:
        yield chunk(Delta(role="assistant", content=""))
        async for event in events:
            if isinstance(event, TurnResult):
                result = event
                continue
            if event.reset and shown:
                shown = ""
                yield chunk(Delta(content=""), reset=True)
            if event.text:
                shown += event.text
                yield chunk(Delta(content=event.text))
        if result is None:
            raise RuntimeError("a turn ended without a result")
        # Refusals and fiche excerpts are not streamed; a checked answer that no longer
        # extends what was streamed replaces it.
        answer = result.answer
        if not answer.startswith(shown):
            yield chunk(Delta(content=""), reset=True)
            shown = ""
        if answer[len(shown) :]:
            yield chunk(Delta(content=answer[len(shown) :]))
        yield chunk(Delta(), finish_reason="stop")
        last = ChatChunk(
            id=chunk_id,
            created=created,
            model=model,
            choices=[],
            usage=usage_of(result.usage),
            **_extras(result, conversation_id),
        )
        yield _data(last.model_dump(mode="json", exclude_none=True))
    except Exception as exc:  # the status line is sent: the error travels in the stream
        log.error("api_stream_failed", error=type(exc).__name__)
        yield _data(error_body(500, errors.INTERNAL, "internal_error"))
    yield "data: [DONE]\n\n"
