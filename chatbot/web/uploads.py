"""Uploads are for agents only, and never larger than the documents limit: decided on the
server, in front of Chainlit's ``POST /project/file``.

Chainlit reads the whole body before it checks anything (``await file.read()``), and its
upload switch is global, so hiding the button from citizens is not enough. This middleware
sits inside the shield (which has decoded the session into ``requester``) and refuses:

- any upload from a visitor who is not staff (citizens, anonymous): 403;
- an upload without a ``Content-Length`` (browsers always send one for a form): 411;
- an upload declaring more than ``GUICHET_DOCUMENTS_MAX_MB`` (plus the form's envelope): 413,
  before a byte of the body is read; a body that runs past its declared length is cut.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chatbot.logs import get_logger
from chatbot.replies import DOCUMENT_REPLIES
from chatbot.roles import is_staff
from chatbot.web.sessions import current_requester

log = get_logger("guichet.uploads")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

ENVELOPE = 64 * 1024  # multipart boundaries and headers around the file
LENGTH_REQUIRED = "Envoi refusé : taille du fichier inconnue. Rechargez la page puis réessayez."


class UploadGuard:
    def __init__(self, app: Any, *, max_bytes: int, root_path: str = "") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.root = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        rel = path[len(self.root) :] if self.root and path.startswith(self.root) else path
        if not (rel == "/project/file" and scope.get("method") == "POST"):
            await self.app(scope, receive, send)
            return
        who = current_requester()
        if who is None or not is_staff(who.role):
            log.info("upload_refused", reason="not_staff")
            await _refuse(send, 403, DOCUMENT_REPLIES["not_allowed"])
            return
        length = _content_length(scope)
        if length is None:
            log.info("upload_refused", reason="no_length")
            await _refuse(send, 411, LENGTH_REQUIRED)
            return
        if length > self.max_bytes + ENVELOPE:
            log.info("upload_refused", reason="too_large", length=length)
            await _refuse(send, 413, DOCUMENT_REPLIES["too_large"])
            return
        await self.app(scope, _bounded(receive, length), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _bounded(receive: Receive, limit: int) -> Receive:
    """Stop a body that lies about its length: nothing past ``limit`` bytes is read."""
    seen = 0

    async def bounded() -> dict[str, Any]:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                return {"type": "http.disconnect"}
        return message

    return bounded


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_upload_guard(app: Any, settings: Any) -> None:
    """Call before ``install_shield``: added earlier, it runs inside the shield."""
    from chainlit.config import config

    app.add_middleware(
        UploadGuard,
        max_bytes=int(settings.documents_max_mb * 1024 * 1024),
        root_path=config.run.root_path or "",
    )


def use_private_files_dir() -> Path:
    """Give this process its own folder for Chainlit's uploaded files.

    Chainlit keeps uploads in ``<app root>/.files`` and deletes that whole folder when a
    server stops. Several processes share one app root (``serve --workers``, instances of
    one image, the test suite's servers): the first to stop deleted the others' uploads
    mid-session, and a read-only root file system has no ``.files`` to write at all. Each
    process gets a folder of its own under the system's temporary directory instead.
    """
    import chainlit.config
    import chainlit.server

    folder = Path(tempfile.mkdtemp(prefix="guichet-uploads-"))
    chainlit.config.FILES_DIRECTORY = folder  # read by sessions at each upload
    chainlit.server.FILES_DIRECTORY = folder  # removed by the server at shutdown
    return folder
