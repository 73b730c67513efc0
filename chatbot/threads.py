"""Which conversation memory a chat session uses: decided on the server, never by the browser.

Chainlit takes the thread id a browser sends and refuses it only when it has stored that
thread for someone else; citizens' threads are never stored. So the checkpointer is never keyed
by that id: each session gets a memory key made here (``chatbot.store.memory``), kept in the
server-side user session.

- a citizen: a new memory per visit; deleted when the visit ends (``end_memory``);
- an agent: a new memory per conversation; resuming one of *their own stored* threads (the
  data layer says who owns it) finds that thread's memory again;
- any other thread id a browser sends: a new, empty memory.

A turn that fails because the database is down ends with ``Status.storage_error``, whose reply
says the message was neither answered nor kept (``run_turn_with_memory``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import chainlit as cl

from chatbot.flows.status import Status
from chatbot.logs import get_logger
from chatbot.privacy import Pseudonymiser
from chatbot.replies import reply
from chatbot.roles import is_staff
from chatbot.services import Services
from chatbot.store.memory import AGENT, CITIZEN, STORAGE_ERRORS, new_key
from chatbot.turn import Caller, Token, TurnResult, run_turn

log = get_logger("guichet.threads")

SESSION_KEY = "memory"
_pending: set[asyncio.Task] = set()  # deletions waiting for a visit to end


@dataclass(frozen=True)
class Memory:
    key: str  # the checkpointer's thread id; never sent to the browser
    kind: str  # CITIZEN | AGENT
    user: str | None = None  # agents: their identifier
    thread_id: str | None = None  # agents: the Chainlit thread it belongs to


def _fresh(role: str) -> Memory:
    if not is_staff(role):
        return Memory(new_key(CITIZEN), CITIZEN)
    user = cl.user_session.get("user")
    return Memory(
        new_key(AGENT),
        AGENT,
        user=getattr(user, "identifier", None),
        thread_id=cl.context.session.thread_id,
    )


def start_memory(role: str) -> Memory:
    """``on_chat_start``: a new, empty memory, whatever thread id the browser sent."""
    memory = _fresh(role)
    cl.user_session.set(SESSION_KEY, memory)
    return memory


async def resume_memory(services: Services, role: str, thread: dict[str, Any]) -> Memory:
    """``on_chat_resume``: an agent resuming their own stored thread gets its memory back;
    anything else starts empty."""
    memory = _fresh(role)
    thread_id = thread.get("id")
    if memory.kind == AGENT and memory.user and isinstance(thread_id, str):
        if await _owns_stored_thread(memory.user, thread_id):
            key = await services.memory.find(memory.user, thread_id)
            memory = Memory(key or memory.key, AGENT, user=memory.user, thread_id=thread_id)
    cl.user_session.set(SESSION_KEY, memory)
    return memory


async def _owns_stored_thread(user: str, thread_id: str) -> bool:
    """Asked of the data layer, not of what Chainlit passed along."""
    from chainlit.data import get_data_layer

    layer = get_data_layer()
    if layer is None:
        return False
    try:
        stored = await layer.get_thread(thread_id)
    except Exception as exc:  # an outage: no memory rather than someone else's
        log.warning("thread_owner_unknown", error=type(exc).__name__)
        return False
    return bool(stored) and stored.get("userIdentifier") == user


def current_memory(role: str) -> Memory:
    """This session's memory (a new one if the session has none yet)."""
    memory = cl.user_session.get(SESSION_KEY)
    if not isinstance(memory, Memory) or (memory.kind == AGENT) != is_staff(role):
        memory = start_memory(role)
    return memory


async def run_turn_with_memory(
    services: Services,
    text: str,
    *,
    memory: Memory,
    privacy: Pseudonymiser,
    caller: Caller,
    flow_name: str,
) -> AsyncIterator[Token | TurnResult]:
    """``run_turn`` on this session's memory; a database failure ends the turn with
    ``storage_error`` (the message was neither answered nor kept: the user is told so)."""
    try:
        try:
            await services.memory.touch(
                memory.key, kind=memory.kind, user=memory.user, thread_id=memory.thread_id
            )
        except OSError as exc:  # asyncpg's refused connection is not wrapped by SQLAlchemy
            raise ConnectionError("conversation database unreachable") from exc
        async for event in run_turn(
            services,
            text,
            thread_id=memory.key,
            privacy=privacy,
            caller=caller,
            flow_name=flow_name,
        ):
            yield event
    except (*STORAGE_ERRORS, ConnectionError) as exc:
        log.error("turn_storage_error", memory=memory.key, error=type(exc).__name__)
        flow = services.flow_for(flow_name, caller.role)
        yield Token(reset=True)
        yield TurnResult(
            turn_id=uuid.uuid4().hex[:12],
            thread_id=memory.key,
            flow=flow.name,
            status=Status.storage_error,
            answer=reply(flow, Status.storage_error),
        )


async def end_memory(services: Services, after_s: float) -> None:
    """``on_chat_end`` (every disconnection): a citizen's memory is deleted when the visit
    ends: at once on "new conversation", else once Chainlit drops the session (``after_s``,
    its session timeout) unless the browser came back. Agents' memories follow retention."""
    memory = cl.user_session.get(SESSION_KEY)
    if not isinstance(memory, Memory) or memory.kind != CITIZEN:
        return
    session = cl.context.session
    if getattr(session, "to_clear", False):
        await _forget(services, memory.key)
        return
    task = asyncio.create_task(_forget_when_gone(services, session.id, memory.key, after_s))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _forget_when_gone(services: Services, session_id: str, key: str, after_s: float) -> None:
    from chainlit.session import WebsocketSession

    await asyncio.sleep(after_s)
    if WebsocketSession.get_by_id(session_id) is None:
        await _forget(services, key)


async def _forget(services: Services, key: str) -> None:
    try:
        await services.memory.forget(key)
    except Exception as exc:  # an outage: the sweep deletes it later
        log.warning("memory_not_forgotten", error=type(exc).__name__)
