"""Access logs without personal data: uvicorn's lines carry the route template (not the path,
which can hold an e-mail or a name) and no client address; the websockets debug trace loses
headers and message text."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import Match


def _flat_routes(routes: Iterable[Any]) -> Iterable[Any]:
    """Routes in order, with those of included routers (FastAPI wraps them) unfolded."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat_routes(inner.routes)
        else:
            yield route


class RouteOnlyAccessLog(logging.Filter):
    """Uvicorn's access and websocket lines with the route template instead of the path
    (which can carry an e-mail address or a name) and without the client's address."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app

    def template(self, raw: Any) -> str:
        path = urlsplit(str(raw)).path or "/"
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        for route in _flat_routes(getattr(self.app, "routes", [])):
            try:
                match, _ = route.matches(scope)
            except Exception:  # a route that cannot judge this scope
                continue
            if match != Match.NONE:
                return getattr(route, "path", "") or "/…"
        return "/…"

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple):
            return True
        if record.name == "uvicorn.access" and len(args) == 5:
            _client, method, path, version, status = args
            record.args = ("-", method, self.template(path), version, status)
        elif (
            record.name == "uvicorn.error"
            and isinstance(record.msg, str)
            and record.msg.startswith('%s - "WebSocket %s"')
            and len(args) >= 2
        ):
            record.args = ("-", self.template(args[1]), *args[2:])
        elif isinstance(record.msg, str) and record.msg[:2] in ("< ", "> "):
            # The websockets library's debug trace (uvicorn's debug level): request line,
            # headers (cookies, referer) and frames (message text).
            if record.msg.endswith("%s: %s") and len(args) == 2:
                record.args = (args[0], "…")
            elif record.msg.endswith("< %s") or record.msg.endswith("> %s"):
                frame = args[0] if args else None
                opcode = getattr(getattr(frame, "opcode", None), "name", "frame")
                size = len(getattr(frame, "data", b"") or b"")
                record.args = (f"{opcode} [{size} bytes]",)
            else:  # a request line, whatever its format ("< GET %s HTTP/1.1", "< %s %s %s")
                record.args = tuple(
                    self.template(a) if isinstance(a, str) and a.startswith("/") else a
                    for a in args
                )
        return True


def install_log_scrubbing(app: Any) -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RouteOnlyAccessLog) for f in logger.filters):
            logger.addFilter(RouteOnlyAccessLog(app))
