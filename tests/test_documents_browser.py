"""An agent's own document in Debian's Chromium against ``chatbot serve`` and the Albert test
double: the agent uploads a PDF, gets an answer citing its page, asks for a synthesis; another
agent and a citizen asking the same question never see it. Screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from chatbot.documents import samples
from tests.conftest import ARTIFACTS
from tests.screens import ready_to_send, send
from tests.test_browser import ANSWER, ask, open_chat
from tests.test_documents_server import PASSWORD, add_agents

pytestmark = pytest.mark.browser

OWNER, OTHER = "agent.lecteur", "agent.curieux"
QUESTION = "Dans quel délai le service instructeur doit-il notifier sa décision au demandeur ?"
SECRET = "quarante-cinq jours"


def login(page, url: str, user: str) -> None:
    page.goto(url + "/agent")
    page.fill("#email", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#chat-input", timeout=60_000)
    ready_to_send(page)  # connected and done with the welcome


def idle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('#chat-submit')?.closest('form')?.ariaBusy", timeout=90_000
    )


def last_answer_with(page, text: str, timeout: float = 90_000):
    answer = page.locator(ANSWER, has_text=text).last
    answer.wait_for(timeout=timeout)
    return answer


def new_page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    return context, context.new_page()


def test_an_agent_asks_and_summarises_their_pdf_and_nobody_else_sees_it(
    app_server, page, browser, double
) -> None:
    add_agents(app_server, OWNER, OTHER)
    login(page, app_server.url, OWNER)
    assert "Assistance agents" in page.locator("button[role=combobox]").inner_text()

    uploaded = page.expect_response(
        lambda r: "/project/file?" in r.url and r.request.method == "POST", timeout=60_000
    )
    with uploaded as response:
        page.set_input_files(
            "#upload-button-input",
            files=[
                {
                    "name": "circulaire.pdf",
                    "mimeType": "application/pdf",
                    "buffer": samples.circular_pdf(filler_pages=3),
                }
            ],
        )
    assert response.value.status == 200  # the file is on the server before the question goes
    page.get_by_text("circulaire.pdf").first.wait_for(timeout=30_000)  # the attachment
    send(page, QUESTION)  # sends once the file is uploaded and the question typed
    added = last_answer_with(page, "ajouté à vos documents privés")
    assert "masquée" in added.inner_text()  # the name and NIR in it were masked
    answer = last_answer_with(page, "Sources")
    text = answer.inner_text()
    assert "Votre document « circulaire.pdf » — p. 3, 3. Délai d'instruction" in text, text
    assert not answer.locator("a[href='']").count()  # no link made for a private document
    assert "Marchetti" not in page.content()

    idle(page)
    page.get_by_role("button", name=re.compile("Synthèse de « circulaire.pdf »")).first.click()
    synthesis = last_answer_with(page, "Résumés partiels")
    parts = synthesis.locator("li").all_inner_texts()
    assert len(parts) >= 2 and all(re.search(r"p\. \d", p) for p in parts), parts
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "documents-owner.png"), full_page=True)

    context, other = new_page(browser)
    try:
        login(other, app_server.url, OTHER)
        ask(other, QUESTION)
        reply = other.locator(ANSWER).last
        reply.wait_for(timeout=90_000)
        idle(other)
        shown = other.locator(ANSWER).last.inner_text()
        assert SECRET not in shown and "Votre document" not in shown, shown
        other.screenshot(path=str(ARTIFACTS / "documents-other-agent.png"), full_page=True)
    finally:
        context.close()

    context, citizen = new_page(browser)
    try:
        open_chat(citizen, app_server.url)
        # No upload in the citizen's chat (and the server refuses one: test_documents_server).
        assert citizen.locator("#upload-button").count() == 0
        assert citizen.locator("#upload-button-input").count() == 0
        ask(citizen, QUESTION)
        citizen.locator(ANSWER).last.wait_for(timeout=90_000)
        idle(citizen)
        shown = citizen.locator(ANSWER).last.inner_text()
        assert SECRET not in shown and "Votre document" not in shown, shown
    finally:
        context.close()
