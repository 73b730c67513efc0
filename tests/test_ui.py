"""What citizens and agents see, in Debian's Chromium against ``chatbot serve`` and the Albert
test double: masking notice, roles, agent login, feedback and history, the widget,
accessibility (axe-core) and a keyboard-only journey. Screenshots land in test-artifacts/."""

from __future__ import annotations

import re
import sqlite3

import pytest

from chatbot.web.auth import UserRecord, UsersFile, hash_password, write_users_file
from tests.a11y import describe, run_axe
from tests.screens import ready_to_send, screen_of, screen_page, send, shoot
from tests.test_browser import ANSWER, ON_EVERY_SCREEN, ask, open_chat

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, request):
    """A desktop page, or a phone one where a test is parametrized with ON_EVERY_SCREEN."""
    yield from screen_page(browser, request)


NAME, PHONE = "Jean Dupont", "06 12 34 56 78"
AGENT, PASSWORD = "agent.test", "un-mot-de-passe-solide"


def wait_answer(page, index: int = -1):
    answer = page.locator(ANSWER).nth(index)
    answer.locator("text=Sources").wait_for(timeout=90_000)
    return answer


@ON_EVERY_SCREEN
def test_citizen_data_is_masked_before_sending_and_they_are_told(app_server, page, double):
    open_chat(page, app_server.url)
    ask(
        page,
        f"Bonjour, je suis {NAME}, mon téléphone est le {PHONE}. "
        "Comment refaire ma carte d'identité ?",
    )
    answer = wait_answer(page)
    text = answer.inner_text()
    assert "masqué" in text, "the citizen is told what was masked"
    assert "pas été transmis au modèle de langue" in text, text
    assert NAME in text, "the answer shown is re-personalised"
    sent = " ".join(double.sent_texts())
    assert "Dupont" not in sent
    assert "0612345678" not in re.sub(r"\D", "", sent)
    assert answer.locator("a[href*='service-public']").count() >= 1
    assert run_axe(page) == [], describe(run_axe(page))


@ON_EVERY_SCREEN
def test_citizen_never_sees_the_helpdesk_or_an_agents_fiche(app_server, page, double):
    open_chat(page, app_server.url)
    assert page.get_by_text("Assistance agents").count() == 0
    if page.locator("button[role=combobox]").count():
        page.locator("button[role=combobox]").click()
        assert page.locator("[role=option]", has_text="Assistance agents").count() == 0
        page.keyboard.press("Escape")
    ask(page, "Comment ouvrir un ticket dans l'outil Sillage quand le VPN PortailNomade plante ?")
    answer = page.locator(ANSWER).last
    answer.wait_for(timeout=90_000)
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('#chat-submit')?.closest('form')?.ariaBusy", timeout=90_000
    )
    links = [a.get_attribute("href") for a in answer.locator("a").all()]
    assert not [href for href in links if href and "intranet" in href]
    assert page.get_by_text("Recherche dans les fiches").count() == 0, "no internals"


def test_agent_logs_in_uses_the_helpdesk_and_leaves_feedback(app_server, page, double):
    users = UsersFile(
        users=[
            UserRecord(
                username=AGENT,
                password_hash=hash_password(PASSWORD),
                role="agent",
                display_name="Agent de test",
            )
        ]
    )
    write_users_file(app_server.data_dir / "users.json", users)
    page.goto(app_server.url + "/agent")
    page.fill("#email", AGENT)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#chat-input", timeout=60_000)
    assert "Assistance agents" in page.locator("button[role=combobox]").inner_text()
    assert page.locator("#user-nav-button").is_visible(), "agents keep their account menu"

    ask(page, "Comment ouvrir un ticket dans l'outil Sillage ?")
    answer = wait_answer(page)
    hrefs = [a.get_attribute("href") or "" for a in answer.locator("a").all()]
    assert any("intranet.valmont.example" in h for h in hrefs), hrefs
    assert page.get_by_text("Recherche dans les fiches").count() >= 1, "agents see retrieval"

    message = page.locator('[data-step-type="assistant_message"]').last
    message.get_by_role("button", name=re.compile("pas aidé")).click()
    page.fill("[role=dialog] textarea", "Il manque le numéro de poste du support")
    page.click("#submit-feedback")
    page.wait_for_timeout(1500)

    page.reload()
    page.wait_for_selector("#chat-input", timeout=60_000)
    if not page.get_by_text("ticket", exact=False).count():
        page.locator("header button, #header button").first.click()  # open the history
    page.get_by_text(re.compile("ticket", re.I)).first.wait_for(timeout=30_000)

    with sqlite3.connect(app_server.data_dir / "chainlit.sqlite") as db:
        rows = db.execute("SELECT value, comment FROM feedbacks").fetchall()
    assert (0, "Il manque le numéro de poste du support") in rows


def inside_the_screen(page, locator) -> bool:
    box = locator.bounding_box()
    screen = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= screen["width"]
        and box["y"] + box["height"] <= screen["height"]
    )


@ON_EVERY_SCREEN
def test_widget_on_the_administration_site_answers(app_server, page, double):
    page.goto(app_server.url + "/public/demo.html")
    launcher = page.locator("#chainlit-copilot-button")
    launcher.wait_for(timeout=60_000)
    phone = screen_of(page) == "phone"
    if phone:
        page.wait_for_timeout(500)  # the launcher's entrance transition
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the demo page is {width}px wide on a 375px phone"
        assert inside_the_screen(page, launcher), launcher.bounding_box()
        shoot(page, "phone-widget-closed")
    launcher.click(timeout=60_000)
    page.wait_for_selector("#chainlit-copilot >> #chat-input", timeout=60_000)
    if phone:  # full screen, and the button that closes it stays reachable
        panel = page.locator("#chainlit-copilot >> [role=dialog]")
        page.wait_for_timeout(500)
        assert panel.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 740}
        assert inside_the_screen(page, page.locator("#chainlit-copilot >> #chat-submit"))
        assert inside_the_screen(page, launcher) and launcher.is_visible()
    send(page, "Comment faire un passeport ?", scope="#chainlit-copilot >> ")
    answer = page.locator(f"#chainlit-copilot >> {ANSWER}").last
    answer.locator("a[href*='service-public']").first.wait_for(timeout=90_000)
    assert "[1]" in answer.inner_text()
    assert run_axe(page) == [], describe(run_axe(page))
    if phone:
        shoot(page, "phone-widget-open")
        launcher.click()  # closes the widget
        page.locator("#chainlit-copilot >> [role=dialog]").wait_for(state="hidden")
        assert inside_the_screen(page, launcher)


def test_agent_login_page_shows_no_error_until_a_login_fails(app_server, page):
    page.goto(app_server.url + "/agent")
    page.wait_for_selector("#email", timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # the page's own header login has been refused by now
    error = page.get_by_text("La connexion n'a pas abouti")
    assert not error.is_visible(), "an error before anyone typed anything"
    assert page.get_by_role("alert").count() == 0
    page.fill("#email", AGENT)
    page.fill("#password", "pas-le-bon-mot-de-passe")
    page.click("button[type=submit]")
    error.wait_for(timeout=30_000)
    assert page.get_by_role("alert").count() == 1
    assert "Unauthorized" not in page.locator("body").inner_text()


@ON_EVERY_SCREEN
def test_citizen_has_no_account_menu(app_server, page, double):
    """An anonymous citizen has no account: no avatar, no internal id, no "log out"."""
    open_chat(page, app_server.url)
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name=re.compile("Changer de thème")).wait_for(timeout=30_000)
    assert not page.locator("#user-nav-button").is_visible()
    assert page.get_by_text("Se déconnecter").count() == 0
    assert "citoyen-" not in page.content()


@ON_EVERY_SCREEN
def test_theme_button_is_named_in_french(app_server, page, double):
    open_chat(page, app_server.url)
    button = page.get_by_role("button", name=re.compile("Changer de thème"))
    button.wait_for(timeout=30_000)
    assert "Toggle" not in (button.text_content() or "")
    assert "Toggle" not in page.locator("body").inner_text()
    assert "Toggle theme" not in page.content()
    button.click()
    assert page.get_by_role("menuitem", name="Thème sombre").is_visible()
    page.keyboard.press("Escape")


def test_login_page_is_accessible(app_server, page):
    page.goto(app_server.url + "/agent")
    page.wait_for_selector("#email", timeout=60_000)
    assert run_axe(page) == [], describe(run_axe(page))


def test_keyboard_only_journey(app_server, page, double):
    open_chat(page, app_server.url)
    ready_to_send(page)  # as a keyboard user waits for the page to be ready
    page.locator("body").click(position={"x": 5, "y": 300})
    for _ in range(30):  # tab until the question box has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.id") == "chat-input":
            break
    assert page.evaluate("document.activeElement?.id") == "chat-input"
    page.keyboard.type("Comment obtenir un acte de naissance ?")
    # Enter sends nothing while the welcome turn still runs: wait, as a keyboard user would,
    # until the send button is enabled (page.click in ask() waits for the same thing).
    page.locator("#chat-submit:enabled").wait_for(timeout=60_000)
    page.keyboard.press("Enter")
    wait_answer(page)
    for _ in range(40):  # then on to the first source link
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement?.getAttribute('href') || ''")
        if "service-public" in href:
            break
    assert "service-public" in href


def test_the_server_never_tried_to_reach_the_internet(app_server):
    """Runs after the other browser tests: whole journeys, and not one outbound attempt."""
    attempts = app_server.netguard_log.read_text() if app_server.netguard_log.exists() else ""
    assert attempts == "", f"outbound connection attempts:\n{attempts}"
