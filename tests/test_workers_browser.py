"""Chromium against ``chatbot serve --workers 2``: the real page connects over websockets only
and visitors on both workers get their answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatbot.fake_albert import FakeAlbert
from tests.screens import send
from tests.test_workers import QUESTION, Workers, two_workers

pytestmark = pytest.mark.browser

ANSWER = '[data-step-type="assistant_message"] .message-content'


@pytest.fixture(scope="module")
def server(albert: FakeAlbert, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    with two_workers(albert, tmp_path_factory.mktemp("workers-browser")) as server:
        yield server


def note_socket(seen: list[str], url: str) -> None:
    if "/ws/socket.io/" in url:
        seen.append(url)


def test_visitors_in_chromium_are_answered_by_both_workers(server: Workers, browser) -> None:
    served: set[int] = set()
    for _ in range(8):
        context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740})
        page = context.new_page()
        try:
            # What the page's socket.io client tried: websocket only, never long-polling.
            transports: list[str] = []
            page.on("request", lambda r, seen=transports: note_socket(seen, r.url))
            page.on("websocket", lambda ws, seen=transports: note_socket(seen, ws.url))
            before = len(server.events("turn_started"))
            page.goto(server.url)
            page.wait_for_selector("#chat-input", timeout=120_000)
            send(page, QUESTION)
            answer = page.locator(ANSWER).last
            page.wait_for_function(
                "s => [...document.querySelectorAll(s)]"
                ".some(e => e.innerText.includes('86 euros'))",
                arg=ANSWER,
                timeout=120_000,
            )
            assert "86 euros" in answer.inner_text()
            assert transports and all("transport=websocket" in url for url in transports)
            served.add(server.events("turn_started")[before]["worker"])
        finally:
            context.close()
        if served == {0, 1}:
            break
    assert served == {0, 1}, f"8 visitors, all on worker(s) {sorted(served)}"
