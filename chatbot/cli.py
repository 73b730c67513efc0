"""The ``chatbot`` command: a thin layer over the library. Operator messages are in English."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import os
import socket
import sys
import uuid
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from chatbot.commands import read_jsonl
from chatbot.paths import ROOT
from chatbot.roles import ROLES

if TYPE_CHECKING:
    from chatbot.serving.workers import WorkerInfo
    from chatbot.settings import Settings

# Building the parser imports every module below: each keeps its heavy imports (spaCy,
# Chroma, SQLAlchemy, Chainlit) inside its command functions, so that ``chatbot --help`` and
# the light commands start at once.

# Parts that add their own commands through ``register(sub, eval_sub)``.
COMMAND_MODULES = [
    "chatbot.knowledge.commands",
    "chatbot.privacy.commands",
    "chatbot.guard.commands",
    "chatbot.flows.commands",
    "chatbot.store.commands",
    "chatbot.editors.commands",  # after store: it adds to `report`
    "chatbot.web.users_cli",
    "chatbot.api.keys_cli",
    "chatbot.api.bench",
    "chatbot.fake_albert.commands",
    "chatbot.serving.commands",
    "chatbot.documents.commands",
    "chatbot.bench.commands",
]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        settings = sys.modules.get("chatbot.settings")  # only loaded by commands that need it
        if settings is not None and isinstance(exc, settings.SettingsError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatbot", description="Guichet, the assistant for French public services."
    )
    sub = parser.add_subparsers(title="commands")

    serve = sub.add_parser("serve", help="start the chat (Chainlit) on HOST:PORT")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: GUICHET_WORKERS, else one per core)",
    )
    # Set by the parent on the workers it starts (chatbot/serving/workers.py).
    for hidden in ("--worker-fd", "--worker-index", "--worker-count"):
        serve.add_argument(hidden, type=int, default=None, help=argparse.SUPPRESS)
    serve.add_argument("--worker-dir", default=None, help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    ask = sub.add_parser("ask", help="run one turn without the UI")
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument("--flow", default="citizen", help="flow name from flows/ (default: citizen)")
    ask.add_argument(
        "--role",
        choices=[str(role) for role in ROLES],
        help="caller role (default: the first role the flow allows)",
    )
    ask.add_argument("--thread", help="continue this conversation (thread id)")
    out = ask.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the result as JSON")
    out.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"id", "question"} lines on stdin, write one JSON line each',
    )
    ask.set_defaults(func=cmd_ask)

    eval_parser = sub.add_parser("eval", help="evaluation commands that print figures")
    eval_sub = eval_parser.add_subparsers(title="evaluations")
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub, eval_sub)
    return parser


def run_async(factory: Callable[[Settings], object]) -> int:
    from chatbot.settings import load_settings

    settings = load_settings()
    from chatbot.logs import configure_logging

    configure_logging(
        settings.log_format, "WARNING" if settings.log_level == "INFO" else settings.log_level
    )
    return asyncio.run(factory(settings))  # type: ignore[arg-type]


def fiche_sources(sources: list[dict]) -> list[dict]:
    """One entry per fiche, in citation order (a fiche may be cited for several sections)."""
    seen: dict[str, dict] = {}
    for source in sources:
        seen.setdefault(
            source["id"], {"id": source["id"], "title": source["title"], "url": source["url"]}
        )
    return list(seen.values())


# --- serve --------------------------------------------------------------------------------


APP = ROOT / "chatbot" / "app.py"


def cmd_serve(args: argparse.Namespace) -> int:
    from chatbot.settings import load_settings

    settings = load_settings()
    if args.worker_fd is not None:  # a worker started by the parent below
        return serve_worker(args)
    workers = args.workers if args.workers is not None else settings.workers
    if workers < 0:
        print("error: --workers must be 0 (one per core) or more", file=sys.stderr)
        return 2
    if workers == 0:
        from chatbot.serving.workers import default_workers

        workers = default_workers()
    # Take the port first: a busy port is said at once, before anything slow.
    try:
        listener = listen_socket(args.host, args.port)
    except OSError as exc:
        print(f"error: {port_problem(args.host, args.port, exc)}", file=sys.stderr)
        return 2
    with listener:
        if settings.has_backend:
            from chatbot.backend import Backend, BackendError

            async def verify() -> None:
                backend = Backend(settings)
                try:
                    await backend.verify()
                finally:
                    await backend.aclose()

            try:
                asyncio.run(verify())
            except BackendError as exc:
                print(f"error: backend {settings.backend_url}: {exc}", file=sys.stderr)
                return 2
        mode = (
            f"model {settings.chat_model} at {settings.backend_url}"
            if settings.has_backend
            else ("embedded default: no model configured, answers are cited excerpts")
        )
        print(f"Guichet: {mode}", flush=True)
        prepare_chainlit(settings)
        if workers > 1:
            from chatbot.serving.workers import supervise

            return supervise(listener, args.host, args.port, workers)
        return run_chainlit(listener, args.host, args.port)


def prepare_chainlit(settings: Settings) -> None:
    """What Chainlit reads from the environment; workers inherit it from their parent."""
    # Chainlit reads its folder (.chainlit/, public/, chainlit.md) when first imported.
    os.environ["CHAINLIT_APP_ROOT"] = str(ROOT)
    if settings.instance != "public" and not os.environ.get("CHAINLIT_AUTH_SECRET"):
        os.environ["CHAINLIT_AUTH_SECRET"] = auth_secret(settings)
    os.chdir(ROOT)


def serve_worker(args: argparse.Namespace) -> int:
    """One of the parent's workers: the shared socket, plus a private one for its siblings."""
    from pathlib import Path

    from chatbot.logs import bind_process
    from chatbot.serving.workers import WorkerInfo

    worker = WorkerInfo(args.worker_index, args.worker_count, Path(args.worker_dir))
    bind_process(worker=worker.index, pid=os.getpid())
    listener = socket.socket(fileno=args.worker_fd)
    return run_chainlit(listener, args.host, args.port, worker=worker)


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to HOST:PORT (not yet listening), as uvicorn would bind it."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def port_problem(host: str, port: int, exc: OSError) -> str:
    """One line for the operator: what is wrong with HOST:PORT and what to do."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another Guichet or program is "
            f"listening); stop it or choose another port: chatbot serve --port {port + 1}"
        )
    reason = exc.strerror or str(exc)
    return f"cannot listen on {host}:{port} ({reason}); choose another with --host or --port"


def run_chainlit(
    listener: socket.socket, host: str, port: int, worker: WorkerInfo | None = None
) -> int:
    """Run the Chainlit app in this process on LISTENER, as ``chainlit run --headless`` would.

    Mirrors ``chainlit.cli.run_chainlit`` (Chainlit 2.x, pinned in uv.lock), with two
    changes: the socket is the one bound above, and "open ..." is printed once it listens.
    A WORKER (``--workers``) also listens on its private socket and routes session-bound
    HTTP calls to the worker holding the session (``chatbot.serving.workers``).
    """
    os.environ["CHAINLIT_HOST"] = host
    os.environ["CHAINLIT_PORT"] = str(port)

    import uvicorn

    # chainlit.cli applies nest_asyncio and its logging set-up, as ``chainlit run`` does.
    from chainlit.auth import ensure_jwt_secret
    from chainlit.cache import init_lc_cache
    from chainlit.cli import assert_app
    from chainlit.config import config, load_module
    from chainlit.markdown import init_markdown

    config.run.host = host
    config.run.port = port
    config.run.root_path = os.environ.get("CHAINLIT_ROOT_PATH", "")
    config.run.headless = True
    # As ``chainlit run --debug`` (its click flag reads DEBUG): uvicorn's access lines on.
    config.run.debug = os.environ.get("DEBUG", "").strip().lower() in ("1", "true", "yes", "on")

    from chainlit.server import app

    config.run.module_name = str(APP)
    load_module(config.run.module_name)
    ensure_jwt_secret()
    assert_app()
    init_markdown(config.root)
    init_lc_cache()
    sockets = [listener]
    if worker is not None:
        from chatbot.serving.workers import SessionRouter, websocket_only

        websocket_only()
        app.add_middleware(SessionRouter, worker=worker)  # outermost: added last
        sockets.append(worker.private_socket())

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and (worker is None or worker.index == 0):
                print(f"Guichet: open http://{host}:{port} in your browser", flush=True)

    deflate = os.environ.get("UVICORN_WS_PER_MESSAGE_DEFLATE", "true").lower()
    server = Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            ws=os.environ.get("UVICORN_WS_PROTOCOL", "auto"),  # type: ignore[arg-type]
            log_level="debug" if config.run.debug else "error",
            ws_per_message_deflate=deflate in ("true", "1", "yes"),
            ssl_keyfile=os.environ.get("CHAINLIT_SSL_KEY"),
            ssl_certfile=os.environ.get("CHAINLIT_SSL_CERT"),
        )
    )
    # The plain asyncio loop (not uvloop), as Chainlit needs for re-entrance.
    asyncio.run(server.serve(sockets=sockets))
    # Rarely reached: Chainlit's shutdown ends the process (os._exit); the app's shutdown
    # hook exits with 1 first when the start-up failed.
    return 0


def auth_secret(settings: Settings) -> str:
    """The secret that signs login sessions, made once and kept in the data folder."""
    from chatbot.web.sessions import ensure_secret_file

    return ensure_secret_file(settings.data_dir / ".auth_secret")


# --- ask ----------------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace) -> int:
    if not args.jsonl and not args.question:
        print("error: give a question, or --jsonl to read questions on stdin", file=sys.stderr)
        return 2
    return run_async(lambda settings: _ask(settings, args))


async def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from chatbot.services import FlowAccessError, Services
    from chatbot.turn import Caller, ask

    services = await Services.start(settings)
    try:

        async def one(question: str, flow_name: str, thread: str | None) -> dict:
            flow = services.flows.get(flow_name)
            if flow is None:
                raise FlowAccessError(
                    f"unknown flow {flow_name!r}; available: {', '.join(sorted(services.flows))}"
                )
            role = args.role or flow.roles[0]
            result = await ask(
                services,
                question,
                thread_id=thread or uuid.uuid4().hex,
                privacy=services.privacy(),
                caller=Caller(role=role),
                flow_name=flow_name,
            )
            return result.model_dump(mode="json")

        if not args.jsonl:
            try:
                result = await one(args.question, args.flow, args.thread)
            except FlowAccessError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            if args.json:
                print(json.dumps(result, ensure_ascii=False, indent=2))
            else:
                from chatbot.present import as_markdown
                from chatbot.turn import TurnResult

                print(as_markdown(TurnResult.model_validate(result)))
                print(f"\n[status: {result['status']}]", file=sys.stderr)
            return 0

        for _, item_id, item, question, error in read_jsonl(sys.stdin, "question"):
            try:
                if error is not None or item is None or question is None:
                    raise ValueError(error)
                result = await one(
                    question, item.get("flow") or args.flow, item.get("thread") or args.thread
                )
                out = {
                    "id": item_id,
                    "status": result["status"],
                    "answer": result["answer"],
                    "sources": fiche_sources(result["sources"]),
                }
            except (ValueError, FlowAccessError) as exc:
                out = {
                    "id": item_id,
                    "status": "invalid_input",
                    "answer": "",
                    "sources": [],
                    "error": str(exc),
                }
            print(json.dumps(out, ensure_ascii=False), flush=True)
        return 0
    finally:
        await services.aclose()


if __name__ == "__main__":
    sys.exit(main())
