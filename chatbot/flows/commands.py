"""``chatbot eval answers``: the command; the evaluation itself is ``chatbot.flows.evaluate``
(imported by the handler only, so that listing the commands stays fast)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from chatbot.paths import ROOT

DEFAULT_SET = ROOT / "tests" / "eval" / "answers.jsonl"
DEFAULT_PII_SET = ROOT / "tests" / "eval" / "answers-pii.jsonl"


def register(sub, eval_sub) -> None:
    parser = eval_sub.add_parser("answers", help="score turns of a question set through the flows")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="JSONL question set")
    parser.add_argument(
        "--pii-set",
        type=Path,
        default=DEFAULT_PII_SET,
        help="the same questions with personal details added (default "
        "tests/eval/answers-pii.jsonl; '' to skip)",
    )
    parser.add_argument(
        "--double", action="store_true", help="run against the fake Albert (offline)"
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--errors", action="store_true", help="list the wrong statuses")
    parser.set_defaults(func=cmd_answers)


def cmd_answers(args: argparse.Namespace) -> int:
    from chatbot.flows import evaluate
    from chatbot.settings import load_settings

    cases = evaluate.load_cases(args.set, args.limit)
    pii_cases = evaluate.load_cases(args.pii_set, args.limit) if args.pii_set.name else []
    settings = load_settings()
    double = None
    if args.double:
        from chatbot.fake_albert import FakeAlbert

        double = FakeAlbert().start()
        settings = settings.model_copy(
            update={"backend_url": double.url, "data_dir": settings.data_dir / "eval-double"}
        )
        from pydantic import SecretStr

        settings.api_key = SecretStr(double.api_key)
    from chatbot.logs import configure_logging

    configure_logging(settings.log_format, "ERROR")
    try:
        judge = settings.has_backend and not double
        outcomes = asyncio.run(evaluate.run(settings, cases, judge=judge))
        pii_outcomes = (
            asyncio.run(evaluate.run(settings, pii_cases, judge=False)) if pii_cases else []
        )
    finally:
        if double is not None:
            double.stop()
    evaluate.print_report(outcomes, settings, double is not None, args.errors)
    if pii_outcomes:
        print(f"\nThe same questions with personal details added ({args.pii_set.name}):")
        evaluate.print_report(pii_outcomes, settings, double is not None, args.errors)
        evaluate.print_pii_cost(outcomes, pii_outcomes)
    return 0
