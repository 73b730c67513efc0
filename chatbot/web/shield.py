"""What Chainlit leaves open, closed in front of it: one ASGI middleware and the socket handlers.

``install_shield(chainlit.server.app, settings)`` (from ``chatbot/app.py``) puts
:class:`Shield` outside every Chainlit route and the socket.io mount, then wraps the socket
handlers. What each part closes (``docs/threat-model.md`` names the tests):

- **origin**: the socket.io endpoint (polling and websocket) refuses a browser page from an
  origin that is neither ``GUICHET_PUBLIC_URL`` nor in ``GUICHET_ALLOWED_ORIGINS``: the
  session cookie is ``SameSite=Lax``, so another origin *of the same site* would otherwise
  talk to the bot as the logged-in agent;
- **sessions**: every request, socket connection and socket frame carrying a token is checked
  against logout and the users file (:mod:`chatbot.web.sessions`); the identity is put in
  :data:`chatbot.web.sessions.requester` for the data layer;
- **features switched off** in ``.chainlit/config.toml`` are refused on the server, not only
  hidden in the UI: thread sharing (``/project/thread/share``, ``/project/share/...``) and
  message editing (``edit_message``);
- **size before analysis**: a message, a feedback comment or a thread name longer than
  :data:`MAX_TEXT` is refused before anything reads it (the privacy analyser is slow on long
  text and runs on the server's only event loop);
- **login rate limit**: password guesses per IP and per username (``limits``; memory by
  default, ``GUICHET_RATE_LIMIT_STORAGE`` such as ``redis://...`` shares it between
  processes);
- **cookies** get ``Secure`` when ``GUICHET_PUBLIC_URL`` is https;
- **logs**: uvicorn's access and websocket lines carry the route template (``/project/thread/
  {thread_id}``), never the requested path, query string or client address;
- **errors** sent to the browser are in French and never an exception's text.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse

from chatbot.api.limits import Verdict, client_ip
from chatbot.logs import get_logger
from chatbot.web.access_log import install_log_scrubbing
from chatbot.web.asgi import replay_body
from chatbot.web.flood import too_many_messages
from chatbot.web.sessions import Requester, RevocationStore, password_session_problem, requester

log = get_logger("guichet.shield")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The guard refuses longer questions (``chatbot.guard.normalise``); nothing longer is analysed.
MAX_TEXT = 4000
MAX_BODY = 64 * 1024  # bytes of a login form, a feedback or a rename request

ORIGIN_REFUSED = "Connexion refusée : cette page n'est pas autorisée à utiliser l'assistant."
SESSION_ENDED = "Votre session a pris fin. Reconnectez-vous pour continuer."
SHARING_DISABLED = "Le partage de conversations n'est pas disponible."
EDIT_DISABLED = (
    "La modification d'un message envoyé n'est pas disponible. Écrivez un nouveau message."
)
TOO_MANY_LOGINS = (
    "Trop de tentatives de connexion. Patientez une minute avant de réessayer ; "
    "en cas d'oubli du mot de passe, contactez votre administrateur."
)
TOO_LONG = f"Texte trop long : {MAX_TEXT} caractères au plus."
BODY_TOO_LARGE = "Requête trop volumineuse."
MALFORMED = "Message illisible. Rechargez la page puis réessayez."
CONNECT_REFUSED = {
    "authentication failed": "Connexion refusée : session absente ou expirée. Rechargez la page.",
    "authorization failed": "Connexion refusée : cette conversation n'est pas la vôtre.",
}
CONNECT_MALFORMED = "Connexion refusée : requête mal formée. Rechargez la page."


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, as browsers send it in ``Origin``."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else ""


def allowed_origins(public_url: str, extra: Iterable[str]) -> frozenset[str]:
    return frozenset(o for o in (origin_of(public_url), *(origin_of(u) for u in extra)) if o)


class LoginLimiter:
    """Password attempts per IP and per username, counted before the (slow) check runs, in
    the process's shared limiter (``chatbot.api.limits``)."""

    def __init__(self, per_ip: str, per_user: str, storage_uri: str = "memory://") -> None:
        from chatbot.api.limits import shared_limiter

        self.limiter = shared_limiter(storage_uri)
        self.per_ip = per_ip
        self.per_user = per_user

    async def allow(self, ip: str, username: str) -> Verdict:
        # Both are hit: a spray over many names from one address, and a slow guess at one
        # name from many addresses, are each stopped.
        by_ip = await self.limiter.hit(self.per_ip, "login-ip", ip)
        by_user = await self.limiter.hit(self.per_user, "login-user", username.strip().casefold())
        if by_ip.allowed and by_user.allowed:
            return by_ip
        return Verdict(False, max(by_ip.retry_after, by_user.retry_after))


class Shield:
    """ASGI middleware in front of Chainlit (see the module docstring)."""

    def __init__(
        self,
        app: Any,
        *,
        origins: frozenset[str],
        secure_cookies: bool,
        revocations: RevocationStore,
        users_path: Any,
        limiter: LoginLimiter,
        root_path: str = "",
    ) -> None:
        self.app = app
        self.origins = origins
        self.secure_cookies = secure_cookies
        self.revocations = revocations
        self.users_path = users_path
        self.limiter = limiter
        self.root = root_path.rstrip("/")

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _token(headers: Headers) -> str | None:
        from chainlit.auth import get_token_from_cookies

        if cookie := headers.get("cookie"):
            if token := get_token_from_cookies(cookie_parser(cookie)):
                return token
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    @staticmethod
    def _claims(token: str) -> dict[str, Any] | None:
        import jwt
        from chainlit.auth.jwt import get_jwt_secret

        secret = get_jwt_secret()
        if not secret:
            return None
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None  # Chainlit refuses it on its own
        return claims if isinstance(claims, dict) else None

    async def session_problem(self, token: str, claims: dict[str, Any]) -> str | None:
        if await self.revocations.is_revoked(token):
            return "logged_out"
        return password_session_problem(claims, self.users_path)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str, **extra: Any
    ) -> None:
        if scope["type"] == "websocket":
            # Before the handshake is accepted, a close is answered with HTTP 403.
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
            return
        retry = extra.get("retry_after")
        headers = {"Retry-After": str(retry)} if retry else None
        response = JSONResponse({"detail": detail}, status_code=status, headers=headers)
        if extra.get("clear_cookie"):
            from chainlit.auth.cookie import _auth_cookie_name

            response.delete_cookie(_auth_cookie_name, path="/")
        await response(scope, receive, self._secure_send(send))

    def _secure_send(self, send: Send) -> Send:
        if not self.secure_cookies:
            return send

        async def secure_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (key, value + b"; Secure")
                    if key.lower() == b"set-cookie" and b"secure" not in value.lower()
                    else (key, value)
                    for key, value in message.get("headers", [])
                ]
            await send(message)

        return secure_send

    @staticmethod
    async def _read_body(receive: Receive, headers: Headers) -> bytes | None:
        """The whole body, or None when it is larger than :data:`MAX_BODY`."""
        try:
            if int(headers.get("content-length") or 0) > MAX_BODY:
                return None
        except ValueError:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    # --- the middleware ---------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        rel = path[len(self.root) :] if self.root and path.startswith(self.root) else path
        headers = Headers(scope=scope)

        if rel.startswith("/ws/socket.io"):
            origin = headers.get("origin")
            # Browsers always send Origin on a websocket and on a cross-origin request; a
            # client without one is not a browser page riding on a visitor's cookie.
            if origin is not None and origin_of(origin) not in self.origins:
                log.warning("socket_origin_refused")
                await self._refuse(scope, receive, send, 403, ORIGIN_REFUSED)
                return

        token = self._token(headers)
        claims = self._claims(token) if token else None
        if token and claims is not None:
            problem = await self.session_problem(token, claims)
            if problem:
                log.info("session_refused", reason=problem)
                await self._refuse(scope, receive, send, 401, SESSION_ENDED, clear_cookie=True)
                return
        metadata = (claims or {}).get("metadata")
        who = (
            Requester(
                identifier=str(claims.get("identifier")),
                role=metadata.get("role") if isinstance(metadata, dict) else None,
            )
            if claims is not None and claims.get("identifier")
            else None
        )
        context_token = requester.set(who)
        try:
            if scope["type"] == "websocket":
                if token and claims is not None:
                    receive = self._watch(receive, send, token, claims)
                await self.app(scope, receive, send)
                return
            await self._http(scope, receive, send, rel, headers, token, claims)
        finally:
            requester.reset(context_token)

    def _watch(self, receive: Receive, send: Send, token: str, claims: dict[str, Any]) -> Receive:
        """An open websocket ends at the first frame after its session was revoked."""

        async def watched() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                problem = await self.session_problem(token, claims)
                if problem:
                    log.info("session_refused", reason=problem, transport="websocket")
                    await send({"type": "websocket.close", "code": 4401, "reason": ""})
                    return {"type": "websocket.disconnect", "code": 4401}
            return message

        return watched

    async def _http(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rel: str,
        headers: Headers,
        token: str | None,
        claims: dict[str, Any] | None,
    ) -> None:
        from chainlit.config import config

        method = scope.get("method", "GET")
        if not config.features.allow_thread_sharing and (
            rel == "/project/thread/share" or rel.startswith("/project/share/")
        ):
            await self._refuse(scope, receive, send, 404, SHARING_DISABLED)
            return

        if method == "POST" and rel == "/login":
            body = await self._read_body(receive, headers)
            if body is None:
                await self._refuse(scope, receive, send, 413, BODY_TOO_LARGE)
                return
            username = await _form_username(scope, replay_body(body, receive))
            verdict = await self.limiter.allow(client_ip(scope), username)
            if not verdict.allowed:
                log.warning("login_rate_limited")
                await self._refuse(
                    scope, receive, send, 429, TOO_MANY_LOGINS, retry_after=verdict.retry_after
                )
                return
            receive = replay_body(body, receive)
        elif method == "PUT" and rel in ("/feedback", "/project/thread"):
            body = await self._read_body(receive, headers)
            if body is None:  # a comment or a name is the only long field
                await self._refuse(scope, receive, send, 413, TOO_LONG)
                return
            if _too_long_text(rel, body):
                await self._refuse(scope, receive, send, 413, TOO_LONG)
                return
            receive = replay_body(body, receive)
        elif method == "POST" and rel == "/logout" and token and claims is not None:
            expires = claims.get("exp")
            expires_at = float(expires) if isinstance(expires, (int, float)) else time.time()
            await self.revocations.revoke(token, expires_at)
            log.info("logout")

        await self.app(scope, receive, self._secure_send(send))


async def _form_username(scope: Scope, receive: Receive) -> str:
    """The username as FastAPI will read it: url-encoded **or** multipart form (parsing only
    one kind would let the other bypass the per-username limit)."""
    from starlette.requests import Request

    try:
        form = await Request(scope, receive).form()
    except Exception:  # malformed: FastAPI refuses it too; the per-IP limit still counts
        return ""
    value = form.get("username")
    return value[:200] if isinstance(value, str) else ""


def _too_long_text(rel: str, body: bytes) -> bool:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return False  # Chainlit's validation answers it
    if not isinstance(data, dict):
        return False
    if rel == "/feedback":
        feedback = data.get("feedback")
        text = feedback.get("comment") if isinstance(feedback, dict) else None
    else:
        text = data.get("name")
    return isinstance(text, str) and len(text) > MAX_TEXT


# --------------------------------------------------------------------------- socket handlers


def message_problem(payload: Any) -> str | None:
    """French reason a ``client_message``/``edit_message`` payload is refused, or None."""
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
        return MALFORMED
    message = payload["message"]
    output = message.get("output")
    if not isinstance(output, str):
        return MALFORMED
    if len(output) > MAX_TEXT:  # before anything analyses it
        return TOO_LONG
    try:
        if uuid.UUID(str(message.get("id"))).version != 4:
            return MALFORMED
    except ValueError:
        return MALFORMED
    refs = payload.get("fileReferences")
    if refs is not None and not (
        isinstance(refs, list)
        and all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in refs)
    ):
        return MALFORMED
    for key in ("name", "threadId", "type", "createdAt"):
        value = message.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            return MALFORMED
    return None


async def tell(sid: str, text: str) -> None:
    """Show a French error in the visitor's chat (their session only)."""
    from chainlit.context import init_ws_context
    from chainlit.message import ErrorMessage
    from chainlit.session import WebsocketSession

    session = WebsocketSession.get(sid)
    if session is None:
        return
    init_ws_context(session)
    await ErrorMessage(content=text, author="Guichet").send()


def install_socket_guards() -> None:
    """Replace Chainlit's socket handlers by checked ones that call the originals."""
    import chainlit.socket as chainlit_socket
    from chainlit.config import config
    from chainlit.server import sio
    from socketio.exceptions import ConnectionRefusedError as Refused  # sent to the browser

    async def connect(sid: str, environ: dict, auth: Any = None) -> Any:
        if not (
            isinstance(auth, dict)
            and isinstance(auth.get("sessionId"), str)
            and isinstance(auth.get("clientType"), str)
            and all(
                auth.get(key) is None or isinstance(auth.get(key), str)
                for key in ("threadId", "chatProfile", "userEnv")
            )
        ):
            raise Refused(CONNECT_MALFORMED)
        try:
            return await chainlit_socket.connect(sid, environ, auth)
        except ConnectionRefusedError as exc:  # Chainlit's are Python's: "Connection refused"
            reason = str(exc.args[0]) if exc.args else ""
            raise Refused(CONNECT_REFUSED.get(reason, CONNECT_MALFORMED)) from None
        except (ValueError, TypeError, KeyError):  # e.g. userEnv that is not JSON
            raise Refused(CONNECT_MALFORMED) from None

    async def client_message(sid: str, payload: Any = None) -> None:
        if problem := message_problem(payload):
            reason = "too_long" if problem == TOO_LONG else "malformed"
            log.info("socket_message_refused", reason=reason)
            await tell(sid, problem)
            return
        if refusal := await too_many_messages(sid):  # per address (citizens), per login
            await tell(sid, refusal)
            return
        await chainlit_socket.message(sid, payload)

    async def edit_message(sid: str, payload: Any = None) -> None:
        if not config.features.edit_message:
            log.info("socket_message_refused", reason="edit_disabled")
            await tell(sid, EDIT_DISABLED)
            return
        if problem := message_problem(payload):
            await tell(sid, problem)
            return
        await chainlit_socket.edit_message(sid, payload)

    async def change_settings(sid: str, settings: Any = None) -> None:
        if isinstance(settings, dict):
            await chainlit_socket.change_settings(sid, settings)

    sio.on("connect", connect)
    sio.on("client_message", client_message)
    sio.on("edit_message", edit_message)
    sio.on("chat_settings_change", change_settings)


# --------------------------------------------------------------------------- wiring


def install_shield(app: Any, settings: Any) -> None:
    """Everything above, for ``chainlit.server.app``; call once at import of ``chatbot/app.py``."""
    from chainlit.config import config

    from chatbot.store.schema import database_url
    from chatbot.web.auth import get_auth_settings

    auth_settings = get_auth_settings()
    app.add_middleware(
        Shield,
        origins=allowed_origins(settings.public_url, settings.allowed_origins),
        secure_cookies=settings.public_url.lower().startswith("https://"),
        revocations=RevocationStore(database_url(settings)),
        users_path=settings.users_path,
        limiter=LoginLimiter(
            auth_settings.login_rate_per_ip,
            auth_settings.login_rate_per_user,
            auth_settings.rate_limit_storage,
        ),
        root_path=config.run.root_path or "",
    )
    install_socket_guards()
    install_log_scrubbing(app)
