"""``chatbot keys add|list|revoke``: the operator manages the API keys of client systems.

The key is printed once, at creation; the database keeps its digest only. A revocation
takes effect at once on every instance sharing the database. Messages are in English.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from chatbot.roles import ROLES, Role


def register(sub: argparse._SubParsersAction, eval_sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="manage the API keys of client systems (/v1 API)")

    def show_help(_args: argparse.Namespace) -> int:
        keys.print_help()
        return 2

    keys.set_defaults(func=show_help)
    keys_sub = keys.add_subparsers(title="key commands")

    add = keys_sub.add_parser("add", help="create a key; it is printed once")
    add.add_argument("name", help="the client system, e.g. portail-mairie")
    add.add_argument(
        "--role",
        choices=[str(role) for role in ROLES],
        default=str(Role.citizen),
        help="the role its callers act as (default: citizen)",
    )
    add.set_defaults(func=cmd_add)

    list_ = keys_sub.add_parser("list", help="list keys (never the keys themselves)")
    list_.add_argument("--json", action="store_true", help="print JSON")
    list_.set_defaults(func=cmd_list)

    revoke = keys_sub.add_parser("revoke", help="revoke a key at once, on every instance")
    revoke.add_argument("key_id", help="the id shown by `chatbot keys list` (or the key)")
    revoke.set_defaults(func=cmd_revoke)


def _store():
    from chatbot.api.keys import KeyStore
    from chatbot.settings import load_settings
    from chatbot.store.schema import database_url

    return KeyStore(database_url(load_settings()))


async def _with_store(action):
    store = _store()
    try:
        await store.setup()
        return await action(store)
    finally:
        await store.aclose()


def cmd_add(args: argparse.Namespace) -> int:
    from chatbot.api.keys import name_problem

    if problem := name_problem(args.name):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    record, key = asyncio.run(_with_store(lambda s: s.add(args.name, Role(args.role))))
    print(f"added key {record.id} for {record.name} (role {record.role})", file=sys.stderr)
    print("the key is shown once; store it in the client's secrets now:", file=sys.stderr)
    print(key)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    records = asyncio.run(_with_store(lambda s: s.list()))
    if args.json:
        print(json.dumps([r.model_dump() for r in records], indent=2))
        return 0
    if not records:
        print("no API keys")
        return 0
    width = max(len(r.name) for r in records)
    for r in records:
        state = f"revoked {r.revoked_at}" if r.revoked_at else "active"
        print(f"{r.id}  {r.name:<{width}}  {r.role:<7}  created {r.created_at}  {state}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    record = asyncio.run(_with_store(lambda s: s.revoke(args.key_id.strip())))
    if record is None:
        print(f"error: no API key {args.key_id!r}", file=sys.stderr)
        return 1
    print(f"revoked {record.id} ({record.name}); every instance refuses it from now on")
    return 0
