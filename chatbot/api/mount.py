"""Mount the API at ``/v1`` without importing it: ``chatbot.api.routes`` pulls in the turn,
the privacy gate and the stores (spaCy, Presidio, Chroma, LangGraph: seconds), which the
server loads in the background after it starts listening (``chatbot.boot``). The mount is
placed at start-up, ahead of Chainlit's catch-all route; the API itself is built at its
first request, when those modules are normally loaded already."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Mount

API_PREFIX = "/v1"


class LazyApi:
    def __init__(self, settings: Any, get_services: Callable[[], Any]) -> None:
        self.settings, self.get_services = settings, get_services
        self.app: Any = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if self.app is None:
            from chatbot.api.routes import make_api

            self.app = make_api(self.settings, self.get_services)
        await self.app(scope, receive, send)


def install_api(app: Any, settings: Any, get_services: Callable[[], Any]) -> LazyApi:
    """Mount the API at ``/v1`` on Chainlit's app, ahead of its catch-all route."""
    lazy = LazyApi(settings, get_services)
    app.router.routes.insert(0, Mount(API_PREFIX, app=lazy, name="guichet_api"))
    return lazy
