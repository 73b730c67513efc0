"""The editors' and operators' commands over the conversation database: a thin layer over
``chatbot.store.reports`` and ``chatbot.store.retention``.

    chatbot report feedback [--days N] [--json]     ratings per flow, latest negative comments
    chatbot report unanswered [--days N] [--json]   questions answered "no content"/"out of scope"
    chatbot data purge --days N                     delete conversations and memories idle
                                                    for N days
    chatbot data erase USER                         delete one user and everything of theirs
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatbot.settings import Settings
    from chatbot.store.reports import FeedbackReport, UnansweredReport

# As in chatbot.store.reports (which loads SQLAlchemy): the ``source`` of a report's flow.
AGENTS = "agents"
CITIZENS = "citizens (anonymous)"


def _one_line(value: str | None, width: int = 160) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


# The reports are read by editors: printed in French. Their JSON (--json) keeps the English
# keys and values scripts rely on; operator messages (errors, ``data``) stay in English.
SOURCES_FR = {AGENTS: "agents", CITIZENS: "citoyens (anonymes)"}
STATUSES_FR = {"no_content": "aucune fiche trouvée", "out_of_scope": "hors sujet"}


def _n(count: int, singular: str, plural: str | None = None) -> str:
    """``1 avis``, ``2 négatifs``: French plural (0 and 1 are singular)."""
    return f"{count} {singular if count < 2 else plural or singular + 's'}"


def _window(days: float | None) -> str:
    if days is None:
        return "depuis le début"
    if days == 1:
        return "dernier jour"
    return f"{days:g} derniers jours".replace(".", ",")


def _percent(share: float) -> str:
    return f"{share * 100:.0f}\u00a0%"


def print_feedback(report: FeedbackReport) -> None:
    print(f"Avis des utilisateurs ({_window(report.days)}) : {_n(report.ratings, 'avis')}")
    if not report.flows:
        print("  aucun avis pour l'instant")
    for flow in report.flows:
        print(
            f"\n{flow.flow} : {_n(flow.ratings, 'avis')}, {_n(flow.up, 'positif')}, "
            f"{_n(flow.down, 'négatif')} ({_percent(flow.negative_share)} de négatifs), "
            f"{SOURCES_FR.get(flow.source, flow.source)}"
        )
        for item in flow.recent_negative:
            print(f"  - {item.at or '?'}")
            print(f"    question :    {_one_line(item.question) or '(introuvable)'}")
            print(f"    commentaire : {_one_line(item.comment) or '(aucun)'}")


def print_unanswered(report: UnansweredReport) -> None:
    print(f"Questions sans réponse ({_window(report.days)}) : {report.count}")
    for flow in report.flows:
        statuses = ", ".join(
            f"{STATUSES_FR.get(k, k)} {v}" for k, v in sorted(flow.by_status.items())
        )
        source = SOURCES_FR.get(flow.source, flow.source)
        print(f"\n{flow.flow} : {flow.count} ({statuses}), {source}")
        for question, count in flow.frequent:
            if count > 1:
                print(f"  {count} fois : {_one_line(question)}")
        for item in flow.recent:
            status = STATUSES_FR.get(item.status, item.status)
            print(f"  - {item.at or '?'} [{status}] {_one_line(item.question) or '(introuvable)'}")


def _settings() -> Settings:
    """Settings, with logs on stderr only so that --json output stays parseable."""
    from chatbot.logs import configure_logging
    from chatbot.settings import load_settings

    settings = load_settings()
    configure_logging(
        settings.log_format, "WARNING" if settings.log_level == "INFO" else settings.log_level
    )
    return settings


def _show(report: Any, args: argparse.Namespace, as_text: Callable[[Any], None]) -> int:
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        as_text(report)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from chatbot.store.reports import feedback_report

    report = asyncio.run(feedback_report(_settings(), days=args.days, recent=args.recent))
    return _show(report, args, print_feedback)


def cmd_unanswered(args: argparse.Namespace) -> int:
    from chatbot.store.reports import unanswered_report

    report = asyncio.run(unanswered_report(_settings(), days=args.days, recent=args.recent))
    return _show(report, args, print_unanswered)


def cmd_purge(args: argparse.Namespace) -> int:
    from chatbot.store.retention import purge_older_than

    counts = asyncio.run(purge_older_than(_settings(), args.days))
    print(
        json.dumps(counts)
        if args.json
        else f"purged {counts['threads']} conversations idle for more than {args.days:g} days "
        f"({counts['files']} files), {counts['memories']} conversation memories, "
        f"{counts['documents']} uploaded documents "
        f"and {counts['signals']} anonymous signals of citizens"
    )
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from chatbot.store.retention import erase_user

    counts = asyncio.run(erase_user(_settings(), args.user))
    if args.json:
        print(json.dumps(counts))
    elif not (counts["users"] or counts["threads"] or counts["memories"] or counts["documents"]):
        print(f"no stored data for user {args.user!r}")
    else:
        print(
            f"erased user {args.user!r}: {counts['threads']} conversations, "
            f"{counts['files']} files, {counts['memories']} conversation memories, "
            f"{counts['documents']} uploaded documents"
        )
    return 0


def _days(value: str) -> float:
    days = float(value)
    if days < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return days


def register(sub: Any, eval_sub: Any) -> None:
    report = sub.add_parser("report", help="reports for editors (feedback, unanswered questions)")
    report_sub = report.add_subparsers(title="reports")

    reports = (
        ("feedback", "ratings per flow and latest negative comments", 5, "negative comments",
         cmd_feedback),
        ("unanswered", "questions the assistant could not answer", 10, "questions",
         cmd_unanswered),
    )  # fmt: skip
    for name, help_text, recent, shown, func in reports:
        parser = report_sub.add_parser(name, help=help_text)
        parser.add_argument("--days", type=_days, help="only the last N days (default: all)")
        parser.add_argument("--recent", type=int, default=recent, help=f"{shown} shown per flow")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.set_defaults(func=func)

    data = sub.add_parser("data", help="retention and erasure of stored conversations (GDPR)")
    data_sub = data.add_subparsers(title="data")
    purge = data_sub.add_parser(
        "purge",
        help="delete conversations idle for more than N days and older anonymous signals",
    )
    purge.add_argument("--days", type=_days, required=True)
    purge.add_argument("--json", action="store_true", help="print counts as JSON")
    purge.set_defaults(func=cmd_purge)
    erase = data_sub.add_parser("erase", help="delete a user and all their conversations")
    erase.add_argument("user", help="the user's identifier (login)")
    erase.add_argument("--json", action="store_true", help="print counts as JSON")
    erase.set_defaults(func=cmd_erase)
