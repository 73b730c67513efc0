"""Small ASGI helpers shared by the middlewares that read a request body before the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the body already read, then the real channel (so a
    client's disconnect is still noticed)."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
