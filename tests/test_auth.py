"""Roles and login: password file, header login, ProConnect against a real OIDC provider."""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from structlog.testing import capture_logs

from chatbot.settings import get_settings
from chatbot.web import auth
from chatbot.web.auth import (
    AuthSettings,
    UserStore,
    authenticate_password,
    hash_password,
    header_auth,
    role_of,
    verify_password,
)
from chatbot.web.users_cli import register

FAST_N = 2**12  # tests that are not about the cost factor keep hashing quick


# ----------------------------------------------------------------------------- hashing


def test_hash_round_trip_and_wrong_password() -> None:
    encoded = hash_password("correct horse battery staple")
    assert encoded.startswith("scrypt$32768$8$1$")
    assert verify_password("correct horse battery staple", encoded)
    assert not verify_password("correct horse battery stapl", encoded)
    assert not verify_password("", encoded)
    # Salted: the same password never gives the same string.
    assert hash_password("same", n=FAST_N) != hash_password("same", n=FAST_N)


def test_parameters_travel_with_the_hash_and_garbage_matches_nothing() -> None:
    weak = hash_password("mot de passe", n=FAST_N, r=4)
    assert weak.split("$")[1:3] == [str(FAST_N), "4"]
    assert verify_password("mot de passe", weak)
    for garbage in [
        "",
        "plain-text",
        "scrypt$x$8$1$AA==$AA==",
        "bcrypt$2b$...",
        weak.replace("scrypt", "md5"),
        "scrypt$1048577$8$1$AA==$AA==",
        "scrypt$16384$8$1$!!notb64$AA==",
    ]:
        assert not verify_password("mot de passe", garbage)


# ----------------------------------------------------------------------------- users file


def write_users(path: Path, *users: dict[str, Any]) -> None:
    path.write_text(json.dumps({"users": list(users)}), encoding="utf-8")
    # Several writes within one clock tick must still look like changes.
    bump = getattr(write_users, "bump", 0) + 1
    write_users.bump = bump  # type: ignore[attr-defined]
    os.utime(path, ns=(time.time_ns() + bump * 10**9,) * 2)


def record(name: str, password: str, role: str = "agent", **extra: Any) -> dict[str, Any]:
    return {
        "username": name,
        "password_hash": hash_password(password, n=FAST_N),
        "role": role,
        **extra,
    }


def test_password_login_gives_the_role_from_the_file(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    write_users(store.path, record("amartin", "secret-one-123", "admin", display_name="A. Martin"))
    user = authenticate_password("amartin", "secret-one-123", store)
    assert user is not None
    assert user.identifier == "amartin" and user.display_name == "A. Martin"
    assert user.metadata == {"role": "admin", "provider": "password"}
    assert authenticate_password("amartin", "wrong", store) is None
    assert authenticate_password("nobody", "secret-one-123", store) is None


def test_users_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    assert authenticate_password("bdurand", "first-password", store) is None  # no file yet
    write_users(store.path, record("bdurand", "first-password"))
    assert role_of(authenticate_password("bdurand", "first-password", store)) == "agent"
    write_users(store.path, record("bdurand", "second-password", "admin"))
    assert authenticate_password("bdurand", "first-password", store) is None
    assert role_of(authenticate_password("bdurand", "second-password", store)) == "admin"
    write_users(store.path)
    assert authenticate_password("bdurand", "second-password", store) is None


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"users": [{"username": "x"}]}',
        '{"users": [{"username": "x", "password_hash": "h", "role": "superuser"}]}',
        '["just", "a", "list"]',
    ],
)
def test_a_bad_users_file_is_one_log_line_and_nobody_logs_in(tmp_path: Path, content: str) -> None:
    store = UserStore(tmp_path / "users.json")
    write_users(store.path, record("cpetit", "good-password"))
    assert authenticate_password("cpetit", "good-password", store) is not None
    store.path.write_text(content, encoding="utf-8")
    os.utime(store.path, ns=(time.time_ns() + 10**10,) * 2)
    with capture_logs() as logs:
        assert authenticate_password("cpetit", "good-password", store) is None
        assert authenticate_password("cpetit", "good-password", store) is None
    errors = [e for e in logs if e["log_level"] == "error"]
    assert [e["event"] for e in errors] == ["users_file_invalid"]  # once, not per attempt
    assert "users.json" in errors[0]["problem"] and "\n" not in errors[0]["problem"]
    assert "good-password" not in json.dumps(logs, default=str)


# ----------------------------------------------------------------------------- CLI


def run_cli(argv: list[str], stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="chatbot")
    sub = parser.add_subparsers()
    eval_parser = sub.add_parser("eval")
    register(sub, eval_parser.add_subparsers())
    args = parser.parse_args(argv)
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return args.func(args)
    finally:
        sys.stdin = old


def test_users_add_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "data" / "users.json"
    file = ["--users-file", str(path)]
    add = [
        "users",
        "add",
        "dleroy",
        "--role",
        "admin",
        "--display-name",
        "D. Leroy",
        "--password-stdin",
        *file,
    ]
    assert run_cli(add, "un mot de passe long\n") == 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    store = UserStore(path)
    user = authenticate_password("dleroy", "un mot de passe long", store)
    assert user is not None and role_of(user) == "admin" and user.display_name == "D. Leroy"

    assert run_cli(add, "another long password\n") == 1  # exists: needs --replace
    assert run_cli(["users", "add", "eroux", "--password-stdin", *file], "short\n") == 1
    assert run_cli(["users", "add", "citoyen-x", "--password-stdin", *file], "x" * 20) == 2
    assert run_cli(["users", "add", "eroux", "--password-stdin", *file], "eroux password!\n") == 0

    capsys.readouterr()
    assert run_cli(["users", "list", *file]) == 0
    listing = capsys.readouterr().out
    assert "dleroy" in listing and "admin" in listing and "D. Leroy" in listing
    assert "eroux" in listing and "agent" in listing
    assert "scrypt" not in listing

    assert run_cli(["users", "remove", "dleroy", *file]) == 0
    assert authenticate_password("dleroy", "un mot de passe long", store) is None
    assert authenticate_password("eroux", "eroux password!", store) is not None
    assert run_cli(["users", "remove", "dleroy", *file]) == 1


def test_users_add_asks_twice_with_getpass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["typed once carefully", "typed twice differently"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    path = tmp_path / "users.json"
    assert run_cli(["users", "add", "fblanc", "--users-file", str(path)]) == 1
    assert not path.exists()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "the same both times")
    assert run_cli(["users", "add", "fblanc", "--users-file", str(path)]) == 0
    assert authenticate_password("fblanc", "the same both times", UserStore(path)) is not None


def test_users_commands_use_the_users_file_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.json"
    monkeypatch.setenv("GUICHET_USERS_FILE", str(path))
    assert run_cli(["users", "add", "gnoel", "--password-stdin"], "password from env\n") == 0
    assert json.loads(path.read_text())["users"][0]["username"] == "gnoel"


# ----------------------------------------------------------------------------- header login

SECRET = "proxy-shared-secret-" + "x" * 20


@pytest.fixture
def instance(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set GUICHET_INSTANCE (and friends) for one test; the cached settings follow."""

    def set_env(name: str, **env: str) -> None:
        monkeypatch.setenv("GUICHET_INSTANCE", name)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    for key in ("GUICHET_SSO_SECRET", "GUICHET_SSO_ROLE_HEADER", "GUICHET_SSO_USER_HEADER"):
        monkeypatch.delenv(key, raising=False)
    yield set_env
    get_settings.cache_clear()


ORIGIN = "https://guichet.mairie-exemple.fr"


def test_anonymous_visit_is_a_new_citizen_each_time(instance: Any) -> None:
    instance("all")
    first = header_auth({"Referer": f"{ORIGIN}/login", "User-Agent": "Mozilla/5.0"})
    second = header_auth({})
    assert first is not None and second is not None
    assert first.metadata == {"role": "citizen", "provider": "anonymous"}
    assert first.identifier.startswith("citoyen-") and first.identifier != second.identifier


@pytest.mark.parametrize("query", ["?agent", "?agent=", "?agent=1&x=2", "?error=oauthSignin"])
def test_the_agent_login_page_gets_the_form(instance: Any, query: str) -> None:
    instance("all")
    assert header_auth({"Referer": f"{ORIGIN}/login{query}"}) is None


@pytest.mark.parametrize("referer", [f"{ORIGIN}/?agent", f"{ORIGIN}/login?agents", f"{ORIGIN}/"])
def test_other_pages_stay_anonymous(instance: Any, referer: str) -> None:
    instance("all")
    assert role_of(header_auth({"Referer": referer})) == "citizen"


def test_forged_sso_header_without_the_secret_is_a_citizen(instance: Any) -> None:
    instance("all", GUICHET_SSO_SECRET=SECRET)
    forged = header_auth({"X-Forwarded-User": "admin"})
    assert role_of(forged) == "citizen" and forged is not None
    assert not forged.identifier.endswith("admin")
    wrong = header_auth({"X-Forwarded-User": "admin", "X-Guichet-Proxy-Secret": SECRET[:-1]})
    assert role_of(wrong) == "citizen"


def test_trusted_proxy_logs_the_agent_in(instance: Any) -> None:
    instance("all", GUICHET_SSO_SECRET=SECRET)
    user = header_auth(
        {
            "x-forwarded-user": "jdupont",
            "X-Guichet-Proxy-Secret": SECRET,
            "X-Forwarded-Role": "admin",
        }
    )  # no role header configured: ignored
    assert user is not None
    assert user.identifier == "sso:jdupont" and user.display_name == "jdupont"
    assert user.metadata == {"role": "agent", "provider": "sso-header"}
    # The proxy secret without a user is refused rather than turned into a citizen.
    assert header_auth({"X-Guichet-Proxy-Secret": SECRET}) is None


def test_role_header_is_read_only_from_the_proxy(instance: Any) -> None:
    instance("all", GUICHET_SSO_SECRET=SECRET, GUICHET_SSO_ROLE_HEADER="X-Guichet-Role")
    trusted = {"X-Forwarded-User": "kmoreau", "X-Guichet-Proxy-Secret": SECRET}
    assert role_of(header_auth({**trusted, "X-Guichet-Role": "admin"})) == "admin"
    assert role_of(header_auth(trusted)) == "agent"
    assert header_auth({**trusted, "X-Guichet-Role": "superuser"}) is None
    assert role_of(header_auth({"X-Forwarded-User": "kmoreau", "X-Guichet-Role": "admin"})) == (
        "citizen"
    )


def test_no_other_header_widens_the_role(instance: Any) -> None:
    instance("all", GUICHET_SSO_SECRET=SECRET, GUICHET_SSO_ROLE_HEADER="X-Guichet-Role")
    attempts = {
        "X-Guichet-Role": "admin",
        "X-Role": "admin",
        "Role": "agent",
        "Remote-User": "admin",
        "X-Remote-User": "admin",
        "X-Forwarded-Email": "chef@mairie-exemple.fr",
        "X-Forwarded-Groups": "admin",
        "X-Auth-Request-User": "admin",
        "Authorization": "Bearer " + jwt.encode({"role": "admin"}, "k" * 32),
        "Cookie": "role=admin",
        "X-Forwarded-User": "admin",
        "X-Guichet-Proxy-Secret": "",
    }
    for name, value in attempts.items():
        assert role_of(header_auth({name: value})) == "citizen", name
    assert role_of(header_auth(attempts)) == "citizen"


def test_internal_instance_has_no_anonymous_access(instance: Any) -> None:
    instance("internal", GUICHET_SSO_SECRET=SECRET)
    assert header_auth({}) is None
    assert header_auth({"X-Forwarded-User": "admin"}) is None
    assert role_of(
        header_auth({"X-Forwarded-User": "lroux", "X-Guichet-Proxy-Secret": SECRET})
    ) == ("agent")


def test_role_of_trusts_only_known_roles() -> None:
    assert role_of(None) == "citizen"
    assert role_of(auth.make_user("x", "admin", "password")) == "admin"
    for metadata in ({}, {"role": "root"}, {"role": ["admin"]}):
        user = auth.make_user("x", "agent", "password")
        user.metadata = metadata
        assert role_of(user) == "citizen"
    assert auth.oauth_callback("github", "t", {}, auth.make_user("x", "agent", "github")) is None


# ----------------------------------------------------------------------------- Chainlit routes


@pytest.fixture
def chainlit_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Chainlit's real FastAPI app, driven in-process; our callbacks restored afterwards."""
    from chainlit.config import config
    from chainlit.oauth_providers import providers
    from chainlit.server import app

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", secrets.token_urlsafe(32))
    saved = (config.code.header_auth_callback, config.code.oauth_callback, list(providers))
    yield app
    config.code.header_auth_callback, config.code.oauth_callback, providers[:] = saved


def session_user(client: httpx.AsyncClient) -> Any:
    from chainlit.auth.jwt import decode_jwt

    token = client.cookies.get("access_token")
    return decode_jwt(token) if token else None


async def test_header_route_sets_a_citizen_cookie_for_a_forged_header(
    chainlit_app: Any, instance: Any
) -> None:
    from chainlit.config import config
    from chainlit.utils import wrap_user_function

    instance("all", GUICHET_SSO_SECRET=SECRET)
    config.code.header_auth_callback = wrap_user_function(header_auth)
    transport = httpx.ASGITransport(app=chainlit_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/auth/header", json={}, headers={"X-Forwarded-User": "admin", "X-Role": "admin"}
        )
        assert response.status_code == 200
        assert role_of(session_user(client)) == "citizen"
        client.cookies.clear()
        response = await client.post(
            "/auth/header", json={}, headers={"Referer": "http://testserver/login?agent"}
        )
        assert response.status_code == 401 and session_user(client) is None
        response = await client.post(
            "/auth/header",
            json={},
            headers={"X-Forwarded-User": "mgarnier", "X-Guichet-Proxy-Secret": SECRET},
        )
        assert role_of(session_user(client)) == "agent"


# ----------------------------------------------------------------------------- ProConnect

CLIENT_ID = "guichet-client"
CLIENT_SECRET = "guichet-client-secret-of-at-least-32-bytes"


def _rsa_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


class FakeProConnect:
    """A small but real OpenID Connect provider speaking ProConnect's dialect over HTTP."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{self.port}/api/v2"
        self.calls: dict[str, int] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, str] = {}
        self.last_authorize: dict[str, str] = {}
        self.reset()
        app = Starlette(
            routes=[
                Route("/api/v2/.well-known/openid-configuration", self.discovery),
                Route("/api/v2/authorize", self.authorize),
                Route("/api/v2/token", self.token, methods=["POST"]),
                Route("/api/v2/userinfo", self.userinfo),
                Route("/api/v2/jwks", self.jwks),
            ]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def reset(self) -> None:
        self.calls.clear()
        self.scenario: dict[str, Any] = {}
        self.user = {
            "sub": "sub-agent-42",
            "email": "julie.martin@mairie-exemple.fr",
            "given_name": "Julie",
            "usual_name": "Martin",
            "siret": "21750001600019",
        }

    def start(self) -> FakeProConnect:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake ProConnect did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def _sign(self, claims: dict[str, Any], rogue: bool = False) -> str:
        key = self.rogue_key if rogue else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    async def discovery(self, request: Request) -> Response:
        self._count("discovery")
        base = self.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks",
                "end_session_endpoint": f"{base}/session/end",
                "id_token_signing_alg_values_supported": ["RS256"],
                "userinfo_signing_alg_values_supported": ["RS256"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        self._count("jwks")
        return JSONResponse({"keys": [_rsa_jwk(self.key, "k1")]})

    async def authorize(self, request: Request) -> Response:
        self._count("authorize")
        params = dict(request.query_params)
        self.last_authorize = params
        if params.get("client_id") != CLIENT_ID or "openid" not in params.get("scope", "").split():
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if not params.get("nonce"):  # ProConnect refuses a request without a nonce
            return JSONResponse({"error": "nonce required"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": params["nonce"], "redirect_uri": params["redirect_uri"]}
        query = urlencode({"code": code, "state": params["state"]})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        self._count("token")
        form = await request.form()
        grant = self.codes.pop(str(form.get("code")), None)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET) or (
            grant is None or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": self.user["sub"],
            "iat": now,
            "exp": now + 60,
            "nonce": grant["nonce"],
            "acr": "eidas1",
        }
        claims.update(self.scenario.get("id_token", {}))
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = self.user["sub"]
        if self.scenario.get("id_token_hs256"):
            id_token = jwt.encode(claims, CLIENT_SECRET, algorithm="HS256", headers={"kid": "k1"})
        else:
            id_token = self._sign(claims)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": id_token,
            }
        )

    async def userinfo(self, request: Request) -> Response:
        self._count("userinfo")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        claims = {**self.user, "iss": self.issuer, "aud": CLIENT_ID, "iat": int(time.time())}
        claims.update(self.scenario.get("userinfo", {}))
        if self.scenario.get("userinfo_json"):
            return JSONResponse(claims)
        body = self._sign(claims, rogue=self.scenario.get("userinfo_rogue", False))
        return Response(body, media_type="application/jwt")


@pytest.fixture(scope="module")
def fake_proconnect() -> Iterator[FakeProConnect]:
    server = FakeProConnect().start()
    yield server
    server.stop()


@pytest.fixture
def proconnect(
    fake_proconnect: FakeProConnect, chainlit_app: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    from chainlit.config import config
    from chainlit.utils import wrap_user_function

    from chatbot.web.proconnect import register_proconnect

    fake_proconnect.reset()
    monkeypatch.setenv("OAUTH_PROCONNECT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("OAUTH_PROCONNECT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("OAUTH_PROCONNECT_BASE_URL", fake_proconnect.issuer + "/")
    settings = AuthSettings(
        _env_file=None,
        proconnect_allowed_domains=["mairie-exemple.fr"],
        proconnect_allowed_sirets=["13002526500013"],
        proconnect_acr_values="eidas1",
        proconnect_nonce_ttl=60,
    )
    provider = register_proconnect(settings=settings)
    assert provider is not None
    config.code.oauth_callback = wrap_user_function(auth.oauth_callback)
    yield provider


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def start_login(client: httpx.AsyncClient, fake: FakeProConnect) -> str:
    """Click "ProConnect", then log in at the provider; returns the callback URL it sends back."""
    response = await client.get("/auth/oauth/proconnect")
    assert response.status_code in (302, 307)
    location = response.headers["location"]
    assert location.startswith(fake.issuer + "/authorize?")
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(location)
    assert at_provider.status_code == 302, at_provider.text
    return at_provider.headers["location"]


async def finish_login(client: httpx.AsyncClient, callback_url: str) -> httpx.Response:
    parsed = urlparse(callback_url)
    return await client.get(f"{parsed.path}?{parsed.query}")


def refused(response: httpx.Response) -> bool:
    return (
        response.status_code == 302 and "/login?error=oauthSignin" in response.headers["location"]
    )


@pytest.fixture
async def client(chainlit_app: Any) -> Any:
    transport = httpx.ASGITransport(app=chainlit_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_proconnect_end_to_end_through_chainlit(
    proconnect: Any, fake_proconnect: FakeProConnect, client: httpx.AsyncClient
) -> None:
    assert "discovery" not in fake_proconnect.calls  # nothing fetched at start-up
    callback = await start_login(client, fake_proconnect)
    sent = fake_proconnect.last_authorize
    assert sent["scope"] == "openid email given_name usual_name siret"
    assert sent["acr_values"] == "eidas1" and len(sent["nonce"]) >= 32
    assert sent["redirect_uri"] == "http://testserver/auth/oauth/proconnect/callback"
    response = await finish_login(client, callback)
    assert response.status_code == 302 and "/login/callback?" in response.headers["location"]
    user = session_user(client)
    assert user.identifier == "proconnect:sub-agent-42" and user.display_name == "Julie Martin"
    assert user.metadata["role"] == "agent" and user.metadata["provider"] == "proconnect"
    assert fake_proconnect.calls["userinfo"] == 1
    # Each login draws a new nonce.
    await start_login(client, fake_proconnect)
    assert fake_proconnect.last_authorize["nonce"] != sent["nonce"]


async def test_an_id_token_with_another_nonce_is_refused(
    proconnect: Any, fake_proconnect: FakeProConnect, client: httpx.AsyncClient
) -> None:
    fake_proconnect.scenario["id_token"] = {"nonce": "nonce-of-another-login"}
    response = await finish_login(client, await start_login(client, fake_proconnect))
    assert refused(response) and session_user(client) is None
    assert "userinfo" not in fake_proconnect.calls


async def test_an_expired_login_state_is_refused(
    proconnect: Any, fake_proconnect: FakeProConnect, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    proconnect.nonces.clock = clock
    callback = await start_login(client, fake_proconnect)
    clock.now += 61  # GUICHET_PROCONNECT_NONCE_TTL=60
    assert refused(await finish_login(client, callback))
    assert session_user(client) is None and "token" not in fake_proconnect.calls


async def test_an_unknown_state_is_refused_even_with_a_matching_cookie(
    proconnect: Any, fake_proconnect: FakeProConnect, client: httpx.AsyncClient
) -> None:
    # An attacker controls both the state cookie and the query; no nonce was ever issued.
    client.cookies.set("oauth_state", "forged-state")
    response = await client.get("/auth/oauth/proconnect/callback?code=abc&state=forged-state")
    assert refused(response) and session_user(client) is None
    assert "token" not in fake_proconnect.calls


async def test_a_callback_is_used_once(
    proconnect: Any, fake_proconnect: FakeProConnect, client: httpx.AsyncClient
) -> None:
    callback = await start_login(client, fake_proconnect)
    state = parse_qs(urlparse(callback).query)["state"][0]
    assert not refused(await finish_login(client, callback))
    client.cookies.clear()
    client.cookies.set("oauth_state", state)
    assert refused(await finish_login(client, callback))


@pytest.mark.parametrize(
    "scenario",
    [
        {"id_token": {"aud": "someone-else"}},
        {"id_token": {"iss": "http://127.0.0.1:9/api/v2"}},
        {"id_token": {"exp": 1_000_000}},
        {"id_token": {"acr": "eidas0"}},  # weaker than the acr_values asked for
        {"id_token_hs256": True},  # "signed" with the client secret: a classic confusion
    ],
    ids=["audience", "issuer", "expired", "acr", "hs256"],
)
async def test_a_wrong_id_token_is_refused(
    proconnect: Any,
    fake_proconnect: FakeProConnect,
    client: httpx.AsyncClient,
    scenario: dict[str, Any],
) -> None:
    fake_proconnect.scenario.update(scenario)
    assert refused(await finish_login(client, await start_login(client, fake_proconnect)))
    assert session_user(client) is None


@pytest.mark.parametrize(
    "scenario",
    [{"userinfo_rogue": True}, {"userinfo_json": True}],
    ids=["signed-by-another-key", "unsigned-json"],
)
async def test_userinfo_must_be_signed_by_the_provider(
    proconnect: Any,
    fake_proconnect: FakeProConnect,
    client: httpx.AsyncClient,
    scenario: dict[str, Any],
) -> None:
    fake_proconnect.scenario.update(scenario)
    assert refused(await finish_login(client, await start_login(client, fake_proconnect)))
    assert session_user(client) is None and fake_proconnect.calls["userinfo"] == 1


async def test_userinfo_for_another_subject_is_refused(
    proconnect: Any, fake_proconnect: FakeProConnect, client: httpx.AsyncClient
) -> None:
    fake_proconnect.scenario["userinfo"] = {"sub": "someone-else"}
    assert refused(await finish_login(client, await start_login(client, fake_proconnect)))


@pytest.mark.parametrize(
    ("email", "siret", "allowed"),
    [
        ("paul@mairie-exemple.fr", "", True),
        ("paul@services.mairie-exemple.fr", "", True),  # sub-domain of an allowed domain
        ("paul@mairie-exemple.fr.evil.com", "", False),
        ("paul@evil-mairie-exemple.fr", "", False),
        ("paul@prefecture.gouv.fr", "13002526500013", True),  # allowed SIRET
        ("paul@prefecture.gouv.fr", "99999999999999", False),
    ],
)
async def test_allow_list_decides_who_logs_in(
    proconnect: Any,
    fake_proconnect: FakeProConnect,
    client: httpx.AsyncClient,
    email: str,
    siret: str,
    allowed: bool,
) -> None:
    fake_proconnect.user.update(email=email, siret=siret)
    response = await finish_login(client, await start_login(client, fake_proconnect))
    assert refused(response) is not allowed
    assert role_of(session_user(client)) == ("agent" if allowed else "citizen")


def test_proconnect_is_registered_only_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainlit.oauth_providers import get_configured_oauth_providers, providers

    from chatbot.web.proconnect import register_proconnect

    saved = list(providers)
    try:
        monkeypatch.setenv("OAUTH_PROCONNECT_CLIENT_ID", CLIENT_ID)
        monkeypatch.delenv("OAUTH_PROCONNECT_CLIENT_SECRET", raising=False)
        monkeypatch.setenv("OAUTH_PROCONNECT_BASE_URL", "https://auth.example.invalid/api/v2")
        assert register_proconnect() is None
        assert "proconnect" not in [p.id for p in providers]
        monkeypatch.setenv("OAUTH_PROCONNECT_CLIENT_SECRET", CLIENT_SECRET)
        assert register_proconnect() is not None  # no network: discovery waits for a login
        assert register_proconnect() is not None  # twice: still one entry
        assert [p.id for p in providers].count("proconnect") == 1
        assert "proconnect" in get_configured_oauth_providers()
    finally:
        providers[:] = saved


def test_nonce_store_is_one_use_expiring_and_bounded() -> None:
    from chatbot.web.proconnect import NonceStore

    clock = Clock()
    store = NonceStore(ttl=10, max_entries=3, clock=clock)
    store.put("s1", "n1")
    assert store.pop("s1") == "n1" and store.pop("s1") is None
    store.put("s2", "n2")
    clock.now += 11
    assert store.pop("s2") is None
    for i in range(5):
        store.put(f"t{i}", f"n{i}")
    assert len(store) == 3 and store.pop("t0") is None and store.pop("t4") == "n4"


# ----------------------------------------------------------------------------- real frontend

BROWSER_APP = """
import os

import chainlit as cl
from chainlit.server import app

from chatbot.web.auth import header_auth, install_agent_entry, password_auth

install_agent_entry(app)


@cl.header_auth_callback
def header(headers):
    # Records what Chainlit's login page really sends, for the test to read.
    with open(os.environ["REFERER_LOG"], "a", encoding="utf-8") as log:
        log.write((headers.get("referer") or "-") + "\\n")
    return header_auth(headers)


cl.password_auth_callback(password_auth)


@cl.on_message
async def echo(message: cl.Message) -> None:
    await cl.Message(content="ok").send()
"""


@pytest.fixture
def login_app(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Chainlit's real server and frontend with our callbacks, in an ``all`` instance."""
    import subprocess

    from tests.conftest import OFFLINE_ENV, ROOT, free_port

    (tmp_path / "app.py").write_text(BROWSER_APP, encoding="utf-8")
    referers = tmp_path / "referers.log"
    port = free_port()
    env = {
        **os.environ,
        **OFFLINE_ENV,
        "GUICHET_INSTANCE": "all",
        "GUICHET_USERS_FILE": str(tmp_path / "users.json"),
        "CHAINLIT_AUTH_SECRET": secrets.token_urlsafe(32),
        "REFERER_LOG": str(referers),
        "PYTHONPATH": f"{ROOT / 'tests' / 'netguard'}{os.pathsep}{ROOT}",
        "GUICHET_NETGUARD": "1",
    }
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "chainlit", "run", "app.py", "--headless", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "server.log").read_text()[-3000:])
            try:
                if httpx.get(url + "/auth/config", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield url, referers
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


async def test_password_login_through_chainlit_sets_the_role(
    chainlit_app: Any, instance: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainlit.config import config
    from chainlit.utils import wrap_user_function

    path = tmp_path / "users.json"
    instance("all", GUICHET_USERS_FILE=str(path))
    write_users(path, record("nlopez", "mot-de-passe-agent", "agent", display_name="N. Lopez"))
    saved = config.code.password_auth_callback
    config.code.password_auth_callback = wrap_user_function(auth.password_auth)
    try:
        transport = httpx.ASGITransport(app=chainlit_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            bad = await client.post("/login", data={"username": "nlopez", "password": "nope"})
            assert bad.status_code == 401 and session_user(client) is None
            good = await client.post(
                "/login", data={"username": "nlopez", "password": "mot-de-passe-agent"}
            )
            assert good.status_code == 200
            user = session_user(client)
            assert user.identifier == "nlopez" and role_of(user) == "agent"
    finally:
        config.code.password_auth_callback = saved


async def test_agent_entry_drops_a_citizen_session_but_keeps_an_agent(chainlit_app: Any) -> None:
    from chainlit.auth import create_jwt

    auth.install_agent_entry(chainlit_app)
    auth.install_agent_entry(chainlit_app)
    assert [getattr(r, "path", "") for r in chainlit_app.router.routes].count("/agent") == 1
    transport = httpx.ASGITransport(app=chainlit_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.cookies.set("access_token", auth.citizen_access_token())
        response = await client.get("/agent")
        assert response.status_code == 303 and response.headers["location"] == "/login?agent"
        deleted = response.headers["set-cookie"].lower()
        assert deleted.startswith('access_token="";') and "max-age=0" in deleted
        client.cookies.set("access_token", create_jwt(auth.make_user("x", "agent", "password")))
        response = await client.get("/agent")
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert role_of(session_user(client)) == "agent"


@pytest.mark.browser
async def test_real_login_page_sends_the_agent_query_in_the_referer(
    login_app: tuple[str, Path],
) -> None:
    # Playwright's async API on the test's own loop: the sync API would leave a loop running
    # in this thread and break every async test after this one.
    from playwright.async_api import async_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    url, referers = login_app
    form = "input#email, input[name=email], input#username"

    def auth_header(response: Any) -> bool:
        return response.url.endswith("/auth/header")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            agent = await (await browser.new_context(locale="fr-FR")).new_page()
            async with agent.expect_response(auth_header) as answer:
                await agent.goto(f"{url}/login?agent")
            assert (await answer.value).status == 401  # so the login page shows its form
            await agent.locator(form).first.wait_for()
            assert agent.url.endswith("/login?agent")
            assert not any(c["name"] == "access_token" for c in await agent.context.cookies())
            assert referers.read_text().splitlines() == [f"{url}/login?agent"]

            citizen = await (await browser.new_context(locale="fr-FR")).new_page()
            async with citizen.expect_response(auth_header) as answer:
                await citizen.goto(url + "/")  # sent to /login, which logs the visitor in
            assert (await answer.value).status == 200
            await citizen.wait_for_url(url + "/", timeout=20_000)
            await citizen.locator("#chat-input, textarea").first.wait_for()
            assert any(c["name"] == "access_token" for c in await citizen.context.cookies())
            assert referers.read_text().splitlines()[-1] == f"{url}/login"

            # A citizen who becomes an agent: /agent drops the anonymous session.
            async with citizen.expect_response(auth_header) as answer:
                await citizen.goto(url + "/agent")
            assert (await answer.value).status == 401
            await citizen.locator(form).first.wait_for()
            assert citizen.url == f"{url}/login?agent"
            assert not any(c["name"] == "access_token" for c in await citizen.context.cookies())
        finally:
            await browser.close()
