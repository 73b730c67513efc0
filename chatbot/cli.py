"""The ``chatbot`` command: a thin layer over the library. Operator messages are in English."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from collections.abc import Callable
from importlib import import_module

from chatbot.commands import read_jsonl
from chatbot.roles import ROLES
from chatbot.settings import ROOT, Settings, SettingsError, load_settings

# Parts that add their own commands through ``register(sub, eval_sub)``.
COMMAND_MODULES = [
    "chatbot.knowledge.commands",
    "chatbot.privacy.commands",
    "chatbot.guard.commands",
    "chatbot.evaluate_answers",
    "chatbot.store.commands",
    "chatbot.web.users_cli",
    "chatbot.fake_albert.commands",
]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatbot", description="Guichet, the assistant for French public services."
    )
    sub = parser.add_subparsers(title="commands")

    serve = sub.add_parser("serve", help="start the chat (Chainlit) on HOST:PORT")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
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


def cmd_serve(args: argparse.Namespace) -> int:
    settings = load_settings()
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
    print(f"Guichet: open http://{args.host}:{args.port} in your browser", flush=True)
    env = {**os.environ, "CHAINLIT_APP_ROOT": str(ROOT)}
    if settings.instance != "public" and not env.get("CHAINLIT_AUTH_SECRET"):
        env["CHAINLIT_AUTH_SECRET"] = auth_secret(settings)
    os.chdir(ROOT)
    command = [
        sys.executable,
        "-m",
        "chainlit",
        "run",
        str(ROOT / "chatbot" / "app.py"),
        "--headless",
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    os.execve(sys.executable, command, env)
    return 0  # not reached


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
