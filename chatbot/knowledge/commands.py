"""`chatbot kb check|sync|search`, `chatbot eval retrieval`, `chatbot bench knowledge`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatbot.commands import read_jsonl, subcommands
from chatbot.paths import ROOT

if TYPE_CHECKING:
    from chatbot.knowledge.models import Hit, Problem
    from chatbot.settings import Settings

DEFAULT_SET = ROOT / "tests" / "eval" / "retrieval.jsonl"
DEFAULT_PII_SET = ROOT / "tests" / "eval" / "retrieval-pii.jsonl"


def register(sub: Any, eval_sub: Any) -> None:
    kb = sub.add_parser("kb", help="the knowledge base: check, sync, search")
    kb_sub = kb.add_subparsers(title="knowledge commands")

    check = kb_sub.add_parser(
        "check",
        help="validate every fiche (drafts included); exit 1 on any error",
        description="Validate every fiche and print each problem as `file:line: what — fix`. "
        "With --eval, also index the folder offline in a throwaway store and ask the question "
        "sets: a question whose expected fiche is not in the top 5 is a regression (exit 1). "
        "Usable from an administration's content repository: give --dir and --set.",
    )
    check.add_argument("--dir", type=Path, help="knowledge folder (default: GUICHET_KNOWLEDGE_DIR)")
    check.add_argument(
        "--eval",
        action="store_true",
        help="also run the question sets against the folder; exit 1 on any regression",
    )
    check.add_argument(
        "--set",
        dest="sets",
        type=Path,
        action="append",
        help="question set for --eval, JSON lines {id, query, audience?, expected}; repeat for "
        "several (default tests/eval/retrieval.jsonl)",
    )
    check.add_argument(
        "--today",
        type=_date,
        help="the date review dates are compared with, YYYY-MM-DD (default: today)",
    )
    check.set_defaults(func=cmd_check)

    sync = kb_sub.add_parser("sync", help="index changed fiches (incremental)")
    sync.set_defaults(func=cmd_sync)

    search = kb_sub.add_parser("search", help="retrieve sections for a question")
    search.add_argument("query", nargs="?", help="the question (omit with --jsonl)")
    search.add_argument(
        "--audience",
        choices=["public", "agents"],
        default="public",
        help="who is asking: agents also read public fiches (default: public)",
    )
    search.add_argument("-k", type=int, default=5, help="number of hits (default 5)")
    out = search.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the hits as JSON")
    out.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"id", "query", "audience"?} lines on stdin, write {"id", "hits"}',
    )
    search.set_defaults(func=cmd_search)

    evaluate = eval_sub.add_parser("retrieval", help="recall@1, recall@5 and MRR on the dev set")
    evaluate.add_argument(
        "--set",
        dest="path",
        type=Path,
        default=DEFAULT_SET,
        help="question set (default tests/eval/retrieval.jsonl)",
    )
    evaluate.add_argument(
        "--pii-set",
        type=Path,
        default=DEFAULT_PII_SET,
        help="the same questions with personal details added, asked through the privacy gate "
        "(default tests/eval/retrieval-pii.jsonl; '' to skip)",
    )
    evaluate.add_argument("--json", action="store_true", help="one JSON line per mode")
    evaluate.set_defaults(func=cmd_eval)

    bench = subcommands(sub, "bench", "benchmarks that print figures").add_parser(
        "knowledge", help="index, re-sync and query times, memory (offline)"
    )
    bench.add_argument("--chunks", type=int, default=10_000, help="synthetic corpus size")
    bench.add_argument("--queries", type=int, default=300, help="queries timed per size")
    bench.set_defaults(func=cmd_bench)


def _settings() -> Settings:
    from chatbot.settings import load_settings

    settings = load_settings()
    from chatbot.logs import configure_logging

    configure_logging(
        settings.log_format, "WARNING" if settings.log_level == "INFO" else settings.log_level
    )
    return settings


@asynccontextmanager
async def open_kb(settings: Settings) -> AsyncIterator[Any]:
    """The knowledge base with the configured backend (if any), closed afterwards."""
    from chatbot.knowledge.base import KnowledgeBase

    backend = None
    if settings.has_backend:
        from chatbot.backend import Backend

        backend = Backend(settings)
    try:
        yield KnowledgeBase.open(settings, backend)
    finally:
        if backend is not None:
            await backend.aclose()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


@asynccontextmanager
async def scratch_kb(
    settings: Settings,
    knowledge_dir: Path | None = None,
    offline: bool = True,
    *,
    serve_drafts: bool = False,
) -> AsyncIterator[Any]:
    """The knowledge folder synced into a throwaway store (offline embeddings unless told
    otherwise): evaluating must not touch the operator's data. With `serve_drafts`, drafts are
    indexed too (a preview of what publishing them would change)."""
    with tempfile.TemporaryDirectory(prefix="guichet-eval-") as tmp:
        update: dict[str, Any] = {"data_dir": Path(tmp), "chroma_url": ""}
        if offline:
            update["backend_url"] = ""
        if knowledge_dir is not None:
            update["knowledge_dir"] = knowledge_dir
        async with open_kb(settings.model_copy(update=update)) as kb:
            kb.serve_drafts = serve_drafts
            await kb.sync()
            yield kb


def _line(problem: Problem) -> str:
    if problem.severity == "warning":
        return f"{problem.path}:{problem.line}: attention : {problem.message} — {problem.hint}"
    return str(problem)


# --- check / sync -------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from chatbot.knowledge.check import scan
    from chatbot.settings import load_settings

    settings = _settings() if args.eval else load_settings()
    folder = args.dir or settings.knowledge_dir
    if not folder.is_dir():
        print(f"error: knowledge folder {folder} does not exist", file=sys.stderr)
        return 2
    sets = args.sets or [DEFAULT_SET]
    missing = [path for path in sets if not path.is_file()] if args.eval else []
    if missing:
        print(f"error: question set {missing[0]} does not exist", file=sys.stderr)
        return 2
    result = scan(folder, today=args.today)
    for problem in result.problems:
        print(_line(problem))
    errors, warnings = len(result.errors), len(result.warnings)
    print(
        f"{len(result.fiches)} fiches valides, {len(result.drafts)} brouillons, "
        f"{errors} erreurs, {warnings} avertissements",
        file=sys.stderr,
    )
    regressions = 0
    if args.eval:
        settings = settings.model_copy(update={"knowledge_dir": folder})
        regressions = asyncio.run(_check_eval(settings, sets))
    return 1 if errors or regressions else 0


async def _check_eval(settings: Settings, sets: list[Path]) -> int:
    """Ask each set's questions to the folder as served offline; print each regression (an
    expected fiche not in the top 5) for editors, and return how many there were."""
    from chatbot.knowledge.evaluate import evaluate, load_questions

    count = asked = 0
    async with scratch_kb(settings) as kb:
        for path in sets:
            questions = [q for q in load_questions(path) if q.expected]
            asked += len(questions)
            result = await evaluate(kb, questions, "offline")
            for miss in result.missed:
                count += 1
                found = ", ".join(miss.found) or "aucune"
                print(
                    f"{path}:{miss.line}: la question « {miss.query} » ({miss.id}) ne trouve plus "
                    f"la fiche attendue {' ou '.join(miss.expected)} dans les 5 premiers "
                    f"résultats (trouvées : {found}) — vérifiez que la fiche existe, est publiée "
                    "et parle de ce sujet avec les mots des usagers"
                )
    print(
        f"évaluation : {asked} questions, {count} régressions"
        " (fiche attendue absente des 5 premiers résultats)",
        file=sys.stderr,
    )
    return count


SYNC_LOCK_WAIT_S = 10.0


def cmd_sync(args: argparse.Namespace) -> int:
    settings = _settings()

    from chatbot.knowledge.leader import LockBusy, publish_version, sync_lock
    from chatbot.knowledge.shared import changed

    async def run() -> int:
        # One writer at a time: a running server holds the lock and syncs the folder itself.
        try:
            with sync_lock(settings, wait=SYNC_LOCK_WAIT_S):
                async with open_kb(settings) as kb:
                    report = await kb.sync(progress=True)
                if changed(report):
                    publish_version(settings)  # running readers reload it
        except LockBusy as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for problem in report.errors + report.warnings:
            print(_line(problem))
        print(
            f"added {report.added}, updated {report.updated}, removed {report.removed}, "
            f"moved {report.moved}, unchanged {report.unchanged}, errors {len(report.errors)}, "
            f"warnings {len(report.warnings)} ({report.embedded} sections embedded)"
        )
        return 1 if report.errors else 0

    return asyncio.run(run())


# --- search -------------------------------------------------------------------------------


def _audiences(audience: str) -> frozenset[str]:
    return frozenset({"public", "agents"}) if audience == "agents" else frozenset({"public"})


def _gate(settings: Settings) -> Any:
    """The privacy gate for typed questions (loads spaCy once)."""
    try:
        from chatbot.privacy import scrub_once
    except ImportError:
        if settings.has_backend:
            raise SystemExit("error: the privacy gate (chatbot.privacy) is missing") from None
        from chatbot.outbound import published

        return published  # nothing leaves the machine without a backend
    return functools.partial(scrub_once, allow_list=settings.privacy_allow_list)


def _short(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.fiche_id,
        "title": hit.title,
        "audience": hit.audience,
        "heading": hit.heading,
        "url": hit.url,
        "score": hit.score,
    }


def cmd_search(args: argparse.Namespace) -> int:
    if not args.jsonl and not args.query:
        print("error: give a question, or --jsonl to read questions on stdin", file=sys.stderr)
        return 2
    if args.k <= 0:
        print("error: -k must be at least 1", file=sys.stderr)
        return 2
    settings = _settings()
    gate = _gate(settings)

    async def run() -> int:
        async with open_kb(settings) as kb:
            if args.jsonl:
                await _search_jsonl(kb, gate, args)
                return 0
            hits = await kb.search(gate(args.query), _audiences(args.audience), args.k)
        if args.json:
            print(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=2))
            return 0
        if not hits:
            print("no result")
        for n, hit in enumerate(hits, 1):
            anchor = f"#{hit.anchor}" if hit.anchor else ""
            print(f"{n}. {hit.score:.2f}  {hit.heading}  [{hit.audience}/{hit.fiche_id}{anchor}]")
            print(f"   {' · '.join(hit.urls)}")
            excerpt = " ".join(hit.text.split())
            print(f"   {excerpt[:200]}{'…' if len(excerpt) > 200 else ''}")
        return 0

    return asyncio.run(run())


async def _search_jsonl(kb: Any, gate: Any, args: argparse.Namespace) -> None:
    for _, line_id, item, query, error in read_jsonl(sys.stdin, "query"):
        try:
            if error is not None or item is None or query is None:
                raise ValueError(error)
            if not query.strip():
                raise ValueError('"query" must be a non-empty string')
            audience = item.get("audience") or args.audience
            if audience not in ("public", "agents"):
                raise ValueError('"audience" must be "public" or "agents"')
            hits = await kb.search(gate(query), _audiences(audience), args.k)
            out = {"id": line_id, "hits": [_short(h) for h in hits]}
        except Exception as exc:  # one bad line never stops the batch
            message = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
            out = {"id": line_id, "error": message}
        print(json.dumps(out, ensure_ascii=False), flush=True)


# --- eval ---------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    settings = _settings()
    from chatbot.knowledge.evaluate import (
        evaluate,
        format_result,
        load_questions,
        to_json,
        with_typos,
    )

    questions = load_questions(args.path)
    typos = with_typos(questions)
    pii_questions = load_questions(args.pii_set) if args.pii_set.name else []
    pii: list[Any] = []

    async def both(kb: Any, mode: str) -> list[Any]:
        results = [
            await evaluate(kb, questions, mode),
            await evaluate(kb, typos, mode + ", questions with typos"),
        ]
        if pii:
            results.append(await evaluate(kb, pii, mode + ", " + PII_MODE))
        return results

    async def run() -> int:
        async with scratch_kb(settings) as kb:
            pii[:] = _through_gate(pii_questions, settings, kb)
            results = await both(kb, "offline: lexical + dense (default)")
            kb.use_dense = False
            results += await both(kb, "offline: lexical only")
            kb.use_dense, kb.dense_weight, saved = True, 1.0, kb.lexical.search
            kb.lexical.search = lambda *a, **k: []  # dense only, for the comparison
            results += await both(kb, "offline: dense only")
            kb.lexical.search = saved
        if settings.has_backend:
            async with scratch_kb(settings, offline=False) as kb:
                mode = f"backend: {settings.embedding_model} + lexical"
                if kb._stale:
                    mode += " (backend embedding failed: offline fallback)"
                rerank = settings.use_rerank
                kb.settings = kb.settings.model_copy(update={"use_rerank": False})
                results += await both(kb, mode)
                if rerank:
                    kb.settings = kb.settings.model_copy(update={"use_rerank": True})
                    results += await both(kb, mode + f" + rerank {settings.rerank_model}")
        for result in results:
            if args.json:
                print(to_json(result))
            else:
                format_result(result)
                print()
        _print_pii_cost(results)
        print(f"{len(questions)} questions from {args.path}", file=sys.stderr)
        return 0

    return asyncio.run(run())


PII_MODE = "questions with personal details (through the privacy gate)"


def _through_gate(questions: list[Any], settings: Settings, kb: Any) -> list[Any]:
    """Each question as the flow's retrieval sees it: through the conversation's privacy gate
    (the same allow list as ``Services.privacy``), then reduced to its subject."""
    from chatbot.privacy import Pseudonymiser
    from chatbot.services import knowledge_terms

    allow = [*settings.privacy_allow_list, *knowledge_terms(kb)]
    queries = []
    for q in questions:
        gate = Pseudonymiser(allow)
        queries.append(q.model_copy(update={"query": str(gate.subject(gate.clear(q.query)))}))
    return queries


def _print_pii_cost(results: list[Any]) -> None:
    """The drop that personal details cost, per mode and audience (target: under 2 points)."""
    plain = {r.mode: r for r in results}
    for result in results:
        if not result.mode.endswith(PII_MODE):
            continue
        base = plain.get(result.mode.removesuffix(", " + PII_MODE))
        if base is None:
            continue
        before = {s.audience: s for s in base.per_audience}
        for s in result.per_audience:
            b = before.get(s.audience)
            if b is not None:
                drop = (b.recall_at_5 - s.recall_at_5) * 100
                print(
                    f"personal details cost ({base.mode}, {s.audience}): recall@5 "
                    f"{b.recall_at_5:.3f} -> {s.recall_at_5:.3f} ({drop:+.1f} points dropped), "
                    f"recall@1 {b.recall_at_1:.3f} -> {s.recall_at_1:.3f}"
                )


# --- bench --------------------------------------------------------------------------------


def cmd_bench(args: argparse.Namespace) -> int:
    settings = _settings()
    from chatbot.knowledge.bench import run_bench

    return asyncio.run(run_bench(settings, chunks=args.chunks, queries=args.queries))
