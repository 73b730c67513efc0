"""Shared fixtures: network guard, the Albert test double, settings, a running app server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chatbot.fake_albert import FakeAlbert
from tests.netguard import guard

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
}

guard.install()
os.environ.update(OFFLINE_ENV)
# Tests never read the developer's own .env.
os.environ.setdefault("GUICHET_LOG_FORMAT", "json")


@pytest.fixture(scope="session")
def albert() -> Iterator[FakeAlbert]:
    double = FakeAlbert().start()
    yield double
    double.stop()


@pytest.fixture
def double(albert: FakeAlbert) -> Iterator[FakeAlbert]:
    """The session's double, with recorded requests and faults cleared for this test."""
    albert.reset()
    yield albert
    albert.reset()


PG_USERS = ("postgres", "root")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the local PostgreSQL server, dropped afterwards."""
    import psycopg

    errors, admin, user = [], None, ""
    for user in PG_USERS:
        try:
            admin = psycopg.connect(
                host="127.0.0.1",
                port=5432,
                user=user,
                dbname="test",
                autocommit=True,
                connect_timeout=2,
            )
            break
        except Exception as exc:  # any failure means "no PostgreSQL here"
            errors.append(f"{user}: {type(exc).__name__}")
    if admin is None:
        pytest.skip(
            "PostgreSQL not reachable on 127.0.0.1:5432 as postgres/root ("
            + "; ".join(errors)
            + ")"
        )
    name = f"guichet_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{user}@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(tmp_path: Path, backend: FakeAlbert | None = None, **overrides: object):
    from chatbot.settings import Settings

    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "users_file": tmp_path / "data" / "users.json",
        "watch_knowledge": False,
        "_env_file": None,
    }
    if backend is not None:
        values.update(
            backend_url=backend.url,
            api_key=backend.api_key,
            timeout=5,
            connect_timeout=2,
            max_retries=1,
            retry_max_wait=1,
        )
    values.update(overrides)
    return Settings(**values)


class AppServer:
    """``chatbot serve`` in a subprocess, exactly as an operator starts it."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.data_dir = Path(env.get("GUICHET_DATA_DIR", tmp / "data"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "server.log"
        self.netguard_log = tmp / "outbound-attempts.log"
        full_env = {
            **os.environ,
            **OFFLINE_ENV,
            # One process unless a test asks for workers: the suite shares two cores.
            "GUICHET_WORKERS": "1",
            **env,
            "GUICHET_NETGUARD": "1",
            "GUICHET_NETGUARD_LOG": str(self.netguard_log),
            "GUICHET_LOG_FORMAT": "json",
            "GUICHET_PUBLIC_URL": self.url,
            "GUICHET_ALLOWED_ORIGINS": f"{self.url},http://localhost:{self.port}",
            "PYTHONPATH": f"{ROOT / 'tests' / 'netguard'}{os.pathsep}{ROOT}",
            **self.extra_env(),
        }
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatbot.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def extra_env(self) -> dict[str, str]:
        """What a kind of server sets on top (it may use ``self.url``)."""
        return {}

    def wait_ready(self, deadline_s: float = 300) -> None:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()[-4000:]}")
            try:
                # The server answers before its services are built (chatbot/boot.py); a
                # test starts once they are, as a visitor a few seconds later would.
                if (
                    httpx.get(self.url + "/project/settings?language=fr-FR", timeout=2).status_code
                    < 500
                    and '"services_started"' in self.logs()
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"server not ready:\n{self.log_path.read_text()[-4000:]}")

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def app_server(albert: FakeAlbert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The chat served against the Albert test double over real HTTP."""
    tmp = tmp_path_factory.mktemp("app")
    server = AppServer(
        {
            "GUICHET_BACKEND_URL": albert.url,
            "GUICHET_API_KEY": albert.api_key,
            "GUICHET_DATA_DIR": str(tmp / "data"),
            "GUICHET_USERS_FILE": str(tmp / "data" / "users.json"),
        },
        tmp,
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Everything but loopback is unreachable, as on the CI machines.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


# Module scope: Playwright's sync API keeps an event loop running while it is open, which
# would stop the async tests of later modules.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
