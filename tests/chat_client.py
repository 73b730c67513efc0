"""The socket.io chat client the tests share with ``chatbot bench load``."""

from chatbot.bench.client import Chat, Turn, anonymous_cookie, login_cookie

__all__ = ["Chat", "Turn", "anonymous_cookie", "login_cookie"]
