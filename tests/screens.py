"""Screens the browser tests run on: a desktop window and a phone (375 × 740, touch).

A test module that wants both overrides the ``page`` fixture with :func:`screen_page` and
parametrizes it indirectly:

    @pytest.fixture
    def page(browser, request):
        yield from screen_page(browser, request)

    @pytest.mark.parametrize("page", SCREENS, indirect=True)
    def test_something(page): ...

Without the parameter the page is a desktop one, as with the shared fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import ARTIFACTS

SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 375, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
# Phone screenshots to look at (gitignored, rewritten on every run).
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def screen_of(page: Any) -> str:
    return "phone" if page.viewport_size["width"] < 640 else "desktop"


def screen_page(browser: Any, request: Any) -> Iterator[Any]:
    screen = getattr(request, "param", "desktop")
    context = browser.new_context(locale="fr-FR", **SCREENS[screen])
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def assert_fits_the_screen(page: Any) -> None:
    """Nothing sticks out sideways: no horizontal scrolling on a phone.

    Compared with the screen's width, not ``innerWidth``: on a phone the browser widens its
    layout viewport to a page that overflows (and zooms out), which hides the overflow.
    """
    width = page.evaluate("document.documentElement.scrollWidth")
    screen = page.viewport_size["width"]
    assert width <= screen, f"the page is {width}px wide on a {screen}px screen"


def settle(page: Any) -> None:
    """Wait for the fade-ins to end (Chainlit's welcome screen fades in): a screenshot or an
    axe contrast check taken half-way sees washed-out colours."""
    page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
            .map(a => a.finished.catch(() => null)))"""
    )


def shoot(page: Any, name: str) -> None:
    settle(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def send(page: Any, question: str, scope: str = "", timeout_s: float = 150) -> None:
    """Type QUESTION in the chat's composer and send it, as soon as the page can send.
    SCOPE selects the widget (``"#chainlit-copilot >> "``)."""
    _fill_until_sendable(page, question, scope, timeout_s)
    page.click(f"{scope}#chat-submit", timeout=10_000)


def ready_to_send(page: Any, scope: str = "", timeout_s: float = 150) -> None:
    """Wait until the chat can send (connected, welcome turn over), leaving the box empty:
    for tests that then type with the keyboard."""
    _fill_until_sendable(page, "x", scope, timeout_s)
    page.fill(f"{scope}#chat-input", "")


def _fill_until_sendable(page: Any, text: str, scope: str, timeout_s: float) -> None:
    """Fill the composer with TEXT until it holds and the send button is enabled.

    The composer shows before the chat is ready: a new visitor goes through /login and back,
    and the send button stays disabled while the welcome turn runs. Text typed meanwhile can
    be wiped by a re-render (a page that looked stuck on its welcome screen).
    """
    import time

    box, button = f"{scope}#chat-input", f"{scope}#chat-submit"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            page.fill(box, text, timeout=10_000)
            page.wait_for_timeout(300)  # a re-render in progress wipes it now
            held = text.strip()[:40] in _composer_text(page, box)
            if held and page.locator(f"{button}:enabled").count():
                return
        except Exception:  # the page navigated (/login and back) in the middle: again
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"the chat on {page.url} could not send in {timeout_s} s")
        page.wait_for_timeout(500)


def _composer_text(page: Any, box: str) -> str:
    """What the composer holds (a textarea's value, or the text of an editable element)."""
    return page.locator(box).evaluate("e => e.value ?? e.innerText ?? ''", timeout=5_000) or ""
