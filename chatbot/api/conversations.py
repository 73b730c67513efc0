"""Which conversation an API call continues: decided on the server, never by the client.

A conversation id (``conv-<32 hex>``) is made here and returned to the client; it names a row
of ``guichet_memory`` whose owner is the key (``ApiKey.owner``) and whose ``key`` is the
checkpointer's thread id (never sent out). A client sending a conversation id only asks: the
id is looked up *for its own key*; someone else's id, an expired or an invented one, all get
the same "unknown conversation" answer, so no id can be probed.

Memory kinds follow the key's role as in the chat: a citizen key's conversations are swept
after ``CITIZEN_MEMORY_MAX_IDLE`` without a message; staff keys' follow retention
(``chatbot data purge``, ``chatbot data erase api-key:<id>``).

The privacy gate's placeholder mapping lives in this process's memory only (never on disk),
one per conversation, dropped after the same idle time. A conversation continued on another
instance keeps its (pseudonymised) history but cannot put back the personal values of earlier
turns: they stay as placeholders in that answer.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from chatbot.api.keys import ApiKey
from chatbot.privacy import Pseudonymiser
from chatbot.roles import is_staff
from chatbot.services import Services
from chatbot.store.memory import AGENT, CITIZEN, CITIZEN_MEMORY_MAX_IDLE, new_key
from chatbot.threads import Memory

MAX_GATES = 10_000  # privacy gates kept in memory, least recently used dropped first
GATE_IDLE_S = CITIZEN_MEMORY_MAX_IDLE.total_seconds()


def new_conversation_id() -> str:
    return f"conv-{uuid.uuid4().hex}"


class Conversations:
    def __init__(self) -> None:
        self._gates: OrderedDict[tuple[str, str], tuple[float, Pseudonymiser]] = OrderedDict()

    @staticmethod
    def kind_of(key: ApiKey) -> str:
        return AGENT if is_staff(key.role) else CITIZEN

    def start(self, key: ApiKey) -> Memory:
        """A new conversation for this key (its row is written by the turn)."""
        return Memory(
            new_key(self.kind_of(key)),
            self.kind_of(key),
            user=key.owner,
            thread_id=new_conversation_id(),
        )

    async def find(self, services: Services, key: ApiKey, conversation_id: str) -> Memory | None:
        """This key's conversation, or None (someone else's, expired, or never made)."""
        memory_key = await services.memory.find(key.owner, conversation_id, kind=self.kind_of(key))
        if memory_key is None:
            return None
        return Memory(memory_key, self.kind_of(key), user=key.owner, thread_id=conversation_id)

    def gate(self, services: Services, memory: Memory) -> Pseudonymiser:
        """The privacy gate of this conversation (one mapping per conversation)."""
        now = time.monotonic()
        self._drop_idle(now)
        slot = (memory.user or "", memory.thread_id or "")
        found = self._gates.pop(slot, None)
        privacy = found[1] if found else services.privacy()
        self._gates[slot] = (now, privacy)
        while len(self._gates) > MAX_GATES:
            self._gates.popitem(last=False)
        return privacy

    def _drop_idle(self, now: float) -> None:
        while self._gates:
            slot, (used, _) = next(iter(self._gates.items()))
            if now - used < GATE_IDLE_S:
                break
            del self._gates[slot]
