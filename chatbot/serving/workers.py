"""``chatbot serve --workers N``: N processes on one listening socket, sessions kept whole.

Design (docs/ARCHITECTURE.md, "Workers"):

- The parent binds HOST:PORT once and starts N workers (``python -m chatbot.cli serve``
  with hidden ``--worker-*`` options) that inherit the socket; the kernel hands each new
  connection to one of them. The parent imports nothing heavy and only supervises: it
  restarts a worker that dies, and stops them all on SIGTERM/SIGINT.
- socket.io is **websocket only** in this mode (the browser is told so through Chainlit's
  ``project.transports``, and the server refuses long-polling): a websocket is one TCP
  connection, so a session and its socket live on one worker for their whole life.
- Chainlit keeps session state in process memory, and a few HTTP routes look the session up
  there (``/project/file``, ``/project/element``, ``/project/action``, ``/mcp``). Those calls
  may reach any worker; ``SessionRouter`` sends one whose session lives elsewhere to the
  worker that has it, over a private Unix socket per worker. They are rare (uploads, custom
  element updates), so the extra hop costs nothing on the chat path.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from chatbot.logs import get_logger
from chatbot.web.asgi import replay_body

log = get_logger("guichet.workers")

FORWARD_HEADER = "x-guichet-forward"  # carries the run's secret on a forwarded call
CLIENT_HEADER = "x-guichet-client"  # the original client's address on a forwarded call
SESSION_PATHS = ("/project/file", "/project/element", "/project/action", "/mcp")
MAX_FORWARD_BODY = 12 * 1024 * 1024  # above Chainlit's largest upload (10 MB in config.toml)
RESTART_WINDOW_S = 30.0  # a worker dying this soon after its start twice in a row stops all


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


# --- the parent -----------------------------------------------------------------------------


def supervise(listener: socket.socket, host: str, port: int, workers: int) -> int:
    """Start WORKERS children on LISTENER and keep them running until told to stop."""
    listener.listen(2048)  # connections made while workers start wait in the queue
    run_dir = Path(tempfile.mkdtemp(prefix="guichet-workers-"))  # 0700: this user only
    (run_dir / "secret").write_text(secrets.token_hex(16), encoding="utf-8")
    # Each worker writes its metrics here; /metrics, on any worker, sums them (chatbot.metrics).
    from chatbot import metrics

    metrics.prepare_multiprocess_dir(run_dir / "metrics")
    fd = listener.fileno()
    stopping = False

    def spawn(index: int) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "chatbot.cli",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            "--worker-fd",
            str(fd),
            "--worker-index",
            str(index),
            "--worker-count",
            str(workers),
            "--worker-dir",
            str(run_dir),
        ]
        return subprocess.Popen(command, pass_fds=(fd,))

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children = {i: spawn(i) for i in range(workers)}
    started = dict.fromkeys(children, time.monotonic())
    quick_deaths = dict.fromkeys(children, 0)
    print(f"Guichet: {workers} workers on http://{host}:{port}", flush=True)
    code = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for index, child in list(children.items()):
                status = child.poll()
                if status is None or stopping:
                    continue
                quick = time.monotonic() - started[index] < RESTART_WINDOW_S
                quick_deaths[index] = quick_deaths[index] + 1 if quick else 0
                if quick_deaths[index] >= 2 or status == 2:  # 2: a settings error
                    print(
                        f"error: worker {index} exited with status {status} at start-up; "
                        "stopping (see its messages above)",
                        file=sys.stderr,
                        flush=True,
                    )
                    stopping, code = True, 1 if status in (0, None) else status
                    break
                print(f"Guichet: worker {index} exited ({status}); restarting it", flush=True)
                metrics.worker_exited(child.pid)  # its sessions no longer count
                children[index] = spawn(index)
                started[index] = time.monotonic()
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        shutil.rmtree(run_dir, ignore_errors=True)
    return code


# --- in each worker -------------------------------------------------------------------------


class WorkerInfo:
    """What one worker knows about its siblings."""

    def __init__(self, index: int, count: int, run_dir: Path) -> None:
        self.index = index
        self.count = count
        self.run_dir = run_dir
        self.secret = (run_dir / "secret").read_text(encoding="utf-8").strip()

    def private_path(self, index: int) -> Path:
        return self.run_dir / f"worker-{index}.sock"

    def private_socket(self) -> socket.socket:
        """This worker's Unix socket, for calls its siblings forward to it."""
        path = self.private_path(self.index)
        path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        os.chmod(path, 0o600)
        return sock

    def siblings(self) -> list[int]:
        return [i for i in range(self.count) if i != self.index]


def websocket_only() -> None:
    """socket.io over websockets only: one connection per session, so one worker."""
    from chainlit.config import config
    from chainlit.server import sio

    config.project.transports = ["websocket"]  # the page tells the browser's client
    sio.eio.transports = ["websocket"]  # and the server refuses long-polling


def _session_id(path: str, query: bytes, body: bytes) -> str | None:
    values = parse_qs(query.decode("latin-1")).get("session_id")
    if values:
        return values[0]
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if isinstance(data, dict):
            found = data.get("sessionId") or data.get("session_id")
            return found if isinstance(found, str) else None
    return None


def _is_local(session_id: str) -> bool:
    from chainlit.session import WebsocketSession

    return WebsocketSession.get_by_id(session_id) is not None


class SessionRouter:
    """ASGI middleware: a session-bound HTTP call reaches the worker holding the session."""

    def __init__(self, app: Any, worker: WorkerInfo) -> None:
        self.app = app
        self.worker = worker

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(SESSION_PATHS):
            await self.app(scope, receive, send)
            return
        body, too_big = await _read_body(receive)
        if too_big:
            await _respond(send, 413, b'{"detail": "Request too large"}')
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        forwarded = secrets.compare_digest(headers.get(FORWARD_HEADER, ""), self.worker.secret)
        session_id = _session_id(scope["path"], scope.get("query_string", b""), body)
        if forwarded:
            if session_id is None or not _is_local(session_id):
                await _respond(send, 421, b'{"detail": "not here"}')  # the caller tries on
                return
            client = headers.get(CLIENT_HEADER, "")
            host, _, client_port = client.rpartition(":")
            if host:
                scope = {**scope, "client": (host, int(client_port or 0))}
        elif session_id is not None and not _is_local(session_id):
            if await self._forward(scope, headers, body, send):
                return
        await self.app(scope, replay_body(body, receive), send)

    async def _forward(self, scope: dict, headers: dict[str, str], body: bytes, send: Any) -> bool:
        import httpx

        client = scope.get("client") or ("", 0)
        out_headers = {
            k: v
            for k, v in headers.items()
            if k not in ("host", "content-length", FORWARD_HEADER, CLIENT_HEADER)
        }
        out_headers[FORWARD_HEADER] = self.worker.secret
        out_headers[CLIENT_HEADER] = f"{client[0]}:{client[1]}"
        url = "http://worker" + scope.get("root_path", "") + scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            url += "?" + query
        for index in self.worker.siblings():
            transport = httpx.AsyncHTTPTransport(uds=str(self.worker.private_path(index)))
            try:
                async with httpx.AsyncClient(transport=transport, timeout=60) as http:
                    response = await http.request(
                        scope["method"], url, headers=out_headers, content=body
                    )
            except httpx.HTTPError:
                continue  # that worker is restarting: the session is gone with it anyway
            if response.status_code == 421:
                continue
            skip = {"content-length", "transfer-encoding", "connection"}
            raw = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in response.headers.multi_items()
                if k.lower() not in skip
            ]
            await _respond(send, response.status_code, response.content, raw)
            log.info("session_call_forwarded", to_worker=index, status=response.status_code)
            return True
        return False  # nobody has it: the route answers "session not found" itself


async def _read_body(receive: Any) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORWARD_BODY:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks), False


async def _respond(
    send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = list(headers or [(b"content-type", b"application/json")])
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
