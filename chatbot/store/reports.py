"""Reports for editors from the conversation database: ratings, and questions left unanswered.

    await feedback_report(settings, days=7)     ratings per flow, latest negative comments
    await unanswered_report(settings, days=7)   questions answered "no content"/"out of scope"

Everything read here was pseudonymised before it was stored. Agents' ratings and questions
come from their stored conversations; citizens' from anonymous signals (``guichet_signals``:
no conversation is stored for them), reported apart as "citizens (anonymous)".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select

from chatbot.flows.status import UNANSWERED
from chatbot.store.schema import (
    cutoff_timestamp,
    database_url,
    feedbacks,
    loads,
    open_engine,
    signals,
    steps,
    threads,
)

if TYPE_CHECKING:
    from chatbot.settings import Settings

UNKNOWN_FLOW = "(unknown)"
AGENTS = "agents"
CITIZENS = "citizens (anonymous)"


class Negative(BaseModel):
    at: str | None
    question: str | None
    answer: str | None
    comment: str | None


class FlowFeedback(BaseModel):
    flow: str
    source: str = AGENTS  # AGENTS (stored conversations) or CITIZENS (anonymous signals)
    ratings: int
    up: int
    down: int
    negative_share: float
    recent_negative: list[Negative]


class FeedbackReport(BaseModel):
    days: float | None
    ratings: int
    flows: list[FlowFeedback]


class UnansweredQuestion(BaseModel):
    at: str | None
    status: str
    question: str | None


class FlowUnanswered(BaseModel):
    flow: str
    source: str = AGENTS
    count: int
    by_status: dict[str, int]
    frequent: list[tuple[str, int]]
    recent: list[UnansweredQuestion]


class UnansweredReport(BaseModel):
    days: float | None
    count: int
    flows: list[FlowUnanswered]


def flow_of(step_meta: Any, thread_tags: Any, thread_meta: Any) -> str:
    """The answer step's own ``flow``, else the thread's tag, else its chat profile."""
    step_meta = loads(step_meta, {})
    if isinstance(step_meta, dict) and step_meta.get("flow"):
        return str(step_meta["flow"])
    tags = loads(thread_tags, [])
    if isinstance(tags, list) and tags:
        return str(tags[0])
    thread_meta = loads(thread_meta, {})
    if isinstance(thread_meta, dict) and thread_meta.get("chat_profile"):
        return str(thread_meta["chat_profile"])
    return UNKNOWN_FLOW


class _ThreadSteps:
    """The steps of some threads, to find the question and answer around a rated step.

    Chainlit nests a turn as user_message -> run "on_message" -> assistant_message, and its
    UI attaches feedback to the run step, not to the message.
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_id = {row["id"]: row for row in rows}
        self.children: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.user_messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            if row["parentId"]:
                self.children[row["parentId"]].append(row)
            if row["type"] == "user_message":
                self.user_messages[row["threadId"]].append(row)

    def answer_for(self, step: dict[str, Any]) -> dict[str, Any] | None:
        if step["type"] == "assistant_message":
            return step
        answers = [c for c in self.children.get(step["id"], []) if c["type"] == "assistant_message"]
        return max(answers, key=lambda c: c["createdAt"] or "") if answers else None

    def question_for(self, step: dict[str, Any]) -> str | None:
        current: dict[str, Any] | None = step
        for _ in range(20):  # parent chain; a bound in case of a cycle in stored data
            if current is None:
                break
            if current["type"] == "user_message":
                return current["output"]
            current = self.by_id.get(current["parentId"] or "")
        # Steps written without parents: the last user message before the step.
        at = step["createdAt"] or ""
        earlier = [
            m for m in self.user_messages.get(step["threadId"], []) if (m["createdAt"] or "") <= at
        ]
        return max(earlier, key=lambda m: m["createdAt"] or "")["output"] if earlier else None


async def _load_steps(conn: Any, thread_ids: set[str]) -> _ThreadSteps:
    ordered = sorted(thread_ids)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ordered), 500):
        result = await conn.execute(
            select(
                steps.c.id,
                steps.c.threadId,
                steps.c.parentId,
                steps.c.type,
                steps.c.createdAt,
                steps.c.output,
                steps.c.metadata,
            ).where(steps.c.threadId.in_(ordered[start : start + 500]))
        )
        rows.extend(dict(row) for row in result.mappings())
    return _ThreadSteps(rows)


def _meta_with_flow(*metas: Any) -> Any:
    for meta in metas:
        parsed = loads(meta, {})
        if isinstance(parsed, dict) and parsed.get("flow"):
            return parsed
    return {}


async def _signals(conn: Any, table: Any, kind: str, days: float | None) -> list[dict[str, Any]]:
    """Citizens' anonymous signals of one kind, newest first."""
    query = select(
        table.c.createdAt,
        table.c.flow,
        table.c.status,
        table.c.value,
        table.c.question,
        table.c.comment,
    ).where(table.c.kind == kind)
    if days is not None:
        query = query.where(table.c.createdAt >= cutoff_timestamp(days))
    query = query.order_by(table.c.createdAt.desc())
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def feedback_report(
    settings: Settings, days: float | None = None, recent: int = 5
) -> FeedbackReport:
    async with open_engine(database_url(settings)) as engine:
        async with engine.connect() as conn:
            query = select(
                feedbacks.c.value,
                feedbacks.c.comment,
                feedbacks.c.createdAt,
                feedbacks.c.forId,
                steps.c.createdAt.label("step_at"),
                steps.c.threadId,
                threads.c.tags,
                threads.c.metadata.label("thread_meta"),
            ).select_from(
                feedbacks.join(steps, steps.c.id == feedbacks.c.forId).join(
                    threads, threads.c.id == steps.c.threadId
                )
            )
            if days is not None:
                cutoff = cutoff_timestamp(days)
                query = query.where(
                    (feedbacks.c.createdAt >= cutoff)
                    | (feedbacks.c.createdAt.is_(None) & (steps.c.createdAt >= cutoff))
                )
            rows = [dict(row) for row in (await conn.execute(query)).mappings()]
            context = await _load_steps(conn, {row["threadId"] for row in rows})
            citizen_rows = await _signals(conn, signals, "feedback", days)

    per_flow: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        rated = context.by_id[row["forId"]]
        answer = context.answer_for(rated)
        meta = _meta_with_flow(answer["metadata"] if answer else None, rated["metadata"])
        row["answer"] = answer["output"] if answer else rated["output"]
        row["question"] = context.question_for(rated)
        per_flow[(flow_of(meta, row["tags"], row["thread_meta"]), AGENTS)].append(row)
    for row in citizen_rows:
        # The answer a citizen saw is not kept: only their question, rating and comment.
        row.update(step_at=None, answer=None)
        per_flow[(row["flow"] or UNKNOWN_FLOW, CITIZENS)].append(row)

    flows = []
    for flow, source in sorted(per_flow):
        items = per_flow[(flow, source)]
        up = sum(1 for r in items if int(r["value"]) == 1)
        down = sorted(
            (r for r in items if int(r["value"]) == 0),
            key=lambda r: r["createdAt"] or r["step_at"] or "",
            reverse=True,
        )
        flows.append(
            FlowFeedback(
                flow=flow,
                source=source,
                ratings=len(items),
                up=up,
                down=len(down),
                negative_share=round(len(down) / len(items), 3),
                recent_negative=[
                    Negative(
                        at=r["createdAt"] or r["step_at"],
                        comment=r["comment"],
                        answer=r["answer"],
                        question=r["question"],
                    )
                    for r in down[:recent]
                ],
            )
        )
    return FeedbackReport(days=days, ratings=len(rows) + len(citizen_rows), flows=flows)


async def unanswered_report(
    settings: Settings, days: float | None = None, recent: int = 10
) -> UnansweredReport:
    async with open_engine(database_url(settings)) as engine:
        async with engine.connect() as conn:
            # metadata is JSON in TEXT: narrow with LIKE, then decide on the parsed value.
            query = (
                select(
                    steps.c.id,
                    steps.c.metadata,
                    steps.c.threadId,
                    threads.c.tags,
                    threads.c.metadata.label("thread_meta"),
                )
                .select_from(steps.join(threads, threads.c.id == steps.c.threadId))
                .where(steps.c.metadata.like('%"status"%'))
            )
            if days is not None:
                query = query.where(steps.c.createdAt >= cutoff_timestamp(days))
            hits = []
            for row in (await conn.execute(query)).mappings():
                meta = loads(row["metadata"], {})
                status = meta.get("status") if isinstance(meta, dict) else None
                if status in UNANSWERED:
                    flow = flow_of(meta, row["tags"], row["thread_meta"])
                    hits.append((flow, status, row["id"], row["threadId"]))
            context = await _load_steps(conn, {hit[3] for hit in hits})
            citizen_rows = await _signals(conn, signals, "unanswered", days)

    per_flow: dict[tuple[str, str], list[UnansweredQuestion]] = defaultdict(list)
    for flow, status, step_id, _ in hits:
        step = context.by_id[step_id]
        per_flow[(flow, AGENTS)].append(
            UnansweredQuestion(
                at=step["createdAt"], status=status, question=context.question_for(step)
            )
        )
    for row in citizen_rows:
        per_flow[(row["flow"] or UNKNOWN_FLOW, CITIZENS)].append(
            UnansweredQuestion(
                at=row["createdAt"], status=row["status"] or "", question=row["question"]
            )
        )
    flows = []
    for flow, source in sorted(per_flow):
        items = sorted(per_flow[(flow, source)], key=lambda q: q.at or "", reverse=True)
        frequent = Counter(
            " ".join((q.question or "").casefold().split()) for q in items if q.question
        )
        flows.append(
            FlowUnanswered(
                flow=flow,
                source=source,
                count=len(items),
                by_status=dict(Counter(q.status for q in items)),
                frequent=frequent.most_common(5),
                recent=items[:recent],
            )
        )
    return UnansweredReport(days=days, count=len(hits) + len(citizen_rows), flows=flows)
