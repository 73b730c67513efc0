"""OpenID Connect login for agents through ProConnect (formerly AgentConnect).

Chainlit's generic provider sends no ``nonce`` and expects a JSON userinfo; ProConnect requires
the nonce and answers userinfo as a signed JWT. This provider does both, and checks the ID token
(signature against the provider's JWKS, ``iss``, ``aud``, ``exp``, ``nonce``).

The nonce is kept on the server, keyed by the OAuth ``state`` Chainlit generates, one use, with
an expiry. Chainlit does not hand the ``state`` to providers, so :func:`install_chainlit_hooks`
wraps two functions in ``chainlit.server`` (``random_secret`` at the redirect and
``validate_oauth_state_cookie`` at the callback) to note the state in a context variable of the
request; behaviour is otherwise unchanged. Without the hooks every login is refused (fail closed).

Configuration (Chainlit's naming): ``OAUTH_PROCONNECT_CLIENT_ID``,
``OAUTH_PROCONNECT_CLIENT_SECRET``, ``OAUTH_PROCONNECT_BASE_URL`` (e.g.
``https://auth.agentconnect.gouv.fr/api/v2``; discovery is read from
``<base>/.well-known/openid-configuration`` at the first login, never at start-up). Who may log
in: ``GUICHET_PROCONNECT_ALLOWED_DOMAINS`` / ``GUICHET_PROCONNECT_ALLOWED_SIRETS`` (see
``chatbot.web.auth.AuthSettings``).

Wiring (in ``chatbot/app.py``, at import time)::

    from chatbot.web.proconnect import register_proconnect
    if register_proconnect() is not None:
        cl.oauth_callback(oauth_callback)   # chatbot.web.auth.oauth_callback
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import httpx
import jwt
from chainlit.oauth_providers import OAuthProvider
from chainlit.user import User

from chatbot.logs import get_logger
from chatbot.roles import Role
from chatbot.web.auth import AuthSettings, get_auth_settings, make_user

log = get_logger("guichet.proconnect")

PROVIDER_ID = "proconnect"
ENV = ["OAUTH_PROCONNECT_CLIENT_ID", "OAUTH_PROCONNECT_CLIENT_SECRET", "OAUTH_PROCONNECT_BASE_URL"]
SCOPES = "openid email given_name usual_name siret"
# Asymmetric algorithms only: "none" and HS* (keyed with the client secret) are never accepted.
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256")
DISCOVERY_TTL = 3600.0
JWKS_TTL = 3600.0
CLOCK_LEEWAY = 30

# The OAuth state of the current HTTP request, noted by the hooks on chainlit.server.
_authorize_state: ContextVar[str | None] = ContextVar("proconnect_authorize_state", default=None)
_callback_state: ContextVar[str | None] = ContextVar("proconnect_callback_state", default=None)
# The checked ID token of the current callback, bound to its access token.
_verified: ContextVar[tuple[str, dict[str, Any]] | None] = ContextVar(
    "proconnect_verified", default=None
)

JwksFetcher = Callable[[str], Awaitable[dict[str, Any]]]


class ProConnectError(Exception):
    """A login that must be refused; the message is for the operator's log, never the user."""


class NonceStore:
    """Nonces waiting for their callback, keyed by OAuth state; each is used once."""

    def __init__(
        self, ttl: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._items: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def put(self, state: str, nonce: str) -> None:
        now = self.clock()
        while self._items:  # drop expired entries (oldest first)
            oldest_state, (_, expires) = next(iter(self._items.items()))
            if expires > now:
                break
            del self._items[oldest_state]
        # Anyone can start a login: bound the memory that costs.
        while len(self._items) >= self.max_entries:
            self._items.popitem(last=False)
        self._items[state] = (nonce, now + self.ttl)

    def pop(self, state: str) -> str | None:
        item = self._items.pop(state, None)
        if item is None or item[1] <= self.clock():
            return None
        return item[0]

    def __len__(self) -> int:
        return len(self._items)


async def fetch_jwks(uri: str, timeout: float = 10.0) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.get(uri, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()


class ProConnectProvider(OAuthProvider):
    id = PROVIDER_ID
    env = ENV

    def __init__(
        self,
        settings: AuthSettings | None = None,
        jwks_fetcher: JwksFetcher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = os.environ.get("OAUTH_PROCONNECT_CLIENT_ID", "")
        self.client_secret = os.environ.get("OAUTH_PROCONNECT_CLIENT_SECRET", "")
        self.base_url = os.environ.get("OAUTH_PROCONNECT_BASE_URL", "").rstrip("/")
        self.settings = settings or get_auth_settings()
        self.timeout = self.settings.proconnect_timeout
        self.clock = clock
        self.nonces = NonceStore(self.settings.proconnect_nonce_ttl, clock=clock)
        self._jwks_fetcher = jwks_fetcher or (lambda uri: fetch_jwks(uri, self.timeout))
        self._discovery: dict[str, Any] | None = None
        self._discovery_at = 0.0
        self._jwks: dict[str, Any] | None = None
        self._jwks_at = 0.0

    # ------------------------------------------------------------------ discovery

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def _accept_discovery(self, document: Any) -> dict[str, Any]:
        required = (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
        )
        if not isinstance(document, dict) or any(
            not isinstance(document.get(k), str) for k in required
        ):
            raise ProConnectError(f"{self.discovery_url} lacks one of {', '.join(required)}")
        # OpenID Connect Discovery 4.3: the issuer is the URL the document was read from.
        if document["issuer"].rstrip("/") != self.base_url:
            raise ProConnectError(
                f"issuer {document['issuer']!r} differs from OAUTH_PROCONNECT_BASE_URL"
            )
        self._discovery, self._discovery_at = document, self.clock()
        return document

    def _fresh_discovery(self) -> dict[str, Any] | None:
        if self._discovery and self.clock() - self._discovery_at < DISCOVERY_TTL:
            return self._discovery
        return None

    def discovery(self) -> dict[str, Any]:
        """Blocking read, for Chainlit's synchronous use of ``authorize_url`` (once an hour)."""
        if cached := self._fresh_discovery():
            return cached
        try:
            response = httpx.get(self.discovery_url, timeout=self.timeout)
            response.raise_for_status()
            return self._accept_discovery(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.error("proconnect_discovery_failed", error=type(exc).__name__)
            raise

    async def discovery_async(self) -> dict[str, Any]:
        if cached := self._fresh_discovery():
            return cached
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.get(self.discovery_url)
            response.raise_for_status()
            return self._accept_discovery(response.json())

    # ------------------------------------------------------------------ redirect to ProConnect

    @property
    def authorize_url(self) -> str:  # type: ignore[override]
        return self.discovery()["authorization_endpoint"]

    @property
    def authorize_params(self) -> dict[str, str]:  # type: ignore[override]
        """Read by Chainlit's ``/auth/oauth/proconnect`` right after it drew the state."""
        nonce = secrets.token_urlsafe(32)
        state = _authorize_state.get()
        if state:
            self.nonces.put(state, nonce)
        else:
            log.error("proconnect_state_not_captured", hint="call install_chainlit_hooks()")
        params = {"scope": SCOPES, "response_type": "code", "nonce": nonce}
        if self.settings.proconnect_acr_values:
            params["acr_values"] = self.settings.proconnect_acr_values
        if prompt := self.get_prompt():
            params["prompt"] = prompt
        return params

    # ------------------------------------------------------------------ callback

    async def _jwks_keys(self, refresh: bool = False) -> dict[str, Any]:
        stale = self._jwks is None or self.clock() - self._jwks_at >= JWKS_TTL
        if refresh or stale:
            discovery = await self.discovery_async()
            self._jwks = await self._jwks_fetcher(discovery["jwks_uri"])
            self._jwks_at = self.clock()
        assert self._jwks is not None
        return self._jwks

    async def _signing_key(self, token: str) -> tuple[Any, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise ProConnectError(f"not a JWT: {exc}") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in SIGNING_ALGORITHMS:
            raise ProConnectError(f"signing algorithm {alg!r} refused")
        for attempt in (False, True):  # refetch once: the provider may have rotated its keys
            keys = (await self._jwks_keys(refresh=attempt)).get("keys", [])
            matches = [k for k in keys if kid is None or k.get("kid") == kid]
            matches = [k for k in matches if k.get("use", "sig") == "sig"]
            if len(matches) == 1 or (matches and kid is not None):
                try:
                    return jwt.PyJWK(matches[0], algorithm=alg).key, alg
                except jwt.PyJWTError as exc:
                    raise ProConnectError(f"unusable JWKS key: {exc}") from None
        raise ProConnectError(f"no JWKS key for kid {kid!r}")

    async def _verify(
        self, token: str, *, require: list[str], audience_optional: bool = False
    ) -> dict[str, Any]:
        discovery = await self.discovery_async()
        key, alg = await self._signing_key(token)
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise ProConnectError(f"not a JWT: {exc}") from None
        check_aud = not audience_optional or "aud" in unverified
        check_iss = not audience_optional or "iss" in unverified
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.client_id if check_aud else None,
                issuer=discovery["issuer"] if check_iss else None,
                leeway=CLOCK_LEEWAY,
                options={"require": require, "verify_aud": check_aud, "verify_iss": check_iss},
            )
        except jwt.PyJWTError as exc:
            raise ProConnectError(f"{type(exc).__name__}: {exc}") from None

    async def get_raw_token_response(self, code: str, url: str) -> dict:
        discovery = await self.discovery_async()
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(
                discovery["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": url,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
                headers={"Accept": "application/json"},
            )
            response.raise_for_status()
            return response.json()

    async def get_token(self, code: str, url: str) -> str:
        """Exchange the code, then check the ID token and its nonce before anything else."""
        try:
            state = _callback_state.get()
            if not state:
                raise ProConnectError("no OAuth state noted (install_chainlit_hooks not called)")
            expected_nonce = self.nonces.pop(state)
            if expected_nonce is None:
                raise ProConnectError("unknown or expired login state")
            body = await self.get_raw_token_response(code, url)
            access_token, id_token = body.get("access_token"), body.get("id_token")
            if not isinstance(access_token, str) or not isinstance(id_token, str):
                raise ProConnectError("token response lacks access_token or id_token")
            claims = await self._verify(
                id_token, require=["iss", "aud", "exp", "iat", "sub", "nonce"]
            )
            aud = claims["aud"]
            if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.client_id:
                raise ProConnectError("ID token for several audiences without our azp")
            if not hmac.compare_digest(str(claims["nonce"]), expected_nonce):
                raise ProConnectError("ID token nonce does not match the login")
            wanted_acr = self.settings.proconnect_acr_values.split()
            if wanted_acr and claims.get("acr") not in wanted_acr:
                raise ProConnectError(f"ID token acr {claims.get('acr')!r} is not {wanted_acr}")
        except ProConnectError as exc:
            log.warning("login_refused", provider=PROVIDER_ID, reason=str(exc))
            raise
        _verified.set((access_token, claims))
        return access_token

    async def get_user_info(self, token: str) -> tuple[dict[str, Any], User]:
        """Read the signed userinfo and decide who may log in (the allow-list)."""
        try:
            verified = _verified.get()
            if verified is None or not hmac.compare_digest(verified[0], token):
                raise ProConnectError("userinfo asked for a token whose ID token was not checked")
            id_claims = verified[1]
            discovery = await self.discovery_async()
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(
                    discovery["userinfo_endpoint"],
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/jwt"},
                )
                response.raise_for_status()
            # ProConnect signs userinfo; an unsigned JSON answer is refused.
            info = await self._verify(
                response.text.strip(), require=["sub"], audience_optional=True
            )
            if info["sub"] != id_claims["sub"]:  # OpenID Connect Core 5.3.2
                raise ProConnectError("userinfo sub differs from the ID token sub")
        except ProConnectError as exc:
            log.warning("login_refused", provider=PROVIDER_ID, reason=str(exc))
            raise
        finally:
            _verified.set(None)
        return info, self.user_for(info)

    def allowed(self, info: dict[str, Any]) -> bool:
        email = str(info.get("email") or "").strip().lower()
        domain = email.rpartition("@")[2] if "@" in email else ""
        siret = str(info.get("siret") or "").replace(" ", "")
        domains = self.settings.proconnect_allowed_domains
        if domain and any(domain == d or domain.endswith("." + d) for d in domains):
            return True
        return bool(siret) and siret in self.settings.proconnect_allowed_sirets

    def user_for(self, info: dict[str, Any]) -> User:
        """An agent if the allow-list admits them; otherwise a user without a role (refused)."""
        names = [str(info.get(k) or "").strip() for k in ("given_name", "usual_name")]
        display_name = " ".join(n for n in names if n) or str(info.get("email") or "")
        identifier = f"{PROVIDER_ID}:{info['sub']}"
        extra = {"email": str(info.get("email") or ""), "siret": str(info.get("siret") or "")}
        if not self.allowed(info):
            if not (
                self.settings.proconnect_allowed_domains or self.settings.proconnect_allowed_sirets
            ):
                reason = "allow_list_empty"
            else:
                reason = "not_in_allow_list"
            email = str(info.get("email") or "")
            log.warning(
                "login_refused",
                provider=PROVIDER_ID,
                reason=reason,
                domain=email.rpartition("@")[2].lower() or None,
            )
            return User(
                identifier=identifier,
                display_name=display_name,
                metadata={"provider": PROVIDER_ID, "refused": reason},
            )
        log.info("login", provider=PROVIDER_ID, role=str(Role.agent))
        return make_user(identifier, Role.agent, PROVIDER_ID, display_name, **extra)


# ---------------------------------------------------------------------------- wiring


def install_chainlit_hooks() -> None:
    """Let the provider see the OAuth state of the request (see the module docstring)."""
    import chainlit.server as server

    if getattr(server, "_guichet_state_hooks", False):
        return
    original_random = server.random_secret
    original_validate = server.validate_oauth_state_cookie

    def random_secret(length: int = 64) -> str:
        value = original_random(length)
        _authorize_state.set(value)  # the state of the redirect being built
        return value

    def validate_oauth_state_cookie(request: Any, state: str) -> None:
        original_validate(request, state)
        _callback_state.set(state)  # only a state that matched the browser's cookie

    server.random_secret = random_secret
    server.validate_oauth_state_cookie = validate_oauth_state_cookie
    server._guichet_state_hooks = True  # type: ignore[attr-defined]


def is_configured() -> bool:
    return all(os.environ.get(name) for name in ENV)


def register_proconnect(
    settings: AuthSettings | None = None, jwks_fetcher: JwksFetcher | None = None
) -> ProConnectProvider | None:
    """Add ProConnect to Chainlit's providers when its environment is set; else None."""
    if not is_configured():
        return None
    from chainlit import oauth_providers

    provider = ProConnectProvider(settings=settings, jwks_fetcher=jwks_fetcher)
    install_chainlit_hooks()
    oauth_providers.providers[:] = [p for p in oauth_providers.providers if p.id != PROVIDER_ID] + [
        provider
    ]
    if not (
        provider.settings.proconnect_allowed_domains or provider.settings.proconnect_allowed_sirets
    ):
        log.warning(
            "proconnect_allow_list_empty",
            hint="set GUICHET_PROCONNECT_ALLOWED_DOMAINS or _SIRETS; nobody can log in",
        )
    log.info("proconnect_enabled", base_url=provider.base_url)
    return provider
