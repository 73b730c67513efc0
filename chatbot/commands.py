"""Helpers the command modules share: command groups and JSON-lines input."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple


def subcommands(sub: Any, name: str, help: str) -> Any:
    """The subparsers of ``chatbot <name>``, created by whichever part registers first."""
    group = sub.choices.get(name)
    if group is None:
        group = sub.add_parser(name, help=help)
    for action in group._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return group.add_subparsers(title=name)


class JsonlItem(NamedTuple):
    number: int  # line number, from 1
    id: Any  # the line's "id", or None
    item: dict[str, Any] | None  # the whole object, or None when unreadable
    value: str | None  # the required text field, or None on error
    error: str | None  # what is wrong with the line, for the operator


def read_jsonl(lines: Iterable[str], field: str) -> Iterator[JsonlItem]:
    """One JsonlItem per non-blank line; a bad line is an error item, never an exception."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield JsonlItem(number, None, None, None, f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(item, dict):
            yield JsonlItem(number, None, None, None, f"line {number}: expected a JSON object")
            continue
        value = item.get(field)
        if not isinstance(value, str):
            yield JsonlItem(
                number, item.get("id"), item, None, f'line {number}: missing "{field}" (a string)'
            )
            continue
        yield JsonlItem(number, item.get("id"), item, value, None)
