"""``chatbot bench documents``: throughput and memory of agents' document uploads."""

from __future__ import annotations

import argparse
from typing import Any

from chatbot.commands import subcommands


def register(sub: Any, eval_sub: Any) -> None:
    bench = subcommands(sub, "bench", "benchmarks that print figures").add_parser(
        "documents", help="parse + index pages/s and memory on a generated PDF (offline)"
    )
    bench.add_argument("--pages", type=int, default=300, help="pages of the generated PDF")
    bench.add_argument("--owners", type=int, default=20, help="owners in the isolation test")
    bench.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from chatbot.documents.bench import main

    return main(args.pages, args.owners)
