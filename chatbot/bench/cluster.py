"""Two ``chatbot serve`` instances behind the shipped nginx configuration, on shared engines:
a fresh PostgreSQL database, one Chroma server (``chroma run``) and one Redis (its own
``redis-server``), all started here and all stopped at the end. Used by
``chatbot bench load --through nginx``; tests/test_scale_out.py reuses the services part.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from chatbot.bench.nginx import Nginx, free_port, nginx_binary
from chatbot.paths import ROOT

CHROMA = Path(sys.executable).parent / "chroma"
REDIS = shutil.which("redis-server")
SHARED_SECRET = "bench-shared-secret-" + "z" * 40  # a session opened on one is valid on all


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check, what: str, deadline_s: float = 120, every: float = 0.5) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Service:
    """A server process started and stopped here (Chroma, Redis) on a fixed port."""

    def __init__(self, argv: list[str], port: int, log: Path) -> None:
        self.argv, self.port, self.log_path = argv, port, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        wait_until(lambda: port_open(self.port), f"{self.argv[0]} on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        wait_until(lambda: not port_open(self.port), f"port {self.port} closed", 30)


def chroma_service(folder: Path) -> Service:
    port = free_port()
    argv = [str(CHROMA), "run", "--path", str(folder / "chroma"), "--port", str(port)]
    return Service(argv, port, folder / "chroma.log")


def redis_service(folder: Path) -> Service:
    port = free_port()
    argv = [REDIS or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no"]  # fmt: skip
    return Service(argv, port, folder / "redis.log")


def missing() -> str:
    """Why the cluster cannot start here ("" when it can)."""
    if not nginx_binary():
        return "Debian's nginx is not installed"
    if not CHROMA.exists():
        return "the chroma command (chromadb package) is missing"
    if REDIS is None:
        return "redis-server is not installed"
    return ""


@dataclass
class Cluster:
    url: str  # nginx
    instances: list[tuple[str, subprocess.Popen]]  # (direct url, process)
    nginx: Nginx

    @property
    def pids(self) -> list[int]:
        return [process.pid for _, process in self.instances]

    def turns(self) -> dict[str, float]:
        """Turns each instance has ended so far (its own /metrics, not through nginx)."""
        counts = {}
        for url, _ in self.instances:
            text = httpx.get(url + "/metrics", timeout=30).text
            counts[url] = sum(
                float(v) for v in re.findall(r"^guichet_turns_total\{[^}]*\} (\S+)$", text, re.M)
            )
        return counts

    def socket_connections(self) -> dict[int, int]:
        """socket.io connections (closed so far) per instance port, from nginx's log."""
        counts: dict[int, int] = {}
        for port, path in self.nginx.access_lines():
            if path.startswith("/ws/socket.io"):
                counts[port] = counts.get(port, 0) + 1
        return counts


@contextmanager
def cluster(tmp: Path, env: dict[str, str], size: int = 2, workers: int = 1) -> Iterator[Cluster]:
    """``size`` instances with ``env`` (backend, database...) behind nginx; everything
    started here is stopped on the way out, whatever happens."""
    if problem := missing():
        raise SystemExit(f"error: {problem}")
    tmp.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        chroma, redis = chroma_service(tmp), redis_service(tmp)
        for service in (chroma, redis):
            service.start()
            stack.callback(service.stop)
        lb_port = free_port()
        public = f"http://127.0.0.1:{lb_port}"
        instances = []
        for n in range(size):
            folder = tmp / f"instance-{n}"
            folder.mkdir()
            port = free_port()
            full_env = {
                **os.environ,
                **env,
                "GUICHET_WORKERS": str(workers),
                "GUICHET_DATA_DIR": str(folder / "data"),
                "GUICHET_CHROMA_URL": f"http://127.0.0.1:{chroma.port}",
                "GUICHET_RATE_LIMIT_STORAGE": f"redis://127.0.0.1:{redis.port}",
                "GUICHET_PUBLIC_URL": public,
                "GUICHET_ALLOWED_ORIGINS": public,
                "GUICHET_LOG_FORMAT": "json",
                "CHAINLIT_AUTH_SECRET": SHARED_SECRET,
            }
            command = [sys.executable, "-m", "chatbot.cli", "serve", "--port", str(port)]
            log = stack.enter_context(open(folder / "server.log", "w"))
            process = subprocess.Popen(
                command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )
            stack.callback(_stop, process)
            instances.append((f"http://127.0.0.1:{port}", process))
        for url, process in instances:
            wait_until(lambda u=url, p=process: _ready(u, p), f"{url} ready", 900, 1)
        nginx = Nginx(tmp, [url.removeprefix("http://") for url, _ in instances], port=lb_port)
        stack.callback(nginx.stop)
        yield Cluster(public, instances, nginx)


def _ready(url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"the instance at {url} exited")
    try:
        return httpx.get(url + "/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
