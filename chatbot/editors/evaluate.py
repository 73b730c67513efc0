"""How well unanswered questions are grouped by subject: ``chatbot eval groups``.

The set (``tests/eval/groups.jsonl``: ``{"id", "subject", "question"}``) holds paraphrases of
subjects the knowledge base does not cover, some with personal details. Each question goes
through the privacy gate first, as a stored signal did, then the questions are grouped.

- **purity**: the share of questions that belong to the majority subject of their group
  (sum over groups of the majority subject's count, divided by the number of questions). One
  group per question scores 1: purity alone rewards splitting.
- **completeness**: the share of questions that land in the group holding most of their
  subject (sum over subjects of the largest share of that subject in one group, divided by
  the number of questions), i.e. the inverse purity. One group for everything scores 1.

Both must be high at once (target >= 0.85 each, offline).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from chatbot.paths import ROOT

GROUPS_SET = ROOT / "tests" / "eval" / "groups.jsonl"


class Labelled(BaseModel):
    id: str
    subject: str
    question: str


class GroupScore(BaseModel):
    questions: int
    subjects: int
    groups: int
    purity: float
    completeness: float
    threshold: float
    mode: str
    mixed: list[list[str]] = []  # groups holding several subjects: their questions' ids


def load_set(path: Path = GROUPS_SET) -> list[Labelled]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                items.append(Labelled.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
    return items


def purity_completeness(
    subjects: Sequence[str], members: Sequence[Sequence[int]]
) -> tuple[float, float]:
    """(purity, completeness) as defined in the module docstring."""
    total = len(subjects)
    if not total:
        return 1.0, 1.0
    purity = sum(Counter(subjects[i] for i in group).most_common(1)[0][1] for group in members)
    per_subject: dict[str, Counter[int]] = defaultdict(Counter)
    for g, group in enumerate(members):
        for i in group:
            per_subject[subjects[i]][g] += 1
    completeness = sum(c.most_common(1)[0][1] for c in per_subject.values())
    return purity / total, completeness / total


async def score(
    items: Sequence[Labelled],
    *,
    backend: object = None,
    model: str = "",
    threshold: float | None = None,
) -> GroupScore:
    from chatbot.editors.groups import BACKEND_THRESHOLD, OFFLINE_THRESHOLD, Item, group_items
    from chatbot.privacy.pseudonymise import scrub_once

    stored = [Item(question=str(scrub_once(i.question))) for i in items]
    clusters = await group_items(stored, backend=backend, model=model, threshold=threshold)
    subjects = [i.subject for i in items]
    purity, completeness = purity_completeness(subjects, clusters.members)
    mixed = [
        [items[i].id for i in group]
        for group in clusters.members
        if len({subjects[i] for i in group}) > 1
    ]
    cut = (
        threshold
        if threshold is not None
        else (BACKEND_THRESHOLD if backend is not None else OFFLINE_THRESHOLD)
    )
    return GroupScore(
        questions=len(items),
        subjects=len(set(subjects)),
        groups=len(clusters.members),
        purity=round(purity, 3),
        completeness=round(completeness, 3),
        threshold=cut,
        mode="backend" if backend is not None else "offline",
        mixed=mixed,
    )
