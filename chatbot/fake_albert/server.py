"""The fake Albert served over real HTTP: in a background thread for tests and demos, or in
the foreground for ``chatbot fake-albert``."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from chatbot.fake_albert.controls import Controls
from chatbot.fake_albert.routes import build_app


class FakeAlbert(Controls):
    """An Albert-compatible API on a loopback port; see the package docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # the arguments of Controls
        super().__init__(*args, **kwargs)
        self.url = ""
        self.port = 0
        self.app = build_app(self)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _bind(self, host: str, port: int, log_level: str) -> tuple[uvicorn.Server, socket.socket]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.port = sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}/v1"
        config = uvicorn.Config(
            self.app,
            interface="asgi3",
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        return uvicorn.Server(config), sock

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeAlbert:
        """Serve in a daemon thread (port 0: a free one) and return once it accepts requests."""
        # A "cut" fault aborts a response on purpose: keep uvicorn quiet about it.
        server, sock = self._bind(host, port, "critical")
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="fake-albert"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Albert did not start")
            time.sleep(0.01)
        return self

    def serve(self, host: str = "127.0.0.1", port: int = 8090) -> None:
        """Serve in the foreground until interrupted."""
        server, sock = self._bind(host, port, "warning")
        self._server = server
        server.run(sockets=[sock])

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeAlbert:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
