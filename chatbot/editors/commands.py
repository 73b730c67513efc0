"""The editors' commands: a thin layer over ``chatbot.editors``.

    chatbot eval groups [--threshold T] [--json]    purity and completeness of the grouping
    chatbot report gaps [--days N] [--json]         unanswered questions grouped by subject
    chatbot report stale [--days N] [--json]        fiches to review, citations, kb check
    chatbot bench editors [--signals N]             time to render /editeurs with N signals

``chatbot report feedback`` (ratings) lives with the other stored reports
(``chatbot.store.commands``); the page shows the same figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from chatbot.commands import subcommands


def register(sub: Any, eval_sub: Any) -> None:
    evaluate = eval_sub.add_parser(
        "groups", help="purity and completeness of the grouping of unanswered questions"
    )
    evaluate.add_argument("--set", dest="path", type=Path, help="labelled set (JSONL)")
    evaluate.add_argument("--threshold", type=float, help="cosine distance cut (default: tuned)")
    evaluate.add_argument(
        "--backend", action="store_true", help="use the configured backend's embeddings"
    )
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.set_defaults(func=cmd_eval_groups)

    report = subcommands(sub, "report", "reports for editors")
    for name, help_text, func in (
        ("gaps", "unanswered questions grouped by subject (French)", cmd_gaps),
        ("stale", "fiches to review, never cited, most cited, kb check (French)", cmd_stale),
    ):
        parser = report.add_parser(name, help=help_text)
        parser.add_argument("--days", type=float, default=30, help="the last N days (default 30)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.set_defaults(func=func)

    bench = subcommands(sub, "bench", "benchmarks that print figures").add_parser(
        "editors", help="time to render the editors' page with N stored signals"
    )
    bench.add_argument("--signals", type=int, default=10_000)
    bench.set_defaults(func=cmd_bench)


def _settings() -> Any:
    from chatbot.logs import configure_logging
    from chatbot.settings import load_settings

    settings = load_settings()
    configure_logging(
        settings.log_format, "WARNING" if settings.log_level == "INFO" else settings.log_level
    )
    return settings


def cmd_eval_groups(args: argparse.Namespace) -> int:
    from chatbot.editors.evaluate import GROUPS_SET, load_set, score
    from chatbot.logs import configure_logging

    configure_logging("console", "WARNING")  # the gate logs each masked question at INFO
    items = load_set(args.path or GROUPS_SET)

    async def run() -> Any:
        if not args.backend:
            return await score(items, threshold=args.threshold)
        from chatbot.backend import Backend

        settings = _settings()
        if not settings.has_backend:
            print("error: --backend needs GUICHET_BACKEND_URL", file=sys.stderr)
            return None
        backend = Backend(settings)
        try:
            return await score(
                items, backend=backend, model=settings.embedding_model, threshold=args.threshold
            )
        finally:
            await backend.aclose()

    result = asyncio.run(run())
    if result is None:
        return 2
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    print(
        f"grouping ({result.mode}, threshold {result.threshold:g}): {result.questions} questions, "
        f"{result.subjects} subjects -> {result.groups} groups"
    )
    print(f"  purity       {result.purity:.3f}")
    print(f"  completeness {result.completeness:.3f}")
    for group in result.mixed:
        print(f"  mixed group: {' '.join(group)}")
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from chatbot.editors.report import gaps_report, print_gaps
    from chatbot.knowledge.commands import open_kb

    settings = _settings()

    async def run() -> Any:
        async with open_kb(settings) as kb:
            await kb.sync()
            return await gaps_report(settings, days=args.days, kb=kb)

    report = asyncio.run(run())
    print(report.model_dump_json(indent=2) if args.json else print_gaps(report))
    return 0


def cmd_stale(args: argparse.Namespace) -> int:
    from chatbot.editors.report import print_stale, stale_report

    report = asyncio.run(stale_report(_settings(), days=args.days))
    print(report.model_dump_json(indent=2) if args.json else print_stale(report))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from chatbot.editors.bench import run_bench

    return asyncio.run(run_bench(args.signals))
