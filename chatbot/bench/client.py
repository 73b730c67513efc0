"""A Chainlit chat client over socket.io, speaking the browser's protocol: the page, the
anonymous login (``/auth/header``), the socket with the session's auth, ``client_message``,
then the streamed events (``stream_start``, ``stream_token``, ``new_message``,
``update_message``) until ``task_end``. Used by ``chatbot bench load`` and by the tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import socketio


async def login_cookie(url: str, username: str, password: str) -> str:
    """An agent's Chainlit auth cookie, from the password form."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post("/login", data={"username": username, "password": password})
        response.raise_for_status()
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def anonymous_cookie(url: str) -> str:
    """A citizen's cookie as the browser gets it on an ``all`` instance: the page loads, then
    Chainlit's login page POSTs ``/auth/header``, which logs the visitor in anonymously."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        (await client.get("/")).raise_for_status()
        (await client.post("/auth/header", json={})).raise_for_status()
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


@dataclass
class Turn:
    """One answered message: the assistant's final step and when its parts arrived."""

    step: dict[str, Any]
    first_token_s: float | None  # first streamed token (None: the answer was not streamed)
    total_s: float  # until the server said the turn ended
    tokens: list[str]  # what was streamed, event by event (what the screen showed)


class Chat:
    """One chat session: ``await Chat.open(url, thread_id=...)``, ``await chat.ask(text)``."""

    def __init__(self, url: str, thread_id: str | None, cookie: str | None) -> None:
        self.url = url
        self.thread_id = thread_id or str(uuid.uuid4())
        self.cookie = cookie
        self.session_id = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.steps: list[dict[str, Any]] = []
        self.streamed: list[str] = []
        self.first_token_at: float | None = None
        self.disconnected = False
        self._closing = False
        self._task_end = asyncio.Event()
        self.sio.on("new_message", self._step)
        self.sio.on("update_message", self._step)
        self.sio.on("stream_start", self._stream_start)
        self.sio.on("stream_token", self._stream_token)
        self.sio.on("task_end", self._ended)
        self.sio.on("disconnect", self._gone)

    async def _step(self, step: dict[str, Any]) -> None:
        self.steps.append(step)

    def _token(self, text: str) -> None:
        if text and self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.streamed.append(text)

    async def _stream_start(self, step: dict[str, Any]) -> None:
        self._token(step.get("output") or "")

    async def _stream_token(self, data: dict[str, Any]) -> None:
        self._token(data.get("token") or "")

    async def _ended(self, *_: Any) -> None:
        self._task_end.set()

    async def _gone(self, *_: Any) -> None:
        if not self._closing:
            self.disconnected = True
            self._task_end.set()

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        thread_id: str | None = None,
        cookie: str | None = None,
        profile: str | None = None,
        settle_s: float = 1.0,
        headers: dict[str, str] | None = None,  # e.g. X-Forwarded-For through a proxy
    ) -> Chat:
        chat = cls(url, thread_id, cookie)
        headers = {"Origin": url, **(headers or {})}
        if cookie:
            # As a browser sends it: a raw header on the websocket. Given in ``headers``, the
            # client would put it in aiohttp's cookie jar, which quotes values holding "="
            # (nginx's base64 load-balancing cookie), and nginx would not recognise it.
            chat.sio.eio.websocket_extra_options = {"headers": {"Cookie": cookie}}
        await chat.sio.connect(
            url,
            headers=headers,
            auth={
                "sessionId": chat.session_id,
                "clientType": "webapp",
                "threadId": chat.thread_id,
                "chatProfile": profile,
                "userEnv": "{}",
            },
            socketio_path="/ws/socket.io",
            transports=["websocket"],
            wait_timeout=30,
        )
        await chat.sio.emit("connection_successful")
        await asyncio.sleep(settle_s)  # on_chat_start runs as a task
        return chat

    async def turn(self, text: str, timeout: float = 120) -> Turn:
        """Send a message as the browser does; return the assistant's last message of the
        turn, with the time to its first streamed token and to the end of the turn."""
        self._task_end.clear()
        start = len(self.steps)
        self.streamed = []
        self.first_token_at = None
        message = {
            "id": str(uuid.uuid4()),
            "threadId": self.thread_id,
            "name": "User",
            "type": "user_message",
            "output": text,
            "createdAt": datetime.now(UTC).isoformat(),
        }
        sent = time.perf_counter()
        await self.sio.emit("client_message", {"message": message, "fileReferences": []})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            await asyncio.wait_for(self._task_end.wait(), deadline - loop.time())
            self._task_end.clear()
            if self.disconnected:
                raise ConnectionError("the server closed the socket")
            answers = [s for s in self.steps[start:] if s.get("type") == "assistant_message"]
            if answers and answers[-1].get("output"):
                ended = time.perf_counter()
                first = None if self.first_token_at is None else self.first_token_at - sent
                return Turn(answers[-1], first, ended - sent, list(self.streamed))
        raise TimeoutError("no answer")

    async def ask(self, text: str, timeout: float = 120) -> dict[str, Any]:
        """Send a message; return the assistant's last message of the turn (its step dict)."""
        return (await self.turn(text, timeout)).step

    async def end_visit(self) -> None:
        """What the UI does on "new conversation": the session is cleared, then closed."""
        await self.sio.emit("clear_session")
        await asyncio.sleep(0.3)
        await self.close()

    async def close(self) -> None:
        self._closing = True
        await self.sio.disconnect()
