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
