"""The welcome screen: Chainlit serves it for the French UI without looking for a missing
translation (which it logged at every page load)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent


def test_french_welcome_is_the_welcome_screen() -> None:
    # chainlit.md is written in French; chainlit_fr-FR.md is what Chainlit reads for the
    # fr-FR interface. Edit both or neither.
    welcome = (ROOT / "chainlit.md").read_text(encoding="utf-8")
    assert "Bienvenue" in welcome
    assert (ROOT / "chainlit_fr-FR.md").read_text(encoding="utf-8") == welcome


def test_chainlit_serves_the_french_welcome_without_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import chainlit.config
    from chainlit.server import app

    assert chainlit.config.config.ui.language == "fr-FR"
    assert Path(chainlit.config.APP_ROOT).resolve() == ROOT, "run the tests from the repository"
    caplog.set_level(logging.INFO)
    response = TestClient(app).get("/project/settings", params={"language": "fr-FR"})
    if response.status_code == 401:  # Chainlit's app was given a login by an earlier test
        from chainlit.markdown import get_markdown_str

        markdown = get_markdown_str(chainlit.config.config.root, "fr-FR")
    else:
        assert response.status_code == 200, response.text[:300]
        markdown = response.json()["markdown"]
    assert markdown == (ROOT / "chainlit_fr-FR.md").read_text(encoding="utf-8")
    assert "Translated markdown file" not in caplog.text
