"""Who is talking: roles decided on the server, and the login callbacks Chainlit calls.

The roles and what each may do are in ``chatbot.roles``. A role is stored in
``cl.User.metadata["role"]`` by the callbacks below and nowhere else; nothing the browser sends
can widen it. How the lead wires these into ``chatbot/app.py`` (per ``Settings.instance``):

====================  ================================  =========================================
function              Chainlit decorator                register when
====================  ================================  =========================================
``password_auth``     ``@cl.password_auth_callback``    instance is ``all`` or ``internal``
``header_auth``       ``@cl.header_auth_callback``      instance is ``all``, or ``internal`` with
                                                        ``GUICHET_SSO_SECRET`` set
``oauth_callback``    ``@cl.oauth_callback``            ``register_proconnect()`` (from
                                                        ``chatbot.web.proconnect``) returned a
                                                        provider; call it first: the decorator
                                                        raises when no provider is configured
``role_of(user)``     none: read the role of            always
                      ``cl.user_session.get("user")``
``install_agent_      none: call once with              instance is ``all``
entry(app)``          ``chainlit.server.app``
====================  ================================  =========================================

Agents of an ``all`` instance bookmark ``/agent`` (or ``/login?agent``). ``/agent`` first drops
an anonymous citizen session: with one, Chainlit's login page goes straight back to the chat.

With instance ``public`` register none of them: Chainlit then requires no login and
``role_of(None)`` is ``citizen``.

Login settings (prefix ``GUICHET_``) are :class:`chatbot.settings.AuthSettings`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlparse

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from starlette.datastructures import Headers

from chatbot.logs import get_logger
from chatbot.roles import STAFF_ROLES, Role, role_of
from chatbot.settings import AuthSettings, StaffRole, get_settings

if TYPE_CHECKING:  # chainlit takes seconds to import: the ``chatbot users`` commands skip it
    import chainlit as cl

log = get_logger("guichet.auth")

CITIZEN_PREFIX = "citoyen-"
# The query an agent bookmarks (``/login?agent``) to get the login form in an ``all`` instance.
AGENT_LOGIN_QUERY = "agent"
MAX_IDENTIFIER = 200


def get_auth_settings() -> AuthSettings:
    # Not cached: cheap, and tests and operators change the environment.
    return AuthSettings()


# --------------------------------------------------------------------------- roles


def make_user(
    identifier: str, role: Role, provider: str, display_name: str | None = None, **extra: Any
) -> cl.User:
    """A Chainlit user carrying the role decided here."""
    from chainlit.user import User

    return User(
        identifier=identifier,
        display_name=display_name,
        metadata={"role": str(role), "provider": provider, **extra},
    )


def citizen_user() -> cl.User:
    """A fresh anonymous visitor: a random id, so visitors never share a history."""
    return make_user(CITIZEN_PREFIX + secrets.token_urlsafe(12), Role.citizen, "anonymous")


# --------------------------------------------------------------------------- password hashing

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 256 * 1024 * 1024
_DKLEN = 32


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64): parameters travel with the hash so they can grow."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=_DKLEN
    )
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches; a malformed hash matches nothing (never raises)."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        n_i, r_i, p_i = int(n), int(r), int(p)
        # Bounds keep a hand-edited file from asking for gigabytes of memory.
        if not (2 <= n_i <= 2**20 and n_i & (n_i - 1) == 0 and 1 <= r_i <= 32 and 1 <= p_i <= 16):
            return False
        salt_b = base64.b64decode(salt, validate=True)
        expected_b = base64.b64decode(expected, validate=True)
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt_b,
            n=n_i,
            r=r_i,
            p=p_i,
            maxmem=_SCRYPT_MAXMEM,
            dklen=len(expected_b),
        )
    except (ValueError, binascii.Error, MemoryError):
        return False
    return hmac.compare_digest(digest, expected_b)


@cache
def _dummy_hash() -> str:
    # Compared against when the user does not exist, so timing does not tell who does.
    return hash_password(secrets.token_urlsafe(16))


# --------------------------------------------------------------------------- users file


class UserRecord(BaseModel):
    username: str
    password_hash: str
    role: StaffRole = Role.agent
    display_name: str | None = None
    # Unix time: sessions opened before it end (set when the password or role changes).
    sessions_after: float | None = None

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip()
        problem = username_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class UsersFile(BaseModel):
    users: list[UserRecord] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> UsersFile:
        seen: set[str] = set()
        for user in self.users:
            key = user.username.casefold()
            if key in seen:
                raise ValueError(f"username {user.username!r} appears twice")
            seen.add(key)
        return self

    def find(self, username: str) -> UserRecord | None:
        key = username.strip().casefold()
        return next((u for u in self.users if u.username.casefold() == key), None)


class UsersFileError(Exception):
    """The users file cannot be used; the message is one line for the operator."""


def username_problem(name: str) -> str | None:
    """Why ``name`` cannot be a login name, or None."""
    if not name:
        return "username is empty"
    if len(name) > MAX_IDENTIFIER:
        return f"username is longer than {MAX_IDENTIFIER} characters"
    if name.casefold().startswith(CITIZEN_PREFIX):
        return f"username must not start with {CITIZEN_PREFIX!r} (reserved for anonymous visitors)"
    if ":" in name or any(not ch.isprintable() or ch.isspace() for ch in name):
        return "username must not contain ':', spaces or control characters"
    return None


def read_users_file(path: Path) -> UsersFile:
    """Parse the users file; a missing file is an empty list of users."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UsersFile()
    except OSError as exc:
        raise UsersFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return UsersFile.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise UsersFileError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise UsersFileError(
            f'{path}: {where}: {first["msg"]} (expected {{"users": [{{"username", '
            f'"password_hash", "role", "display_name"}}]}})'
        ) from None


def write_users_file(path: Path, users: UsersFile) -> None:
    """Write atomically (a live server re-reads the file) and readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps(users.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


class UserStore:
    """The users file, re-read whenever it changes on disk (operators edit it live)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._users = UsersFile()

    def _current_signature(self) -> tuple[int, int, int]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return (-1, -1, -1)
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def users(self) -> UsersFile:
        signature = self._current_signature()
        with self._lock:
            if signature != self._signature:
                self._signature = signature
                try:
                    self._users = read_users_file(self.path)
                    log.info("users_file_loaded", path=str(self.path), users=len(self._users.users))
                except UsersFileError as exc:
                    # Nobody logs in with a broken file, rather than whoever was there before.
                    self._users = UsersFile()
                    log.error("users_file_invalid", problem=str(exc))
            return self._users

    def find(self, username: str) -> UserRecord | None:
        return self.users().find(username)


_stores: dict[Path, UserStore] = {}
_stores_lock = threading.Lock()


def user_store(path: Path | None = None) -> UserStore:
    path = Path(path or get_settings().users_path)
    with _stores_lock:
        return _stores.setdefault(path, UserStore(path))


def authenticate_password(
    username: str, password: str, store: UserStore | None = None
) -> cl.User | None:
    """Check a login against the users file (blocking: scrypt is deliberately slow)."""
    store = store or user_store()
    record = store.find(username or "")
    if record is None:
        verify_password(password or "", _dummy_hash())
        log.info("login_refused", provider="password", reason="unknown_user")
        return None
    if not verify_password(password or "", record.password_hash):
        log.info("login_refused", provider="password", reason="wrong_password")
        return None
    log.info("login", provider="password", role=record.role)
    return make_user(
        record.username, record.role, "password", record.display_name or record.username
    )


async def password_auth(username: str, password: str) -> cl.User | None:
    """For ``@cl.password_auth_callback``: agents and admins from the users file."""
    return await asyncio.to_thread(authenticate_password, username, password)


# --------------------------------------------------------------------------- header login


def _is_agent_login_page(referer: str | None) -> bool:
    """The request comes from ``/login?agent`` (or a login page showing an error)."""
    if not referer:
        return False
    parsed = urlparse(referer)
    if not parsed.path.rstrip("/").endswith("/login"):
        return False
    query = parse_qs(parsed.query, keep_blank_values=True)
    # ``error``: Chainlit sends a refused OAuth login back to /login?error=...; logging the
    # person in as a citizen there would hide the message.
    return AGENT_LOGIN_QUERY in query or "error" in query


def _sso_user(headers: Headers, settings: AuthSettings) -> cl.User | None | Literal[False]:
    """The agent a trusted proxy vouches for; False when the request is not from the proxy."""
    secret = settings.sso_secret.get_secret_value()
    if not secret:
        return False
    sent = headers.get(settings.sso_secret_header)
    if sent is None:
        return False
    if not hmac.compare_digest(sent.encode("utf-8"), secret.encode("utf-8")):
        log.warning("sso_secret_mismatch", header=settings.sso_secret_header)
        return False
    name = (headers.get(settings.sso_user_header) or "").strip()
    if not name or len(name) > MAX_IDENTIFIER or not name.isprintable():
        log.warning("login_refused", provider="sso-header", reason="no_user_header")
        return None
    role: str = str(settings.sso_default_role)
    if settings.sso_role_header:
        sent_role = (headers.get(settings.sso_role_header) or "").strip().lower()
        if sent_role:
            if sent_role not in STAFF_ROLES:
                log.warning("login_refused", provider="sso-header", reason="unknown_role")
                return None
            role = sent_role
    log.info("login", provider="sso-header", role=role)
    return make_user(f"sso:{name}", role, "sso-header", name)  # type: ignore[arg-type]


def header_auth(headers: Mapping[str, str]) -> cl.User | None:
    """For ``@cl.header_auth_callback`` (Chainlit's login page POSTs ``/auth/header`` on load).

    1. A request from the trusted SSO proxy (right shared secret) logs in its user as an agent.
    2. In an ``all`` instance, anyone else is an anonymous citizen, except on ``/login?agent``
       where None makes Chainlit show the password form / ProConnect button.
    3. In an ``internal`` instance, None: agents must log in.
    Only the proxy secret can make a header count; every other header is ignored.
    """
    if not isinstance(headers, Headers):
        headers = Headers(headers=dict(headers))
    settings = get_auth_settings()
    sso = _sso_user(headers, settings)
    if sso is not False:
        return sso
    if get_settings().instance != "all":
        return None
    if _is_agent_login_page(headers.get("referer")):
        return None
    return citizen_user()


def citizen_access_token() -> str:
    """A Chainlit access token for a new anonymous citizen.

    For the Copilot widget of an ``all`` instance: the widget never calls ``/auth/header``, so
    the host page must pass ``accessToken`` to ``mountChainlitWidget``. Needs
    ``CHAINLIT_AUTH_SECRET``.
    """
    from chainlit.auth import create_jwt

    return create_jwt(citizen_user())


AGENT_ENTRY_PATH = "/agent"


def agent_entry(request: Any) -> Any:
    """``GET /agent``: forget an anonymous session, then show the agent login form."""
    from chainlit.auth import clear_auth_cookie, get_token_from_cookies
    from chainlit.auth.jwt import decode_jwt
    from starlette.responses import RedirectResponse

    root = os.environ.get("CHAINLIT_ROOT_PATH", "").rstrip("/")
    token = get_token_from_cookies(request.cookies)
    try:
        current = decode_jwt(token) if token else None
    except Exception:  # expired or forged: same as no session
        current = None
    if role_of(current) in STAFF_ROLES:
        return RedirectResponse(f"{root}/", status_code=303)
    response = RedirectResponse(f"{root}/login?{AGENT_LOGIN_QUERY}", status_code=303)
    clear_auth_cookie(request, response)
    return response


def install_agent_entry(app: Any) -> None:
    """Put ``/agent`` ahead of Chainlit's catch-all route that serves the UI."""
    from starlette.routing import Route

    if any(getattr(route, "path", None) == AGENT_ENTRY_PATH for route in app.router.routes):
        return
    app.router.routes.insert(0, Route(AGENT_ENTRY_PATH, agent_entry, methods=["GET"]))


# --------------------------------------------------------------------------- OAuth


def oauth_callback(
    provider_id: str,
    token: str,
    raw_user_data: dict,
    default_user: cl.User,
    id_token: str | None = None,
) -> cl.User | None:
    """For ``@cl.oauth_callback``: only ProConnect agents the provider accepted log in."""
    if provider_id != "proconnect":
        log.warning("login_refused", provider=provider_id, reason="provider_not_supported")
        return None
    if role_of(default_user) not in STAFF_ROLES:
        return None  # refused by the allow-list; the provider logged why
    return default_user
