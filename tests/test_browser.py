"""The chat page in Debian's Chromium, driven by Playwright, against ``chatbot serve`` pointed
at the Albert test double over real HTTP."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser

ANSWER = '[data-step-type="assistant_message"] .message-content'


def open_chat(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#chat-input", timeout=60_000)


def ask(page, question: str) -> None:
    page.fill("#chat-input", question)
    page.click("#chat-submit")


def test_citizen_gets_a_streamed_answer_with_source_links(app_server, page, double) -> None:
    double.tokens_per_second = 25  # slow enough to watch the answer grow
    open_chat(page, app_server.url)
    ask(page, "Comment refaire ma carte d'identité ?")

    answer = page.locator(ANSWER).last
    answer.wait_for(timeout=60_000)
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "Sources" not in (text := answer.inner_text()):
        if text and (not seen or text != seen[-1]):
            seen.append(text)
        time.sleep(0.05)
    assert len(seen) >= 2 and len(seen[0]) < len(seen[-1]), "the answer appeared token by token"

    final = answer.inner_text()
    assert "[1]" in final
    links = answer.locator("a[href^='https://']")
    assert any(re.search(r"[Cc]arte (nationale )?d.identit", t) for t in links.all_inner_texts())
    assert "service-public" in links.first.get_attribute("href")
    # The page talked to the backend: the answer is grounded in what the double was sent.
    assert any(r.path.endswith("/chat/completions") for r in double.requests)


def test_bad_input_gets_a_french_message_and_the_chat_goes_on(app_server, page, double) -> None:
    open_chat(page, app_server.url)
    ask(page, "à" * 100_000)
    page.wait_for_selector(f"{ANSWER} >> text=/trop long/", timeout=60_000)
    ask(page, "Comment obtenir un acte de naissance ?")
    page.wait_for_function(
        "document.querySelectorAll('[data-step-type=\"assistant_message\"]').length >= 2",
        timeout=60_000,
    )
    page.locator(ANSWER).nth(1).locator("text=Sources").wait_for(timeout=60_000)


@pytest.fixture(scope="module")
def offline_server(tmp_path_factory):
    """The embedded default, as the README's first command starts it: no backend at all."""
    from tests.conftest import AppServer

    tmp = tmp_path_factory.mktemp("offline-app")
    env = {"GUICHET_DATA_DIR": str(tmp / "data"), "GUICHET_BACKEND_URL": "", "GUICHET_API_KEY": ""}
    server = AppServer(env, tmp)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_embedded_default_answers_with_labelled_excerpts(offline_server, page) -> None:
    open_chat(page, offline_server.url)
    ask(page, "j'ai perdu ma carte vitale, je fais comment ?")
    answer = page.locator(ANSWER).last
    answer.locator("text=Sources").wait_for(timeout=90_000)
    text = answer.inner_text()
    assert "extraits" in text and "aucune réponse n'a été rédigée" in text
    assert "Carte Vitale" in text
    assert answer.locator("a[href*='ameli.fr']").count() >= 1
