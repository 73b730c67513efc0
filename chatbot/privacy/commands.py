"""``chatbot privacy scrub``, ``chatbot eval privacy`` and ``chatbot bench privacy``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chatbot.commands import read_jsonl, subcommands


def register(sub: Any, eval_sub: Any) -> None:
    privacy = sub.add_parser("privacy", help="the privacy gate (pseudonymisation)")
    privacy_sub = privacy.add_subparsers(title="privacy commands")
    scrub = privacy_sub.add_parser("scrub", help="pseudonymise text read on stdin")
    mode = scrub.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help='print {"text", "entities"}')
    mode.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"id", "text"} lines, write {"id", "text", "entities"} lines (batched)',
    )
    scrub.add_argument("--batch-size", type=int, default=64, help="lines per spaCy batch")
    scrub.set_defaults(func=cmd_scrub)

    evaluate = eval_sub.add_parser("privacy", help="precision/recall of the privacy gate")
    evaluate.add_argument(
        "--set",
        dest="path",
        help="one dev set (default: the formal tests/eval/privacy.jsonl and the informal "
        "tests/eval/privacy-informal.jsonl, reported separately)",
    )
    evaluate.add_argument("--errors", action="store_true", help="list misses and false alarms")
    evaluate.set_defaults(func=cmd_eval)

    bench_sub = subcommands(sub, "bench", "benchmarks that print figures")
    run = bench_sub.add_parser("privacy", help="latency, throughput and memory of the gate")
    run.add_argument("--runs", type=int, default=50, help="messages timed per size")
    run.add_argument("--batch", type=int, default=2000, help="messages in the batch run")
    run.set_defaults(func=cmd_bench)


def _quiet_logs() -> None:
    from chatbot.logs import configure_logging

    configure_logging("console", "WARNING")


def _allow_list() -> list[str]:
    """The operator's allow list (GUICHET_PRIVACY_ALLOW_LIST); the gate itself reads no
    settings."""
    from chatbot.settings import load_settings

    return list(load_settings().privacy_allow_list)


def cmd_scrub(args: argparse.Namespace) -> int:
    _quiet_logs()
    if args.jsonl:
        return _scrub_jsonl(args.batch_size)
    from chatbot.privacy import Pseudonymiser

    text = sys.stdin.read()
    scrubbed = Pseudonymiser(_allow_list()).scrub(text)
    if args.json:
        payload = {
            "text": str(scrubbed.text),
            "entities": [e.model_dump() for e in scrubbed.entities],
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        sys.stdout.write(str(scrubbed.text))
        if not str(scrubbed.text).endswith("\n"):
            sys.stdout.write("\n")
    return 0


def _scrub_jsonl(batch_size: int, chunk: int = 1000) -> int:
    """Batched through spaCy's ``nlp.pipe``, a chunk of lines at a time so output streams."""
    from itertools import islice

    from chatbot.privacy import Pseudonymiser, analyze_batch

    allow_list = Pseudonymiser(_allow_list()).allow_list
    items = read_jsonl(sys.stdin, "text")
    while block := list(islice(items, chunk)):
        texts = [line.value for line in block if line.error is None and line.value is not None]
        found = iter(analyze_batch(texts, allow_list, batch_size=batch_size))
        for _, item_id, _, text, error in block:
            if error is not None or text is None:
                out: dict[str, object] = {"id": item_id, "error": error}
            else:
                entities = next(found)
                # One line = one independent text: placeholders restart at 1 for each.
                result = Pseudonymiser(allow_list).apply(text, entities)
                out = {
                    "id": item_id,
                    "text": str(result.text),
                    "entities": [e.model_dump() for e in entities],
                }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    _quiet_logs()
    from chatbot.privacy.evaluate import run

    return run(args.path, show_errors=args.errors)


def cmd_bench(args: argparse.Namespace) -> int:
    _quiet_logs()
    from chatbot.privacy.bench import run

    return run(runs=args.runs, batch=args.batch)
