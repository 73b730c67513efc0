"""``chatbot bench load``: the load benchmark (see ``chatbot.bench.load``).

It starts the Albert test double with a realistic pace in its own process, then drives the
conversations through the library in this process, or through a server: one it starts
(``chatbot serve``, with ``--workers`` passed on) or one already running (``--url``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from chatbot.commands import subcommands
from chatbot.paths import ROOT

DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/test"
PG_USERS = ("postgres", "root")


def register(sub: Any, eval_sub: Any) -> None:
    bench_sub = subcommands(sub, "bench", "benchmarks that print figures")
    run = bench_sub.add_parser(
        "load",
        help="N conversations through the library and the server: turns/s, latency, CPU",
        description="Drives conversations against the Albert test double paced like a real "
        "model, through the library (run_turn) and through a server's socket.io protocol, "
        "and prints turns/s, time to first token, turn time, added latency, CPU per turn, "
        "errors, disconnects and peak memory.",
    )
    run.add_argument("-n", "--conversations", type=int, default=200)
    run.add_argument(
        "--think", type=float, default=10.0, help="seconds between turns (0: saturation)"
    )
    run.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    run.add_argument("--turns", type=int, help="stop after this many turns (a short run)")
    run.add_argument(
        "--through",
        choices=["library", "server", "both", "api", "nginx"],
        default="both",
        help="where the turns go in (default: both, library first; api: POST "
        "/v1/chat/completions streamed, with a key made for the run; nginx: socket.io through "
        "the shipped nginx config in front of two instances on PostgreSQL, a Chroma server "
        "and Redis, all started for the run)",
    )
    run.add_argument("--url", help="a running server to load instead of starting one")
    run.add_argument("--pid", type=int, help="with --url: the server's process id, for CPU")
    run.add_argument(
        "--double-url", help="with --url: the double that server uses (for the model's time)"
    )
    run.add_argument("--workers", type=int, help="passed to `chatbot serve --workers`")
    run.add_argument("--api-key", help="with --through api and --url: a citizen key to use")
    run.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        metavar="URL",
        help="memory on PostgreSQL, in a fresh database created on this server and dropped "
        f"afterwards (default server: {DEFAULT_POSTGRES})",
    )
    run.add_argument("--first-token-ms", type=float, default=300.0)
    run.add_argument("--tokens-per-second", type=float, default=40.0)
    run.add_argument("--answer-tokens", type=int, default=120)
    run.add_argument(
        "--profile", type=Path, help="library run: write a pyinstrument profile (.html, else text)"
    )
    run.set_defaults(func=cmd_load)


def cmd_load(args: argparse.Namespace) -> int:
    from chatbot.logs import configure_logging

    configure_logging("console", "WARNING")
    # A socket dropped by an overloaded server is counted as a disconnect, not printed.
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if args.url and not args.double_url:
        print("error: with --url, say which double the server uses (--double-url)")
        return 2
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="guichet-bench-")))
        double_url = args.double_url or stack.enter_context(_double(args, tmp))
        postgres = stack.enter_context(_fresh_database(args.postgres)) if args.postgres else ""
        print(
            f"model: {args.first_token_ms:g} ms to the first token, {args.tokens_per_second:g} "
            f"tokens/s, answers of ~{args.answer_tokens} tokens (the double at {double_url})",
            flush=True,
        )
        if args.through == "nginx" and not postgres:  # instances share one database
            postgres = stack.enter_context(_fresh_database(DEFAULT_POSTGRES))
        ways = ["library", "server"] if args.through == "both" else [args.through]
        for way in ways:
            if way == "library":
                report = await _library(args, tmp, double_url, postgres)
            elif way == "api":
                report = await _api(args, tmp, double_url, postgres)
            elif way == "nginx":
                report = await _nginx(args, tmp, double_url, postgres)
            else:
                report = await _server(args, tmp, double_url, postgres)
            print("\n".join(report.lines() + report.targets()), flush=True)
    return 0


def _report(args: argparse.Namespace, through: str, postgres: str, workers: str = ""):
    from chatbot.bench.report import Report

    return Report(
        through=through,
        database="PostgreSQL" if postgres else "SQLite",
        conversations=args.conversations,
        think_s=args.think,
        workers=workers,
    )


def _settings_env(tmp: Path, double_url: str, postgres: str, name: str) -> dict[str, str]:
    env = {
        "GUICHET_BACKEND_URL": double_url,
        "GUICHET_API_KEY": "test-key",
        "GUICHET_DATA_DIR": str(tmp / name),
        "GUICHET_WATCH_KNOWLEDGE": "false",
        # Every simulated citizen comes from 127.0.0.1 and the API runs use one key: the
        # per-address and per-key limits would measure the limiter, not the turns.
        "GUICHET_CHAT_RATE_PER_IP": "1000000/minute",
        "GUICHET_API_RATE_PER_KEY": "1000000/minute",
    }
    if postgres:
        env["GUICHET_POSTGRES_URL"] = postgres
    return env


async def _library(args: argparse.Namespace, tmp: Path, double_url: str, postgres: str):
    from chatbot.bench.load import LibraryConversation, calibrate, own_pid, run_load
    from chatbot.services import Services
    from chatbot.settings import Settings
    from chatbot.store.schema import create_schema, database_url

    env = _settings_env(tmp, double_url, postgres, "library")
    settings = Settings(
        backend_url=env["GUICHET_BACKEND_URL"],
        api_key=env["GUICHET_API_KEY"],
        data_dir=Path(env["GUICHET_DATA_DIR"]),
        postgres_url=postgres,
        watch_knowledge=False,
        timeout=180,
        _env_file=None,
    )
    await create_schema(database_url(settings))
    services = await Services.start(settings, verify=False)
    try:

        async def opener() -> LibraryConversation:
            return LibraryConversation(services)

        report = _report(args, "library", postgres)
        report.model_s = await calibrate(opener, double_url)
        profiler = _profiler(args.profile)
        await run_load(
            report,
            opener,
            duration_s=args.duration,
            max_turns=args.turns,
            measure_pid=own_pid(),
        )
        if profiler is not None:
            profiler.stop()
            html = args.profile.suffix == ".html"
            args.profile.write_text(
                profiler.output_html() if html else profiler.output_text(show_all=False)
            )
            print(f"profile written to {args.profile}")
        return report
    finally:
        await services.aclose()


def _profiler(path: Path | None) -> Any:
    if path is None:
        return None
    from pyinstrument import Profiler  # a developer's tool: `uv run --with pyinstrument`

    profiler = Profiler(async_mode="disabled")
    profiler.start()
    return profiler


async def _server(args: argparse.Namespace, tmp: Path, double_url: str, postgres: str):
    from chatbot.bench.load import ServerConversation, calibrate, run_load

    async with _serve(args, tmp, double_url, postgres) as (url, pid):

        async def opener() -> ServerConversation:
            return await ServerConversation.open(url)

        workers = f"{args.workers} workers" if args.workers else ""
        report = _report(args, "server", postgres, workers)
        report.model_s = await calibrate(opener, double_url)
        await run_load(
            report, opener, duration_s=args.duration, max_turns=args.turns, measure_pid=pid
        )
        log = tmp / "server.log"
        if report.errors and log.exists():  # what the server said about them
            problems = [line for line in log.read_text().splitlines() if '"error"' in line]
            print("\n".join(["server errors (last 5):", *problems[-5:]]))
        return report


async def _api(args: argparse.Namespace, tmp: Path, double_url: str, postgres: str):
    """The same conversations through the OpenAI-compatible API, streamed."""
    import httpx

    from chatbot.bench.load import ApiConversation, calibrate, run_load

    async with _serve(args, tmp, double_url, postgres) as (url, pid):
        key = args.api_key or _new_key(_server_env(tmp, double_url, postgres, url))
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=180,
            limits=limits,
        ) as client:

            async def opener() -> ApiConversation:
                return ApiConversation(client)

            workers = f"{args.workers} workers" if args.workers else ""
            report = _report(args, "api", postgres, workers)
            report.model_s = await calibrate(opener, double_url)
            await run_load(
                report, opener, duration_s=args.duration, max_turns=args.turns, measure_pid=pid
            )
        return report


def _new_key(env: dict[str, str]) -> str:
    """A citizen key made for the run with `chatbot keys add`, in the server's database."""
    out = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "keys", "add", "bench-load", "--role", "citizen"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


async def _nginx(args: argparse.Namespace, tmp: Path, double_url: str, postgres: str):
    """socket.io conversations through nginx in front of two instances; each conversation
    keeps the load-balancing cookie nginx gave it, so it stays on one instance."""
    from chatbot.bench.cluster import cluster
    from chatbot.bench.load import ServerConversation, calibrate, run_load

    env = _settings_env(tmp, double_url, postgres, "unused")
    del env["GUICHET_DATA_DIR"]  # one per instance
    started = time.monotonic()
    workers = args.workers or 1  # two instances on the machine: one process each by default
    with cluster(tmp / "cluster", env, workers=workers) as lb:
        print(f"2 instances and nginx ready in {time.monotonic() - started:.1f} s at {lb.url}")

        async def opener() -> ServerConversation:
            return await ServerConversation.open(lb.url)

        report = _report(args, "nginx", postgres, f"2 instances x {workers} worker(s)")
        report.model_s = await calibrate(opener, double_url)
        await asyncio.sleep(1)  # nginx logs a websocket once it is closed
        turns, sockets = lb.turns(), lb.socket_connections()
        await run_load(
            report, opener, duration_s=args.duration, max_turns=args.turns, measure_pid=lb.pids
        )
        await asyncio.sleep(1)
        turns_after, sockets_after = lb.turns(), lb.socket_connections()
        for url, _ in lb.instances:
            port = int(url.rsplit(":", 1)[1])
            report.notes.append(
                f"instance {url}: {turns_after[url] - turns[url]:.0f} turns, "
                f"{sockets_after.get(port, 0) - sockets.get(port, 0)} conversations"
            )
        return report


def _server_env(tmp: Path, double_url: str, postgres: str, url: str) -> dict[str, str]:
    return {
        **os.environ,
        **_settings_env(tmp, double_url, postgres, "server"),
        "GUICHET_PUBLIC_URL": url,
        "GUICHET_ALLOWED_ORIGINS": url,
        "GUICHET_LOG_FORMAT": "json",
    }


@contextlib.asynccontextmanager
async def _serve(
    args: argparse.Namespace, tmp: Path, double_url: str, postgres: str
) -> AsyncIterator[tuple[str, int | None]]:
    if args.url:
        yield args.url.rstrip("/"), args.pid
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "chatbot.cli", "serve", "--port", str(port)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    env = _server_env(tmp, double_url, postgres, url)
    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            started = time.monotonic()
            await _wait_ready(url + "/project/settings?language=fr-FR", process, log_path)
            print(f"server ready in {time.monotonic() - started:.1f} s at {url}", flush=True)
            yield url, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def _wait_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + 300
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("the server exited:\n" + log_path.read_text()[-3000:])
            try:
                if (await client.get(url)).status_code < 500:
                    # The page answers before the services (privacy model, knowledge) are
                    # built in the background (chatbot.boot); the API says 503 until then.
                    ready = await client.get(url.split("/project/")[0] + "/ready")
                    if ready.status_code == 200 or "starting" not in ready.text:
                        return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError("the server did not start in 300 s")


@contextlib.contextmanager
def _double(args: argparse.Namespace, tmp: Path) -> Iterator[str]:
    """The Albert test double in its own process, so its CPU is not counted as Guichet's."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "chatbot.cli",
        "fake-albert",
        "--port",
        str(port),
        "--first-token-ms",
        str(args.first_token_ms),
        "--tokens-per-second",
        str(args.tokens_per_second),
        "--answer-tokens",
        str(args.answer_tokens),
        "--forget-requests",
    ]
    with open(tmp / "double.log", "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the double did not start")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextlib.contextmanager
def _fresh_database(url: str) -> Iterator[str]:
    """A new database on the PostgreSQL server of ``url``, dropped afterwards."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    given = conninfo_to_dict(url)
    users = [given["user"]] if given.get("user") else list(PG_USERS)
    admin, errors = None, []
    for user in users:
        try:
            admin = psycopg.connect(make_conninfo(url, user=user), autocommit=True)
            break
        except psycopg.Error as exc:
            errors.append(f"{user}: {type(exc).__name__}")
    if admin is None:
        raise SystemExit(f"error: PostgreSQL not reachable at {url} ({'; '.join(errors)})")
    name = f"guichet_bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        fresh = make_conninfo(url, user=admin.info.user, dbname=name)
        params = conninfo_to_dict(fresh)
        yield (
            f"postgresql://{params['user']}@{params.get('host', '127.0.0.1')}:"
            f"{params.get('port', 5432)}/{name}"
        )
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
