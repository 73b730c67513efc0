"""``chatbot bench startup``. (``chatbot serve`` itself is in ``chatbot.cli``.)"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chatbot.commands import subcommands
from chatbot.paths import ROOT


def register(sub: Any, eval_sub: Any) -> None:
    bench = subcommands(sub, "bench", "benchmarks that print figures").add_parser(
        "startup", help="time from `chatbot serve` to the first HTTP 200 and to services ready"
    )
    bench.add_argument("--runs", type=int, default=3)
    bench.add_argument(
        "--workers", type=int, default=None, help="passed to serve (default: serve's default)"
    )
    bench.add_argument(
        "--root", type=Path, default=ROOT, help="source tree to start (to compare two versions)"
    )
    bench.set_defaults(func=cmd_bench_startup)


def cmd_bench_startup(args: argparse.Namespace) -> int:
    from chatbot.serving.bench import run_startup_bench

    return run_startup_bench(args.root.resolve(), args.runs, args.workers)
