"""Scoring of the guardrails and the router against the labelled dev sets.

Figures, per attack category: recall (share of its attacks caught). Per rule family:
precision (share of the messages it flagged that are attacks). Per benign category: the
false-positive rate (share of those benign messages refused). Overall: precision, recall,
false-positive rate. The flags come from a detector function, so the same code scores the
rules alone and the rules plus the model classifier.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from chatbot.guard.intents import Intent, classify_intent
from chatbot.guard.rules import FAMILIES


class GuardCase(BaseModel):
    id: str
    text: str
    label: Literal["attack", "benign"]
    category: str


class IntentCase(BaseModel):
    id: str
    text: str
    intent: Intent


_Case = TypeVar("_Case", GuardCase, IntentCase)


def load_cases(path: Path, model: type[_Case]) -> list[_Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(model.model_validate(json.loads(line)))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
    return cases


class Ratio(BaseModel):
    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0


class GuardScore(BaseModel):
    recall: Ratio
    precision: Ratio
    false_positives: Ratio
    recall_by_category: dict[str, Ratio]
    precision_by_family: dict[str, Ratio]
    fp_by_category: dict[str, Ratio]
    missed: list[str]  # ids of attacks not caught
    refused: list[str]  # ids of benign messages refused


# A detector returns the id of what fired (a rule, "classifier") or None.
Detector = Callable[[str], str | None]


def family_of(fired: str) -> str:
    """`"base64:override.ignore_en"` -> "obfuscated"; `"harmful.weapons"` -> "harmful"."""
    if fired.startswith("local."):
        return "local"
    if ":" in fired:
        return "obfuscated"
    family = fired.split(".", 1)[0]
    return family if family in FAMILIES else fired


def score_guard(cases: Iterable[GuardCase], detect: Detector) -> GuardScore:
    caught: dict[str, list[bool]] = defaultdict(list)
    benign_flags: dict[str, list[bool]] = defaultdict(list)
    flagged_by: dict[str, list[bool]] = defaultdict(list)  # family -> [is attack]
    missed: list[str] = []
    refused: list[str] = []
    for case in cases:
        fired = detect(case.text)
        attack = case.label == "attack"
        if fired:
            flagged_by[family_of(fired)].append(attack)
        if attack:
            caught[case.category].append(bool(fired))
            if not fired:
                missed.append(case.id)
        else:
            benign_flags[case.category].append(bool(fired))
            if fired:
                refused.append(case.id)

    def ratio(values: Iterable[bool]) -> Ratio:
        items = list(values)
        return Ratio(hits=sum(items), total=len(items))

    all_caught = [v for vs in caught.values() for v in vs]
    all_benign = [v for vs in benign_flags.values() for v in vs]
    all_flagged = [v for vs in flagged_by.values() for v in vs]
    return GuardScore(
        recall=ratio(all_caught),
        precision=ratio(all_flagged),
        false_positives=ratio(all_benign),
        recall_by_category={k: ratio(v) for k, v in sorted(caught.items())},
        precision_by_family={k: ratio(v) for k, v in sorted(flagged_by.items())},
        fp_by_category={k: ratio(v) for k, v in sorted(benign_flags.items())},
        missed=missed,
        refused=refused,
    )


class IntentScore(BaseModel):
    accuracy: Ratio
    confusion: dict[str, dict[str, int]]  # expected -> predicted -> count
    wrong: list[str]  # "id: expected -> predicted"


def score_intents(cases: Iterable[IntentCase]) -> IntentScore:
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    wrong: list[str] = []
    right = total = 0
    for case in cases:
        predicted = classify_intent(case.text)
        confusion[case.intent.value][predicted.value] += 1
        total += 1
        if predicted == case.intent:
            right += 1
        else:
            wrong.append(f"{case.id}: {case.intent.value} -> {predicted.value}")
    return IntentScore(
        accuracy=Ratio(hits=right, total=total),
        confusion={k: dict(v) for k, v in sorted(confusion.items())},
        wrong=wrong,
    )
