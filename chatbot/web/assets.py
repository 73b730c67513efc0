"""Serve Chainlit's page with nothing fetched from outside, in French.

Chainlit's built ``index.html`` links Google Fonts (plus two preconnects), KaTeX's CSS on
jsDelivr, and og: meta tags pointing at Chainlit's own hosts. Guichet may contact nothing
but its configured backend and stores, and its pages are in French. Rather than patching
site-packages or shipping a copied frontend build (``custom_build`` is read once, when
``chainlit.server`` is imported, and it would also replace the Copilot build directory),
a small ASGI middleware rewrites the HTML pages the server returns:

- every ``<link>``, ``<script src>`` or ``<meta>`` that points at an ``http(s)://`` or
  protocol-relative URL is dropped;
- ``<html lang="en">`` becomes ``<html lang="fr">`` (screen readers pick the voice from it).

The font link of the page and of the Copilot widget is neutralised by ``public/theme.json``
(``custom_fonts`` with an empty ``data:`` stylesheet), which Chainlit reads in both places.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A tag whose URL-bearing attribute is absolute (scheme or protocol-relative), i.e. leaves
# this server. Relative URLs ("/assets/...", "/favicon") and data: URLs stay.
_EXTERNAL_TAG = re.compile(
    r"""<(link|script|meta)\b[^>]*?\b(?:href|src|content)\s*=\s*["'](?:https?:)?//[^"']*["'][^>]*>"""
    r"""(?:\s*</script>)?""",
    re.IGNORECASE,
)
_HTML_LANG = re.compile(r"<html\b([^>]*?)\blang\s*=\s*[\"'][^\"']*[\"']", re.IGNORECASE)


def offline_html(html: str, lang: str = "fr") -> str:
    """Return ``html`` without tags that load or point at another host, in ``lang``."""
    html = _EXTERNAL_TAG.sub("", html)
    return _HTML_LANG.sub(lambda m: f'<html{m.group(1)}lang="{lang}"', html, count=1)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class OfflineHtmlMiddleware:
    """Rewrite HTML responses to page navigations with :func:`offline_html`.

    Only GET requests that accept ``text/html`` (browser navigations) are touched, and only
    when the response really is HTML; API calls, assets and the widget bundle stream through.
    """

    def __init__(self, app: ASGIApp, lang: str = "fr") -> None:
        self.app = app
        self.lang = lang

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or "text/html" not in _header(scope, b"accept")
        ):
            await self.app(scope, receive, send)
            return
        # Chainlit's gzip middleware sits inside this one: ask it for a plain body (the page
        # is a few kilobytes) so it can be rewritten.
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def capture(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = offline_html(b"".join(chunks).decode("utf-8"), self.lang).encode("utf-8")
            headers: list[Any] = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, capture)


def install_offline_html(app: Any, lang: str = "fr") -> None:
    """Add :class:`OfflineHtmlMiddleware` to Chainlit's FastAPI ``app``, once.

    Call it from the Chainlit module (``chatbot/app.py``), which Chainlit imports before the
    server starts; a hot reload calls it again and is ignored.
    """
    if getattr(app.state, "guichet_offline_html", False):
        return
    app.add_middleware(OfflineHtmlMiddleware, lang=lang)
    app.state.guichet_offline_html = True
