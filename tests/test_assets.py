"""The chat's pages and widget load nothing from outside, and speak French.

Chainlit's own app object serves the page here (through ``OfflineHtmlMiddleware``, as
``chatbot/app.py`` installs it); the browser test opens the running app in Chromium and
records every request the chat page and the widget page make.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from chatbot.web.assets import OfflineHtmlMiddleware, install_offline_html, offline_html

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "public"
NAVIGATION = {"Accept": "text/html,application/xhtml+xml", "Accept-Encoding": "gzip"}
URL_ATTR = re.compile(r"""\b(?:href|src|content|action)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver"}


def external_urls(html: str) -> list[str]:
    """Every URL in an attribute or CSS url() that names another host."""
    found = URL_ATTR.findall(html) + re.findall(r"url\(\s*['\"]?([^'\")]+)", html)
    return [
        url
        for url in found
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE)
        and urlsplit(url if "://" in url else "http:" + url).hostname not in LOCAL_HOSTS
    ]


@pytest.fixture(scope="module")
def chainlit_client() -> TestClient:
    import chainlit.config
    from chainlit.server import app

    assert Path(chainlit.config.APP_ROOT).resolve() == ROOT, "run the tests from the repository"
    # Wrap instead of add_middleware: other tests may have started Chainlit's app already.
    return TestClient(OfflineHtmlMiddleware(app))


def test_chat_page_references_no_external_host(chainlit_client: TestClient) -> None:
    response = chainlit_client.get("/", headers=NAVIGATION)
    assert response.status_code == 200
    html = response.text
    assert external_urls(html) == []
    assert "fonts.googleapis.com" not in html and "jsdelivr" not in html
    # The page still works: Chainlit's bundle, our theme and the French language are there.
    assert re.search(r'<script type="module"[^>]*src="/assets/index-[^"]+\.js"', html)
    assert "window.theme = " in html
    assert re.search(r'<html[^>]*\blang="fr"', html)


def test_untouched_chainlit_page_would_fetch_fonts(chainlit_client: TestClient) -> None:
    # Guards the guard: without the middleware Chainlit's page does link other hosts, so
    # the test above proves the rewrite, not a quiet Chainlit version.
    raw = TestClient(chainlit_client.app.app).get("/", headers=NAVIGATION)
    assert external_urls(raw.text) != []


def test_api_responses_pass_through_compressed(chainlit_client: TestClient) -> None:
    response = chainlit_client.get(
        "/project/translations?language=fr-FR",
        headers={"Accept": "application/json", "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == "gzip"
    assert response.json()["translation"]["chat"]["input"]["placeholder"].startswith("Posez")


def test_demo_page_is_served_and_local(chainlit_client: TestClient) -> None:
    response = chainlit_client.get("/public/demo.html", headers=NAVIGATION)
    assert response.status_code == 200
    html = response.text
    assert '<html lang="fr">' in html
    # Loaded resources (scripts, stylesheets, icons) come from Guichet itself; plain links
    # to other sites (<a href>) load nothing and are allowed.
    loaded = re.findall(r"<(?:script|link|img)\b[^>]*>", html)
    assert external_urls("\n".join(loaded)) == []
    assert 'src="/copilot/index.js"' in html and "mountChainlitWidget" in html


def test_theme_stops_the_google_font_of_page_and_widget() -> None:
    theme = json.loads((PUBLIC / "theme.json").read_text(encoding="utf-8"))
    # A non-empty custom_fonts list is what makes both Chainlit's page and the Copilot
    # bundle skip their Google Fonts link; ours load nothing from anywhere.
    assert theme["custom_fonts"], "an empty list brings Google Fonts back in the widget"
    assert all(url.startswith("data:") for url in theme["custom_fonts"])
    assert "Inter" not in theme["variables"]["light"]["--font-sans"]


def test_offline_html_keeps_local_tags() -> None:
    html = (
        '<html lang="en"><head>'
        '<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin />'
        '<link rel="stylesheet" href="//cdn.example.org/x.css">'
        '<script src="https://cdn.example.org/x.js"></script>'
        '<meta property="og:image" content="https://s3.example.org/banner.png">'
        '<link rel="icon" href="/favicon" /><script src="/public/a11y.js" defer></script>'
        '<link rel="stylesheet" href="data:text/css,">'
        "</head></html>"
    )
    out = offline_html(html)
    assert external_urls(out) == []
    assert '<link rel="icon" href="/favicon" />' in out
    assert '<script src="/public/a11y.js" defer></script>' in out
    assert 'href="data:text/css,"' in out
    assert out.startswith('<html lang="fr">')


def test_install_is_idempotent() -> None:
    app = FastAPI()

    @app.get("/")
    def index():  # noqa: ANN202
        from fastapi.responses import HTMLResponse

        return HTMLResponse('<html lang="en"><link href="https://x.example/a.css"></html>')

    install_offline_html(app)
    install_offline_html(app)  # a hot reload imports chatbot/app.py again
    assert sum(m.cls is OfflineHtmlMiddleware for m in app.user_middleware) == 1
    body = TestClient(app).get("/", headers=NAVIGATION).text
    assert body == '<html lang="fr"></html>'


def test_gzip_inside_is_bypassed_for_pages() -> None:
    from starlette.middleware.gzip import GZipMiddleware

    app = FastAPI()

    @app.get("/")
    def index():  # noqa: ANN202
        from fastapi.responses import HTMLResponse

        return HTMLResponse(
            '<html lang="en"><script src="https://x.example/a.js"></script>'
            + "<p>texte</p>" * 200
            + "</html>"
        )

    app.add_middleware(GZipMiddleware, minimum_size=100)
    client = TestClient(OfflineHtmlMiddleware(app))
    response = client.get("/", headers=NAVIGATION)
    assert "x.example" not in response.text and response.text.startswith('<html lang="fr">')
    assert int(response.headers["content-length"]) == len(response.content)
    # A non-navigation request still gets gzip from the inner middleware.
    raw = client.get("/", headers={"Accept": "*/*", "Accept-Encoding": "gzip"})
    assert raw.headers.get("content-encoding") == "gzip"
    assert "x.example" in raw.text  # and it is left alone


def test_french_translation_keeps_every_key() -> None:
    import chainlit

    packaged = Path(chainlit.__file__).parent / "translations"

    def keys(node: dict, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for key, value in node.items():
            out |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
        return out

    ours = json.loads((ROOT / ".chainlit/translations/fr-FR.json").read_text(encoding="utf-8"))
    reference = json.loads((packaged / "en-US.json").read_text(encoding="utf-8"))
    assert keys(ours) == keys(reference)
    assert ours["auth"]["login"]["title"] == "Espace agents"
    assert ours["chat"]["messages"]["feedback"]["dialog"]["title"] == (
        "Cette réponse vous a-t-elle aidé ?"
    )
    assert (ROOT / ".chainlit/translations/en-US.json").is_file()


@pytest.mark.timeout(180)
def test_browser_loads_nothing_from_outside(app_server, page) -> None:  # noqa: ANN001
    """The chat page and the widget page, in Chromium: every request stays on loopback."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(app_server.url + "/")
    page.wait_for_selector("#chat-input", timeout=60_000)
    page.goto(app_server.url + "/public/demo.html")
    page.locator("#chainlit-copilot-button").click(timeout=60_000)
    page.wait_for_selector("#chainlit-copilot >> #chat-input", timeout=60_000)
    outside = [
        url
        for url in requests
        if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
        and urlsplit(url).hostname not in LOCAL_HOSTS
    ]
    assert outside == []
    assert any(url.endswith("/copilot/index.js") for url in requests)
