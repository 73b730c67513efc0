"""Answers evaluation: run a question set through the flows and score the turns
(``chatbot eval answers``, registered in ``chatbot.flows.commands``).

Scores status correctness, citation validity and whether an expected fiche is cited. With a
real backend, the model also judges faithfulness and relevance. With ``--double`` it runs
against the fake Albert of ``chatbot.fake_albert`` (offline, for CI and development).
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from chatbot.settings import Settings

GROUNDED = {"answered", "answered_excerpts"}
JUDGE = (
    "Tu évalues la réponse d'un assistant de service public. Réponds uniquement par un objet "
    'JSON {"faithfulness": n, "relevance": n} avec n de 1 à 5 : faithfulness = chaque '
    "affirmation est étayée par les sources ; relevance = la réponse traite la question."
)


class Case(BaseModel):
    id: str
    question: str
    flow: str = "citizen"
    role: str = "citizen"
    expected_status: str
    expected_fiches: list[str] = []


class Outcome(BaseModel):
    case: Case
    status: str
    status_ok: bool
    citations_ok: bool
    fiche_ok: bool | None  # None when no fiche is expected
    faithfulness: float | None = None
    relevance: float | None = None


def load_cases(path: Path, limit: int = 0) -> list[Case]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [Case.model_validate_json(line) for line in lines]
    return cases[:limit] if limit else cases


def print_pii_cost(plain: list[Outcome], pii: list[Outcome]) -> None:
    """What personal details cost: the same questions, answered with the same fiche?"""

    def rates(outcomes: list[Outcome]) -> tuple[float, float]:
        answered = [o for o in outcomes if o.case.expected_status == "answered"]
        fiche = [o.fiche_ok for o in answered if o.fiche_ok is not None]
        return mean(o.status_ok for o in answered), mean(fiche)

    (status_before, fiche_before), (status_after, fiche_after) = rates(plain), rates(pii)
    print(
        f"personal details cost (expected answered): status ok {status_before:.3f} -> "
        f"{status_after:.3f}, expected fiche cited {fiche_before:.3f} -> {fiche_after:.3f} "
        f"({(fiche_before - fiche_after) * 100:+.1f} points dropped; target under 2)"
    )


async def run(settings: Settings, cases: list[Case], judge: bool) -> list[Outcome]:
    from chatbot.outbound import published
    from chatbot.services import Services
    from chatbot.turn import Caller, ask

    services = await Services.start(settings)
    outcomes = []
    try:
        for case in cases:
            privacy = services.privacy()
            result = await ask(
                services,
                case.question,
                thread_id=uuid.uuid4().hex,
                privacy=privacy,
                caller=Caller(role=case.role),
                flow_name=case.flow,
            )
            status = result.status.value
            expected = case.expected_status
            # Without a model, a grounded answer is made of excerpts: both count as answered.
            ok = status == expected or (
                expected == "answered" and status in GROUNDED and not settings.has_backend
            )
            cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
            numbers = {s.n for s in result.sources}
            citations_ok = (cited <= numbers and bool(cited)) if status in GROUNDED else not cited
            fiche_ok = (
                any(s.id in case.expected_fiches for s in result.sources)
                if case.expected_fiches
                else None
            )
            outcome = Outcome(
                case=case, status=status, status_ok=ok, citations_ok=citations_ok, fiche_ok=fiche_ok
            )
            if judge and status == "answered" and services.backend is not None:
                outcome.faithfulness, outcome.relevance = await judge_turn(
                    services, privacy, case.question, result, published
                )
            outcomes.append(outcome)
    finally:
        await services.aclose()
    return outcomes


async def judge_turn(services, privacy, question, result, published) -> tuple[float | None, ...]:
    from chatbot.backend import BackendError
    from chatbot.outbound import join

    sources = "\n".join(f"[{s.n}] {s.title} — {s.heading}" for s in result.sources)
    content = join(
        [
            published(f"Sources :\n{sources}\n\nQuestion : "),
            privacy.clear(question),
            published("\n\nRéponse : "),
            privacy.clear(result.answer),
        ]
    )
    try:
        raw = await services.backend.complete(
            [{"role": "system", "content": published(JUDGE)}, {"role": "user", "content": content}],
            max_tokens=60,
        )
        scores = json.loads(raw[raw.index("{") : raw.rindex("}") + 1])
        return float(scores["faithfulness"]), float(scores["relevance"])
    except (BackendError, ValueError, KeyError):
        return None, None


def print_report(outcomes: list[Outcome], settings: Settings, double: bool, errors: bool) -> None:
    mode = "test double" if double else (settings.backend_url or "offline (no model: excerpts)")
    print(f"Answers evaluation: {len(outcomes)} questions, backend: {mode}")
    by_status: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_status[outcome.case.expected_status].append(outcome)
    print(
        f"{'expected status':<20}{'n':>4}{'status ok':>11}{'citations ok':>14}{'fiche cited':>13}"
    )
    for status, group in sorted(by_status.items()):
        fiche = [o.fiche_ok for o in group if o.fiche_ok is not None]
        fiche_rate = f"{sum(fiche) / len(fiche):.3f}" if fiche else "-"
        print(
            f"{status:<20}{len(group):>4}{mean(o.status_ok for o in group):>11.3f}"
            f"{mean(o.citations_ok for o in group):>14.3f}{fiche_rate:>13}"
        )
    print(
        f"{'overall':<20}{len(outcomes):>4}{mean(o.status_ok for o in outcomes):>11.3f}"
        f"{mean(o.citations_ok for o in outcomes):>14.3f}"
    )
    judged = [o for o in outcomes if o.faithfulness is not None]
    if judged:
        print(
            f"model as judge ({len(judged)} answers): faithfulness "
            f"{mean(o.faithfulness for o in judged):.2f}/5, relevance "
            f"{mean(o.relevance for o in judged):.2f}/5"
        )
    else:
        print("model as judge: not run (needs a real backend; the double cannot judge)")
    if errors:
        for outcome in outcomes:
            if not outcome.status_ok:
                print(
                    f"  {outcome.case.id}: expected {outcome.case.expected_status}, got "
                    f"{outcome.status}: {outcome.case.question[:70]}"
                )
    print(
        "confusion:",
        dict(Counter((o.case.expected_status, o.status) for o in outcomes if not o.status_ok)),
    )


def mean(values) -> float:
    values = [float(v) for v in values]
    return sum(values) / len(values) if values else 0.0
