"""Debian's nginx run as the current user, with the shipped configuration: used by
``chatbot bench load --through nginx`` and by the tests (tests/nginx.py re-exports it).

``deploy/nginx/guichet.conf`` is used as it is, with what differs on a test machine rewritten:
the upstream instances (lines marked ``# upstream:``), the ports (``# listen:``), the
certificate (a self-signed one made here) or, without TLS, the TLS lines (``# tls``) and the
cookie's ``secure`` flag. Pid, logs and temporary files live in the given folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

from chatbot.paths import ROOT

SHIPPED = ROOT / "deploy" / "nginx" / "guichet.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, which a non-root PATH may lack), or None."""
    found = shutil.which("nginx")
    return found or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class NginxConfig:
    def __init__(self, tmp: Path, upstreams: list[str], *, port: int, tls: bool = False) -> None:
        self.prefix = tmp / "nginx"
        for sub in ("logs", "temp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        self.port = port
        self.tls = tls
        self.site = self.prefix / "guichet.conf"
        self.site.write_text(self.render(SHIPPED.read_text(encoding="utf-8"), upstreams))
        self.main = self.prefix / "nginx.conf"
        self.main.write_text(self.main_config())

    def render(self, text: str, upstreams: list[str]) -> str:
        servers = "\n".join(f"    server {u} max_fails=3 fail_timeout=10s;" for u in upstreams)
        text, n = re.subn(r"^\s*server \S+ .*# upstream:.*$", servers, text, flags=re.M)
        assert n == 1, "deploy/nginx/guichet.conf: the '# upstream:' line is missing"
        text, n = re.subn(
            r"listen 80;.*# listen: http$", f"listen 127.0.0.1:{free_port()};", text, flags=re.M
        )
        assert n == 1, "deploy/nginx/guichet.conf: the '# listen: http' line is missing"
        if self.tls:
            self.make_certificate()
            https = f"listen 127.0.0.1:{self.port} ssl http2;"
            text = text.replace("/etc/nginx/tls/", f"{self.prefix}/")
        else:
            https = f"listen 127.0.0.1:{self.port};"
            text = "\n".join(line for line in text.splitlines() if not line.endswith("# tls"))
            text = re.sub(r"(userid_flags .*)\bsecure\b ?", r"\1", text)
        text, n = re.subn(r"listen 443 .*# listen: https$", https, text, flags=re.M)
        assert n == 1, "deploy/nginx/guichet.conf: the '# listen: https' line is missing"
        return text

    def make_certificate(self) -> None:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1",
                "-keyout", str(self.prefix / "guichet.key"),
                "-out", str(self.prefix / "guichet.crt"),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def main_config(self) -> str:
        temp = self.prefix / "temp"
        # As root, nginx's workers would switch to "nobody", who cannot write here.
        user = "user root;\n" if os.geteuid() == 0 else ""
        return (
            f"{user}daemon off;\nworker_processes 1;\npid {self.prefix}/nginx.pid;\n"
            f"error_log {self.prefix}/logs/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            # Which instance served each request (tests read it: tests/test_scale_out.py).
            "  log_format upstream '$upstream_addr \"$request_uri\" $status';\n"
            f"  access_log {self.prefix}/logs/access.log upstream;\n"
            f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
            f"  scgi_temp_path {temp}/scgi;\n"
            f"  include {self.site};\n"
            "}\n"
        )

    def command(self, *extra: str) -> list[str]:
        nginx = nginx_binary() or "nginx"
        return [
            nginx, "-p", str(self.prefix), "-c", str(self.main),
            "-e", str(self.prefix / "logs" / "error.log"), *extra,
        ]  # fmt: skip


class Nginx:
    """nginx in front of ``upstreams`` on 127.0.0.1:``port``, plain HTTP."""

    def __init__(self, tmp: Path, upstreams: list[str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = NginxConfig(tmp, upstreams, port=self.port)
        self.process = subprocess.Popen(
            self.config.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                httpx.get(self.url + "/health", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("nginx did not start")

    def access_lines(self) -> list[tuple[int, str]]:
        """(instance port, path) of each request logged so far (websockets: once closed)."""
        lines = []
        log = (self.config.prefix / "logs" / "access.log").read_text()
        for line in log.splitlines():
            match = re.match(r'\S*:(\d+) "([^"]*)"', line)
            if match:
                lines.append((int(match.group(1)), match.group(2)))
        return lines

    def last_upstream_port(self) -> int:
        return self.access_lines()[-1][0]

    def mark(self) -> int:
        return len(self.access_lines())

    def socket_ports(self, since: int = 0) -> set[int]:
        """The instances that served socket.io connections closed after ``since``."""
        time.sleep(0.5)  # nginx logs a websocket when it closes
        return {p for p, path in self.access_lines()[since:] if path.startswith("/ws/socket.io")}

    def error_log(self) -> str:
        return (self.config.prefix / "logs" / "error.log").read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
