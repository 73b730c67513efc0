"""What every step reads and writes: the turn's state (persisted by the checkpointer, so it
holds pseudonymised text only) and the run's context (not persisted)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypedDict

# Imported at run time, not only for type checking: LangGraph reads these annotations to
# allow the models through the checkpointer's deserialiser (SQLite and PostgreSQL savers).
from chatbot.flows.status import Status
from chatbot.knowledge.models import Hit, Source

if TYPE_CHECKING:
    from chatbot.backend import Backend, Usage
    from chatbot.documents import Documents
    from chatbot.flows.schema import Flow
    from chatbot.knowledge import KnowledgeBase
    from chatbot.privacy import Pseudonymiser

HISTORY_SENT = 6  # messages of history sent with a generation or a rewrite


class TurnState(TypedDict, total=False):
    history: Annotated[list[dict[str, str]], operator.add]  # persisted, pseudonymised
    question: str  # this turn's message, normalised and pseudonymised
    standalone: str  # the question rewritten to stand alone
    status: Status | None
    answer: str
    hits: list[Hit]
    sources: list[Source]
    degraded: str | None
    rule: str | None


@dataclass
class TurnContext:
    flow: Flow
    audiences: frozenset[str]
    privacy: Pseudonymiser
    kb: KnowledgeBase
    backend: Backend | None
    canary: str
    turn_id: str = ""
    usage: Usage | None = None  # what the generation cost (set by the generate step)
    # The logged-in agent whose own documents this turn may search (set by the server from
    # the authenticated user; None for citizens and flows without documents).
    owner: str | None = None
    documents: Documents | None = None
