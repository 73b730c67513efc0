"""``chatbot eval privacy``: precision and recall of the gate on the labelled dev set.

A gold entity counts as found when a predicted entity of the same type overlaps it and
every letter and digit of the gold value is masked. A prediction counts as correct when it
overlaps a gold entity of its type. A must-survive term survives when it is still in the
pseudonymised text as many times as in the input.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from chatbot.settings import ROOT

DEFAULT_SET = ROOT / "tests" / "eval" / "privacy.jsonl"
# Messages as people type them on a phone, and disguised forms, written by an outsider.
INFORMAL_SET = ROOT / "tests" / "eval" / "privacy-informal.jsonl"
DEFAULT_SETS = (("formal", DEFAULT_SET), ("informal", INFORMAL_SET))
CHECKSUMMED = ("NIR", "IBAN", "FISCAL", "SIRET", "SIREN", "CB", "TEL", "EMAIL")
NAMES_ADDRESSES = ("NOM", "ADRESSE")


class GoldEntity(BaseModel):
    type: str
    start: int
    end: int


class Example(BaseModel):
    id: str
    text: str
    entities: list[GoldEntity] = Field(default_factory=list)
    must_survive: list[str] = Field(default_factory=list)


class Report(BaseModel):
    examples: int
    per_type: dict[str, dict[str, float | int]]
    overall_recall: float
    masked_recall: float
    survival: float
    survival_terms: int
    targets: list[tuple[str, float, float, bool]]
    errors: list[str]

    @property
    def precision(self) -> float:
        predicted = sum(int(row["predicted"]) for row in self.per_type.values())
        correct = sum(row["precision"] * int(row["predicted"]) for row in self.per_type.values())
        return correct / predicted if predicted else 1.0

    @property
    def passed(self) -> bool:
        return all(ok for *_, ok in self.targets)


def load_set(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                examples.append(Example.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
    return examples


def evaluate(examples: list[Example], allow_list: tuple[str, ...] = ()) -> Report:
    from chatbot.privacy import Pseudonymiser, analyze_batch

    gold_count: Counter[str] = Counter()
    found: Counter[str] = Counter()
    pred_count: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    masked_total = masked_ok = 0
    terms_total = terms_ok = 0
    errors: list[str] = []
    predictions = analyze_batch([e.text for e in examples], allow_list)
    for example, predicted in zip(examples, predictions, strict=True):
        text = example.text
        covered = set()
        for p in predicted:
            covered.update(range(p.start, p.end))
        for gold in example.entities:
            gold_count[gold.type] += 1
            needed = {i for i in range(gold.start, gold.end) if text[i].isalnum()}
            fully_masked = needed <= covered
            masked_total += 1
            masked_ok += fully_masked
            same = any(
                p.type == gold.type and p.start < gold.end and gold.start < p.end for p in predicted
            )
            if same and fully_masked:
                found[gold.type] += 1
            else:
                errors.append(
                    f"{example.id}: missed {gold.type} {text[gold.start : gold.end]!r} "
                    f"(got {[(p.type, text[p.start : p.end]) for p in predicted]})"
                )
        for p in predicted:
            pred_count[p.type] += 1
            if any(
                g.type == p.type and g.start < p.end and p.start < g.end for g in example.entities
            ):
                correct[p.type] += 1
            else:
                errors.append(f"{example.id}: false {p.type} {text[p.start : p.end]!r}")
        scrubbed = str(Pseudonymiser(allow_list).apply(text, predicted).text)
        for term in example.must_survive:
            wanted = max(1, text.count(term))
            terms_total += wanted
            kept = min(wanted, scrubbed.count(term))
            terms_ok += kept
            if kept < wanted:
                errors.append(f"{example.id}: must-survive {term!r} masked in {scrubbed!r}")

    per_type: dict[str, dict[str, float | int]] = {}
    for entity_type in sorted(set(gold_count) | set(pred_count)):
        per_type[entity_type] = {
            "gold": gold_count[entity_type],
            "predicted": pred_count[entity_type],
            "precision": _ratio(correct[entity_type], pred_count[entity_type]),
            "recall": _ratio(found[entity_type], gold_count[entity_type]),
        }

    def group_recall(types: tuple[str, ...]) -> float:
        return _ratio(sum(found[t] for t in types), sum(gold_count[t] for t in types))

    survival = _ratio(terms_ok, terms_total)
    targets = [
        ("recall, checksummed ids + phones + e-mails", group_recall(CHECKSUMMED), 0.99),
        ("recall, names (NOM)", group_recall(("NOM",)), 0.95),
        ("recall, street addresses (ADRESSE)", group_recall(("ADRESSE",)), 0.95),
        ("must-survive terms kept", survival, 0.98),
    ]
    return Report(
        examples=len(examples),
        per_type=per_type,
        overall_recall=_ratio(sum(found.values()), sum(gold_count.values())),
        masked_recall=_ratio(masked_ok, masked_total),
        survival=survival,
        survival_terms=terms_total,
        targets=[(name, value, goal, value >= goal) for name, value, goal in targets],
        errors=errors,
    )


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def print_report(report: Report, show_errors: bool = False, title: str = "") -> None:
    print(f"Privacy gate evaluation{title}: {report.examples} messages")
    print(f"{'type':<16}{'gold':>6}{'pred':>6}{'precision':>11}{'recall':>9}")
    for entity_type, row in report.per_type.items():
        print(
            f"{entity_type:<16}{row['gold']:>6}{row['predicted']:>6}"
            f"{row['precision']:>11.3f}{row['recall']:>9.3f}"
        )
    print(f"overall recall (right type):        {report.overall_recall:.3f}")
    print(f"overall precision:                  {report.precision:.3f}")
    print(f"overall recall (masked, any type):  {report.masked_recall:.3f}")
    print(
        f"must-survive terms kept:            {report.survival:.3f} ({report.survival_terms} terms)"
    )
    print("targets:")
    for name, value, goal, ok in report.targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {value:.3f} (target >= {goal:.2f})")
    if show_errors:
        print("errors:")
        for line in report.errors:
            print("  " + line)


def run(path: str | None = None, show_errors: bool = False) -> int:
    """One set with ``path``; otherwise the formal and the informal sets, reported apart."""
    sets = [("", Path(path))] if path else [(n, p) for n, p in DEFAULT_SETS if p.exists()]
    passed = True
    for number, (title, set_path) in enumerate(sets):
        if number:
            print()
        report = evaluate(load_set(set_path))
        print_report(report, show_errors, f" ({title}, {set_path.name})" if title else "")
        passed = passed and report.passed
    return 0 if passed else 1


if __name__ == "__main__":  # for quick runs: python -m chatbot.privacy.evaluate
    import sys

    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else None, show_errors=True))
