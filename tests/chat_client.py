"""A Chainlit chat client over socket.io, as the browser speaks it (for tests on a real server)."""

from __future__ import annotations

import asyncio
import uuid
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


class Chat:
    """One chat session: ``await Chat.open(url, thread_id=...)``, ``await chat.ask(text)``."""

    def __init__(self, url: str, thread_id: str | None, cookie: str | None) -> None:
        self.url = url
        self.thread_id = thread_id or str(uuid.uuid4())
        self.cookie = cookie
        self.session_id = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.steps: list[dict[str, Any]] = []
        self._task_end = asyncio.Event()
        self.sio.on("new_message", self._step)
        self.sio.on("update_message", self._step)
        self.sio.on("task_end", self._ended)

    async def _step(self, step: dict[str, Any]) -> None:
        self.steps.append(step)

    async def _ended(self, *_: Any) -> None:
        self._task_end.set()

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        thread_id: str | None = None,
        cookie: str | None = None,
        profile: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Chat:
        chat = cls(url, thread_id, cookie)
        headers = {"Origin": url, **(headers or {})}
        if cookie:
            headers["Cookie"] = cookie
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
        await asyncio.sleep(1.0)  # on_chat_start runs as a task
        return chat

    async def ask(self, text: str, timeout: float = 120) -> dict[str, Any]:
        """Send a message; return the assistant's last message of the turn (its step dict)."""
        self._task_end.clear()
        start = len(self.steps)
        message = {
            "id": str(uuid.uuid4()),
            "threadId": self.thread_id,
            "name": "User",
            "type": "user_message",
            "output": text,
            "createdAt": datetime.now(UTC).isoformat(),
        }
        await self.sio.emit("client_message", {"message": message, "fileReferences": []})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            await asyncio.wait_for(self._task_end.wait(), deadline - loop.time())
            self._task_end.clear()
            answers = [s for s in self.steps[start:] if s.get("type") == "assistant_message"]
            if answers and answers[-1].get("output"):
                return answers[-1]
        raise TimeoutError("no answer")

    async def end_visit(self) -> None:
        """What the UI does on "new conversation": the session is cleared, then closed."""
        await self.sio.emit("clear_session")
        await asyncio.sleep(0.3)
        await self.sio.disconnect()

    async def close(self) -> None:
        await self.sio.disconnect()
