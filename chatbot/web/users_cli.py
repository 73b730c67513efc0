"""``chatbot users add|list|remove``: the operator manages who logs in with a password.

The file (``GUICHET_USERS_FILE``) holds scrypt hashes only; a running server picks up changes
at the next login attempt. Messages are in English (operators).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from chatbot.roles import STAFF_ROLES, Role

if TYPE_CHECKING:  # chatbot.web.auth loads pydantic and Starlette: only the handlers need it
    from chatbot.web.auth import UsersFile

MIN_PASSWORD = 12


def register(sub: argparse._SubParsersAction, eval_sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="manage agents and admins who log in with a password")

    def show_help(_args: argparse.Namespace) -> int:
        users.print_help()
        return 2

    users.set_defaults(func=show_help)
    users_sub = users.add_subparsers(title="user commands")

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--users-file", type=Path, help="the users file (default: GUICHET_USERS_FILE)"
        )

    add = users_sub.add_parser("add", help="add a user, or change one with --replace")
    add.add_argument("username")
    add.add_argument("--role", choices=[str(role) for role in STAFF_ROLES], default=str(Role.agent))
    add.add_argument("--display-name", help="name shown in the chat (default: the username)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    add.add_argument("--replace", action="store_true", help="overwrite an existing user")
    common(add)
    add.set_defaults(func=cmd_add)

    list_ = users_sub.add_parser("list", help="list users (never their hashes)")
    common(list_)
    list_.set_defaults(func=cmd_list)

    remove = users_sub.add_parser("remove", help="remove a user")
    remove.add_argument("username")
    common(remove)
    remove.set_defaults(func=cmd_remove)


def _path(args: argparse.Namespace) -> Path:
    if getattr(args, "users_file", None):
        return Path(args.users_file)
    from chatbot.settings import load_settings

    return load_settings().users_path


def _read_password(args: argparse.Namespace, stdin: TextIO) -> str | None:
    if args.password_stdin:
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        print("error: the two passwords differ", file=sys.stderr)
        return None
    return first


def cmd_add(args: argparse.Namespace, stdin: TextIO | None = None) -> int:
    from chatbot.web.auth import UserRecord, hash_password, username_problem, write_users_file

    path = _path(args)
    username = args.username.strip()
    if problem := username_problem(username):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    users = _read(path)
    if users is None:
        return 1
    existing = users.find(username)
    if existing and not args.replace:
        print(
            f"error: user {existing.username!r} exists; add --replace to change it", file=sys.stderr
        )
        return 1
    password = _read_password(args, stdin or sys.stdin)
    if password is None:
        return 1
    if len(password) < MIN_PASSWORD:
        print(f"error: the password must have at least {MIN_PASSWORD} characters", file=sys.stderr)
        return 1
    record = UserRecord(
        username=username,
        password_hash=hash_password(password),
        role=args.role,
        display_name=args.display_name or None,
        # A changed password or role ends the sessions opened with the old one.
        sessions_after=time.time() if existing else None,
    )
    users.users = [u for u in users.users if u is not existing] + [record]
    write_users_file(path, users)
    print(f"{'updated' if existing else 'added'} {username} ({args.role}) in {path}")
    return 0


def _read(path: Path) -> UsersFile | None:
    """The users file, or None after telling the operator what is wrong with it."""
    from chatbot.web.auth import UsersFileError, read_users_file

    try:
        return read_users_file(path)
    except UsersFileError as exc:
        print(f"error: {exc}; fix or remove the file first", file=sys.stderr)
        return None


def cmd_list(args: argparse.Namespace) -> int:
    path = _path(args)
    users = _read(path)
    if users is None:
        return 1
    if not users.users:
        print(f"no users in {path}")
        return 0
    width = max(len(u.username) for u in users.users)
    for user in sorted(users.users, key=lambda u: u.username.casefold()):
        print(f"{user.username:<{width}}  {user.role:<5}  {user.display_name or ''}".rstrip())
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    path = _path(args)
    users = _read(path)
    if users is None:
        return 1
    existing = users.find(args.username)
    if existing is None:
        print(f"error: no user {args.username!r} in {path}", file=sys.stderr)
        return 1
    from chatbot.web.auth import write_users_file

    users.users = [u for u in users.users if u is not existing]
    write_users_file(path, users)
    # A running server refuses this user's sessions from now on (chatbot.web.sessions).
    print(f"removed {existing.username} from {path}; their open sessions end now")
    return 0
