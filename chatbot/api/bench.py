"""``chatbot bench api``: what the API adds, timed against a running server.

    chatbot bench api --url http://127.0.0.1:8000 --key gk_… [--model citizen] [-n 20]

Prints p50/p95 of ``GET /v1/models`` (the key's database check and its rate limit, no turn),
of a whole non-streamed turn, and of the first streamed token. One request at a time: these
are latencies, not a load test. The key's rate limit must allow ``3 × n`` requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from chatbot.commands import subcommands

QUESTIONS = [
    "Comment refaire ma carte d'identité ?",
    "Ai-je droit à la prime d'activité ?",
    "Je déménage, quelles démarches dois-je faire ?",
]


def register(sub: argparse._SubParsersAction, eval_sub: argparse._SubParsersAction) -> None:
    bench = subcommands(sub, "bench", "benchmarks that print figures").add_parser(
        "api", help="latency of the /v1 API of a running server (key check, turn, first token)"
    )
    bench.add_argument("--url", default="http://127.0.0.1:8000", help="the server")
    bench.add_argument("--key", required=True, help="an API key (chatbot keys add)")
    bench.add_argument("--model", default="citizen", help="the assistant (flow)")
    bench.add_argument("-n", type=int, default=20, help="requests of each kind")
    bench.set_defaults(func=cmd_bench)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms (n={len(ordered)})"


def _body(model: str, i: int) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": QUESTIONS[i % 3]}]}


def cmd_bench(args: argparse.Namespace) -> int:
    import httpx

    headers = {"Authorization": f"Bearer {args.key}"}
    models, turns, first_tokens, statuses = [], [], [], {}
    with httpx.Client(base_url=args.url.rstrip("/") + "/v1", headers=headers, timeout=120) as http:
        # Each kind in its own loop: a request never waits for the end of another's turn.
        for _ in range(args.n):
            started = time.perf_counter()
            http.get("/models").raise_for_status()
            models.append((time.perf_counter() - started) * 1000)
        for i in range(args.n):
            started = time.perf_counter()
            answer = http.post("/chat/completions", json=_body(args.model, i))
            answer.raise_for_status()
            turns.append((time.perf_counter() - started) * 1000)
            status = answer.json().get("status")
            statuses[status] = statuses.get(status, 0) + 1
        for i in range(args.n):
            started, first = time.perf_counter(), None
            body = {**_body(args.model, i), "stream": True}
            with http.stream("POST", "/chat/completions", json=body) as stream:
                stream.raise_for_status()
                for line in stream.iter_lines():  # read to the end: the turn completes
                    if first is None and line.startswith("data: {"):
                        chunk = json.loads(line[6:])
                        if any(c.get("delta", {}).get("content") for c in chunk["choices"]):
                            first = (time.perf_counter() - started) * 1000
            if first is not None:
                first_tokens.append(first)
    print(f"GET /v1/models (key check + rate limit): {_ms(models)}")
    print(f"POST /v1/chat/completions, whole turn:     {_ms(turns)}  statuses {statuses}")
    print(f"POST /v1/chat/completions, first token:    {_ms(first_tokens)}")
    return 0
