"""Retrieval evaluation on the dev question set: recall@1, recall@5 and MRR per audience."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from chatbot.knowledge.base import KnowledgeBase
from chatbot.outbound import published

DEPTH = 20  # chunks retrieved per question before collapsing to fiches


class Question(BaseModel):
    id: str
    query: str
    audience: str = "public"
    expected: list[str] = Field(default_factory=list)  # [] = out of scope
    line: int = Field(default=0, exclude=True)  # line in its set file, for messages


class Miss(BaseModel):
    """An in-scope question whose expected fiche is not among the first 5 found."""

    id: str
    query: str
    audience: str
    expected: list[str]
    found: list[str]  # the first 5 fiche ids found
    line: int = 0


class AudienceScore(BaseModel):
    audience: str
    questions: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    misses: list[str] = Field(default_factory=list)  # question ids not in the top 5


class EvalResult(BaseModel):
    mode: str
    per_audience: list[AudienceScore]
    in_scope_top: list[float]  # top-1 score of each in-scope question
    out_of_scope_top: list[float]  # top-1 score of each out-of-scope question
    missed: list[Miss] = Field(default_factory=list)  # every question not in the top 5


def load_questions(path: Path) -> list[Question]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                question = Question.model_validate_json(line)
                questions.append(question.model_copy(update={"line": n}))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: bad question line ({exc})") from None
    return questions


def with_typos(questions: Sequence[Question], seed: int = 1) -> list[Question]:
    """The same questions with two typing slips each (a letter dropped, doubled or swapped in
    words of 5+ letters): how citizens type on a phone. Deterministic for a given seed."""
    rng = random.Random(seed)
    out = []
    for q in questions:
        words = q.query.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 5]
        for i in rng.sample(long_words, min(2, len(long_words))):
            w, j = words[i], rng.randrange(1, len(words[i]) - 1)
            slip = rng.choice("dsr")
            if slip == "d":
                w = w[:j] + w[j + 1 :]
            elif slip == "s":
                w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
        out.append(q.model_copy(update={"query": " ".join(words)}))
    return out


def callers(audience: str) -> frozenset[str]:
    """What a caller of that audience may read: agents read public fiches too."""
    return frozenset({"public", "agents"}) if audience == "agents" else frozenset({"public"})


async def evaluate(kb: KnowledgeBase, questions: Sequence[Question], mode: str) -> EvalResult:
    ranks: dict[str, list[tuple[str, int | None]]] = {}
    in_scope, out_scope = [], []
    missed: list[Miss] = []
    for q in questions:
        hits = await kb.search(published(q.query), callers(q.audience), DEPTH)
        top = hits[0].score if hits else 0.0
        if not q.expected:
            out_scope.append(top)
            continue
        in_scope.append(top)
        fiches = list(dict.fromkeys(h.fiche_id for h in hits))
        rank = next((i + 1 for i, f in enumerate(fiches) if f in q.expected), None)
        ranks.setdefault(q.audience, []).append((q.id, rank))
        if not rank or rank > 5:
            missed.append(
                Miss(
                    id=q.id,
                    query=q.query,
                    audience=q.audience,
                    expected=q.expected,
                    found=fiches[:5],
                    line=q.line,
                )
            )
    scores = []
    for audience in sorted(ranks):
        rows = ranks[audience]
        n = len(rows)
        scores.append(
            AudienceScore(
                audience=audience,
                questions=n,
                recall_at_1=sum(1 for _, r in rows if r == 1) / n,
                recall_at_5=sum(1 for _, r in rows if r and r <= 5) / n,
                mrr=sum(1 / r for _, r in rows if r) / n,
                misses=[qid for qid, r in rows if not r or r > 5],
            )
        )
    return EvalResult(
        mode=mode,
        per_audience=scores,
        in_scope_top=in_scope,
        out_of_scope_top=out_scope,
        missed=missed,
    )


def _distribution(values: list[float]) -> str:
    if not values:
        return "n=0"
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=10) if len(ordered) > 1 else ordered * 9
    return (
        f"n={len(values)} min={ordered[0]:.2f} p10={q[0]:.2f} p50={statistics.median(ordered):.2f} "
        f"p90={q[-1]:.2f} max={ordered[-1]:.2f}"
    )


def format_result(result: EvalResult, write: Callable[[str], Any] = print) -> None:
    write(f"mode: {result.mode}")
    write(f"  {'audience':<9} {'n':>4} {'recall@1':>9} {'recall@5':>9} {'MRR':>6}")
    for s in result.per_audience:
        write(
            f"  {s.audience:<9} {s.questions:>4} {s.recall_at_1:>9.3f} {s.recall_at_5:>9.3f} "
            f"{s.mrr:>6.3f}"
        )
    write(f"  top score, in scope:     {_distribution(result.in_scope_top)}")
    write(f"  top score, out of scope: {_distribution(result.out_of_scope_top)}")
    if result.in_scope_top and result.out_of_scope_top:
        cells = []
        for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
            kept = sum(s >= threshold for s in result.in_scope_top) / len(result.in_scope_top)
            refused = sum(s < threshold for s in result.out_of_scope_top) / len(
                result.out_of_scope_top
            )
            cells.append(f"{threshold:.2f}: {kept:.0%}/{refused:.0%}")
        write(f"  min_score -> in scope answered / out of scope refused: {'  '.join(cells)}")
    misses = [m for s in result.per_audience for m in s.misses]
    if misses:
        write(f"  not in top 5: {', '.join(misses)}")


def to_json(result: EvalResult) -> str:
    return json.dumps(result.model_dump(exclude={"missed"}), ensure_ascii=False)
