"""Rate limits of the chat page and the widget, in the process's shared limiter
(``chatbot.api.limits``: Redis when configured, so every instance counts together).

- chat messages on the socket: anonymous citizens per address (``GUICHET_CHAT_RATE_PER_IP``),
  logged-in staff per login at the same rate; a refused message gets a French message in the
  chat, never a silent failure;
- widget tokens (``POST /widget/token``): per address (``GUICHET_WIDGET_RATE_PER_IP``),
  429 with ``Retry-After`` and a French ``detail``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from chatbot.api.limits import TOO_MANY_MESSAGES, TOO_MANY_REQUESTS, client_ip, shared_limiter
from chatbot.logs import get_logger
from chatbot.roles import is_staff, role_of
from chatbot.settings import get_settings

log = get_logger("guichet.limits")


async def too_many_messages(sid: str) -> str | None:
    """The French refusal for one more chat message from this socket, or None."""
    from chainlit.server import sio
    from chainlit.session import WebsocketSession

    session = WebsocketSession.get(sid)
    user = getattr(session, "user", None)
    if is_staff(role_of(user)):
        who = ("chat-user", str(user.identifier))
    else:
        environ = sio.get_environ(sid) or {}
        who = ("chat-ip", client_ip(environ.get("asgi.scope") or {}))
    verdict = await shared_limiter().hit(get_settings().chat_rate_per_ip, *who)
    if verdict.allowed:
        return None
    log.warning("chat_rate_limited", by=who[0])
    return TOO_MANY_MESSAGES.format(seconds=verdict.retry_after)


async def widget_token_refusal(scope: dict[str, Any]) -> JSONResponse | None:
    """429 for one more widget token from this address, or None."""
    verdict = await shared_limiter().hit(
        get_settings().widget_rate_per_ip, "widget-ip", client_ip(scope)
    )
    if verdict.allowed:
        return None
    log.warning("widget_rate_limited")
    return JSONResponse(
        {"detail": TOO_MANY_REQUESTS.format(seconds=verdict.retry_after)},
        status_code=429,
        headers={"Retry-After": str(verdict.retry_after)},
    )
