"""The chat page in Debian's Chromium, driven by Playwright, against ``chatbot serve`` pointed
at the Albert test double over real HTTP. Citizens' journeys run on a desktop window and on a
phone (375 × 740, touch); see ``tests/screens.py``."""

from __future__ import annotations

import re
import time

import pytest

from tests.a11y import describe, run_axe
from tests.screens import (
    SCREENS,
    assert_fits_the_screen,
    screen_of,
    screen_page,
    send,
    settle,
    shoot,
)

pytestmark = pytest.mark.browser

ANSWER = '[data-step-type="assistant_message"] .message-content'
ON_EVERY_SCREEN = pytest.mark.parametrize("page", list(SCREENS), indirect=True)


@pytest.fixture
def page(browser, request):
    yield from screen_page(browser, request)


def open_chat(page, url: str) -> None:
    page.goto(url)
    # A new visitor goes through /login (anonymous citizen login) and back.
    page.wait_for_url(lambda u: "/login" not in u, timeout=60_000)
    page.wait_for_selector("#chat-input", timeout=60_000)


def ask(page, question: str) -> None:
    send(page, question)


def cited_numbers(text: str) -> set[str]:
    """The [n] the answer's own text cites (what comes before the source list)."""
    return set(re.findall(r"\[(\d+)\]", text.split("Sources")[0]))


def source_list(answer) -> list[str]:
    """The lines of the source list under an answer (one list item per fiche)."""
    return answer.locator("li:has(a[href^='http'])").all_inner_texts()


def assert_each_fiche_once(answer) -> None:
    hrefs = [a.get_attribute("href") for a in answer.locator("li a[href^='http']").all()]
    assert hrefs and len(hrefs) == len(set(hrefs)), f"a fiche is listed twice: {hrefs}"
    listed = " ".join(source_list(answer))
    for n in cited_numbers(answer.inner_text()):
        assert f"[{n}]" in listed, f"[{n}] is cited but not in the source list: {listed}"


@ON_EVERY_SCREEN
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
    assert links.first.is_visible()
    # The page talked to the backend: the answer is grounded in what the double was sent.
    assert any(r.path.endswith("/chat/completions") for r in double.requests)
    assert_each_fiche_once(answer)
    assert "vérifiez sur ces pages" in final, "the invitation to check goes with the sources"
    page.wait_for_selector("#chat-submit", timeout=60_000)  # the run is over
    assert_fits_the_screen(page)
    if screen_of(page) == "phone":
        shoot(page, "phone-chat-answer")
    assert run_axe(page) == [], describe(run_axe(page))


@ON_EVERY_SCREEN
def test_citizen_starts_from_a_suggested_question(app_server, page, double) -> None:
    open_chat(page, app_server.url)
    starter = page.get_by_role("button", name="Refaire ma carte d'identité")
    starter.wait_for(timeout=30_000)
    assert page.locator("[id^='starter-']").count() >= 2
    settle(page)
    assert_fits_the_screen(page)
    if screen_of(page) == "phone":
        shoot(page, "phone-chat")
    assert run_axe(page) == [], describe(run_axe(page))
    starter.click()
    answer = page.locator(ANSWER).last
    answer.locator("text=Sources").wait_for(timeout=90_000)
    assert answer.locator("a[href*='service-public']").first.is_visible()
    assert_fits_the_screen(page)


@ON_EVERY_SCREEN
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
    assert_fits_the_screen(page)


def test_no_answer_without_sources_asks_to_check_sources(app_server, page, double) -> None:
    """The footer and an answer that lists no source never point at "the sources"."""
    open_chat(page, app_server.url)
    ask(page, "à" * 5_000)
    reply = page.locator(ANSWER).last
    reply.locator("text=/trop long/").wait_for(timeout=60_000)
    page.wait_for_selector("#chat-submit", timeout=60_000)
    shown = page.locator("body").inner_text()
    assert not re.search(r"sources?\b", shown, re.I), "no source is listed on this page"
    assert page.locator(".watermark").first.inner_text().strip(), "the footer is still there"


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


@ON_EVERY_SCREEN
def test_embedded_default_answers_with_labelled_excerpts(offline_server, page) -> None:
    open_chat(page, offline_server.url)
    ask(page, "Je suis Jean Dupont, j'ai perdu ma carte vitale, je fais comment ?")
    answer = page.locator(ANSWER).last
    answer.locator("text=Sources").wait_for(timeout=90_000)
    text = answer.inner_text()
    assert "extraits" in text and "aucune réponse n'a été rédigée" in text
    assert "Carte Vitale" in text
    assert answer.locator("a[href*='ameli.fr']").count() >= 1
    # No model here: the masking notice must not speak of one.
    assert "n'a été transmis à aucun service extérieur" in text, text
    assert "transmis au modèle" not in text
    # Two sections of the Carte Vitale fiche: one line, both numbers.
    assert_each_fiche_once(answer)
    assert_fits_the_screen(page)
