"""Citizens' anonymous signals for editors: a rating, or a question left unanswered.

Nothing is stored of a citizen's conversation; a signal keeps the pseudonymised question, the
flow and the turn's status, and no user, thread or step id, so nothing links it to a person or
a conversation (``schema.signals``). Ratings arrive later than the turn, on another request:
``RecentCitizenSteps`` remembers, per process, what a rating needs.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from chatbot.store.schema import signal_timestamp, sql_param

if TYPE_CHECKING:
    from chatbot.privacy import Pseudonymiser

# "cited": an answered turn's cited fiche ids, and nothing else (no question): which fiches
# serve citizens, for the editors' "never cited / most cited" report.
SIGNAL_KINDS = ("feedback", "unanswered", "cited")


async def record_signal(
    engine: AsyncEngine,
    kind: str,
    *,
    flow: str | None,
    status: str | None,
    question: str | None,
    value: int | None = None,
    comment: str | None = None,
    signal_id: str | None = None,
    sources: list[str] | None = None,
) -> str:
    """Store one anonymous signal (text already pseudonymised); return its id.

    ``signal_id`` makes it an upsert: a citizen who changes their rating updates it.
    """
    if kind not in SIGNAL_KINDS:
        raise ValueError(f"unknown signal kind: {kind!r}")
    signal_id = signal_id or str(uuid.uuid4())
    params = {
        "id": signal_id,
        "createdAt": signal_timestamp(),
        "flow": flow,
        "kind": kind,
        "status": status,
        "value": value,
        "question": sql_param(question),
        "comment": sql_param(comment),
        "sources": sql_param(sources) if sources else None,
    }
    async with engine.begin() as conn:
        await conn.execute(
            text(
                'INSERT INTO guichet_signals ("id", "createdAt", "flow", "kind", "status", '
                '"value", "question", "comment", "sources") VALUES (:id, :createdAt, :flow, '
                ":kind, :status, :value, :question, :comment, :sources) "
                'ON CONFLICT ("id") DO UPDATE SET "value" = :value, "comment" = :comment, '
                '"createdAt" = :createdAt'
            ),
            params,
        )
    return signal_id


@dataclass(frozen=True)
class CitizenTurn:
    """What is needed to record a signal about a citizen's turn, and nothing more."""

    question: str | None  # pseudonymised
    flow: str | None
    status: str | None
    # The session's gate while the session lives (for the comment), never kept alive by us.
    privacy: Callable[[], Pseudonymiser | None]
    # One rating per answer: a second rating (or a retry, or a forged request) updates it.
    rating_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class RecentCitizenSteps:
    """Citizens' steps are not stored, yet their ratings arrive later, on another request
    (Chainlit's /feedback route) that only names the rated step. This per-process memory maps
    the last ``size`` run/answer step ids to their turn, least recently used out first.
    Sticky sessions send the rating to the process that saw the turn."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._questions: OrderedDict[str, str | None] = OrderedDict()  # user message id
        self._parents: OrderedDict[str, str] = OrderedDict()  # run step id -> its parent
        self._turns: OrderedDict[str, CitizenTurn] = OrderedDict()  # run/answer step id

    @staticmethod
    def _put(store: OrderedDict[str, Any], key: str, value: Any, size: int) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > size:
            store.popitem(last=False)

    def add_question(self, step_id: str, question: str | None) -> None:
        self._put(self._questions, step_id, question, self.size)

    def add_run(self, step_id: str, parent_id: str) -> None:
        self._put(self._parents, step_id, parent_id, self.size)

    def question_before(self, step_id: str | None) -> str | None:
        """The question of the user message at or above this step (run -> user message)."""
        for _ in range(3):
            if not step_id:
                return None
            if step_id in self._questions:
                return self._questions[step_id]
            step_id = self._parents.get(step_id)
        return None

    def add_turn(self, answer_id: str, parent_id: str | None, turn: CitizenTurn) -> bool:
        """Remember an answer (and its run step, which Chainlit's UI rates); False if this
        answer was seen already (Chainlit writes a step again when it is updated)."""
        previous = self._turns.get(answer_id)
        if previous is not None:
            turn = replace(turn, rating_id=previous.rating_id)
        self._put(self._turns, answer_id, turn, self.size)
        if parent_id:
            self._put(self._turns, parent_id, turn, self.size)
        return previous is None

    def turn(self, step_id: str) -> CitizenTurn | None:
        turn = self._turns.get(step_id)
        if turn is not None:
            self._turns.move_to_end(step_id)
        return turn

    def __len__(self) -> int:
        return len(self._turns)


def no_privacy() -> None:
    """A turn's gate when its session had none."""
    return None
