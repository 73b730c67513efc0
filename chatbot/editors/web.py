"""The ``/editeurs`` routes, ahead of Chainlit's catch-all GET route.

Who may see the page is decided on the server, from Chainlit's signed session (its auth
cookie, or a bearer token): the role the login put in the token (``chatbot.roles.may_edit``:
editors and admins). Nobody logged in gets a French page with a login link (401); a
logged-in citizen or agent gets a French refusal (403). The form that tries a fiche is a
POST protected against cross-site requests: a token bound to the session (HMAC of the
session token with the server's secret) and, when the browser sends one, an ``Origin`` that
must be this site's. Its body is limited to :data:`MAX_FORM_BYTES`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from chatbot.logs import get_logger
from chatbot.roles import may_edit, role_of

if TYPE_CHECKING:
    from chatbot.services import Services
    from chatbot.settings import Settings

log = get_logger("guichet.editors")

PAGE_PATH = "/editeurs"
PREVIEW_PATH = "/editeurs/essai"
MAX_FORM_BYTES = 128 * 1024
NOT_LOGGED_IN = "Cet espace est réservé aux rédacteurs. Connectez-vous pour y accéder."
FORBIDDEN = (
    "Votre compte n'a pas accès à l'espace des rédacteurs. Demandez le rôle « rédacteur » "
    "à votre administrateur."
)
CSRF_FAILED = "Le formulaire a expiré ou ne vient pas de cette page. Rechargez la page."
TOO_LARGE = "Formulaire trop volumineux."
HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Nothing but this page's own inline style; no script at all.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _token(request: Any) -> str | None:
    from chainlit.auth import get_token_from_cookies

    token = get_token_from_cookies(request.cookies)
    if token:
        return token
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def session_user(request: Any) -> tuple[Any, str | None]:
    """The logged-in user from Chainlit's signed token (None if none or invalid), and the
    token itself."""
    from chainlit.auth.jwt import decode_jwt

    token = _token(request)
    if not token:
        return None, None
    try:
        return decode_jwt(token), token
    except Exception:  # expired or forged: nobody
        return None, None


def csrf_token(session_token: str) -> str:
    """A form token bound to this session, checked without any server-side state."""
    secret = os.environ.get("CHAINLIT_AUTH_SECRET", "")
    digest = hashlib.sha256(session_token.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode(), f"editeurs:{digest}".encode(), hashlib.sha256).hexdigest()


def _same_origin(request: Any, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-site form (browsers send Origin on POST)
    allowed = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


def install_editors(app: Any, settings: Settings, services: Callable[[], Services | None]) -> None:
    """Put ``/editeurs`` and ``/editeurs/essai`` ahead of Chainlit's catch-all route."""
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from chatbot.editors import page
    from chatbot.editors.preview import (
        DraftError,
        draft_from_file,
        draft_from_text,
        known_questions,
        preview,
    )
    from chatbot.editors.report import gaps_report, stale_report, stored_answered
    from chatbot.store.reports import feedback_report

    if any(getattr(r, "path", None) == PAGE_PATH for r in app.router.routes):
        return

    def html(body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers=HEADERS)

    def refuse(user: Any) -> HTMLResponse | None:
        if user is None:
            return html(page.refusal_page("Connexion requise", NOT_LOGGED_IN, True), 401)
        if not may_edit(role_of(user)):
            log.info("editors_refused", role=str(role_of(user)))
            return html(page.refusal_page("Accès refusé", FORBIDDEN, False), 403)
        return None

    def days_of(value: str | None) -> float:
        try:
            days = float(value or 30)
        except ValueError:
            return 30.0
        return days if days in page.PERIODS else 30.0

    async def render(user: Any, token: str, days: float, **extra: Any) -> str:
        current = services()
        kb = current.kb if current is not None else None
        gaps = await gaps_report(settings, days=days, kb=kb)
        stale = await stale_report(settings, days=days)
        feedback = await feedback_report(settings, days=days, recent=0)
        name = getattr(user, "display_name", None) or user.identifier
        return page.editors_page(
            gaps, stale, csrf_token(token), user=name, feedback=feedback, **extra
        )

    async def show(request: Any) -> HTMLResponse:
        user, token = session_user(request)
        refused = refuse(user)
        if refused is not None:
            return refused
        body = await render(user, token or "", days_of(request.query_params.get("jours")))
        return html(body)

    async def try_fiche(request: Any) -> HTMLResponse:
        user, token = session_user(request)
        refused = refuse(user)
        if refused is not None:
            return refused
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = MAX_FORM_BYTES + 1
        if length > MAX_FORM_BYTES:
            return html(page.refusal_page("Formulaire refusé", TOO_LARGE, False), 413)
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_FORM_BYTES:
                return html(page.refusal_page("Formulaire refusé", TOO_LARGE, False), 413)
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items() if v}
        sent = form.get("csrf", "")
        if not (
            token
            and _same_origin(request, settings)
            and hmac.compare_digest(sent.encode(), csrf_token(token).encode())
        ):
            log.warning("editors_csrf_refused")
            return html(page.refusal_page("Formulaire refusé", CSRF_FAILED, False), 403)
        days = days_of(form.get("jours"))
        fields = {k: form.get(k, "") for k in ("fiche", "identifiant", "public", "brouillon")}
        fields["groupe"] = form.get("groupe", "1")
        current = services()
        kb = current.kb if current is not None else None
        gaps = await gaps_report(settings, days=days, kb=kb)
        result, error = None, None
        try:
            if fields["brouillon"].strip():
                text, fiche_id, audience = draft_from_file(
                    settings.knowledge_dir, fields["brouillon"]
                )
            else:
                text, fiche_id, audience = draft_from_text(
                    fields["fiche"], fields["identifiant"].strip(), fields["public"]
                )
            try:
                index = int(fields["groupe"]) - 1
            except ValueError:
                index = -1
            questions = gaps.groups[index].questions if 0 <= index < len(gaps.groups) else []
            flow = current.flows.get("citizen") if current is not None else None
            retrieval = flow.retrieval if flow is not None else None
            result = await preview(
                settings,
                text,
                fiche_id,
                audience,
                questions,
                known=known_questions(await stored_answered(settings, days)),
                k=retrieval.k if retrieval else 4,
                min_score=retrieval.min_score if retrieval else 0.3,
            )
        except DraftError as exc:
            error = str(exc)
        body = await render(user, token or "", days, result=result, error=error, fields=fields)
        return html(body, 200 if error is None else 422)

    # Chainlit ends with a catch-all GET route serving its UI: ours go first.
    app.router.routes.insert(0, Route(PREVIEW_PATH, try_fiche, methods=["POST"]))
    app.router.routes.insert(0, Route(PAGE_PATH, show, methods=["GET"]))
