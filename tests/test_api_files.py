"""Agents' documents through the API, against the real server: the official ``openai``
client uploads a PDF with ``files.create``, the same key's helpdesk turns cite its page,
and no other key (agent or citizen) can list, delete or get an answer from it."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import httpx
import openai
import pytest

from chatbot.documents import samples
from chatbot.replies import DOCUMENT_REPLIES
from tests.test_api import client, extra, new_key
from tests.test_documents_server import read_response

QUESTION = "Dans quel délai le service instructeur doit-il notifier sa décision au demandeur ?"


def ask(api: openai.OpenAI, flow: str = "helpdesk"):
    completion = api.chat.completions.create(
        model=flow, messages=[{"role": "user", "content": QUESTION}]
    )
    return completion.choices[0].message.content or "", extra(completion, "sources") or []


def document_sources(sources: list[dict]) -> list[dict]:
    return [s for s in sources if s.get("audience") == "document"]


@pytest.fixture(scope="module")
def owner(app_server):
    key = new_key(app_server, role="agent", name="logiciel-du-service")
    api = client(app_server, key)
    uploaded = api.files.create(
        file=("circulaire.pdf", samples.circular_pdf(), "application/pdf"), purpose="assistants"
    )
    return key, api, uploaded


def test_an_agent_key_uploads_a_pdf_and_its_turns_cite_the_page(app_server, owner, double):
    _, api, uploaded = owner
    assert uploaded.id and uploaded.filename == "circulaire.pdf"
    assert extra(uploaded, "pages") >= 3
    assert [f.id for f in api.files.list().data] == [uploaded.id]
    _, sources = ask(api)
    cited = document_sources(sources)
    assert cited, sources
    assert cited[0]["page"] == 3 and "Délai d'instruction" in cited[0]["heading"]
    # The circular names a person: the model never saw her.
    assert "Marchetti" not in " ".join(double.sent_texts())


def test_no_other_key_sees_lists_or_deletes_the_document(app_server, owner):
    _, _, uploaded = owner
    other = client(app_server, new_key(app_server, role="agent", name="autre-service"))
    assert other.files.list().data == []
    _, sources = ask(other)
    assert document_sources(sources) == []
    with pytest.raises(openai.NotFoundError) as refused:
        other.files.delete(uploaded.id)
    assert refused.value.body["code"] == "file_not_found"
    citizen = client(app_server, new_key(app_server, role="citizen", name="portail-usagers"))
    _, sources = ask(citizen, flow="citizen")
    assert document_sources(sources) == []


def test_a_citizen_key_may_not_upload(app_server):
    citizen = client(app_server, new_key(app_server, role="citizen", name="portail-2"))
    with pytest.raises(openai.PermissionDeniedError) as refused:
        citizen.files.create(file=("note.txt", b"Une note.", "text/plain"), purpose="assistants")
    assert "réservé aux agents" in refused.value.body["message"]


def test_bad_uploads_get_a_french_4xx(app_server):
    key = new_key(app_server, role="agent", name="service-3")
    headers = {"Authorization": f"Bearer {key}"}
    url = app_server.url + "/v1/files"
    # A size over the limit is refused from the header alone: the 200 MB never follow.
    address = urlparse(app_server.url)
    head = (
        f"POST /v1/files HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(head.encode())
        reply = read_response(sock)
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert DOCUMENT_REPLIES["too_large"] in reply
    lying = httpx.post(
        url,
        headers=headers,
        files={"file": ("note.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert lying.status_code == 422 and lying.json()["error"]["message"], lying.text
    no_file = httpx.post(url, headers=headers, data={"purpose": "assistants"})
    assert no_file.status_code == 400 and "file" in no_file.json()["error"]["message"]


def test_the_owner_deletes_and_the_document_is_no_longer_cited(app_server, owner):
    _, api, uploaded = owner
    assert api.files.delete(uploaded.id).deleted is True
    assert api.files.list().data == []
    _, sources = ask(api)
    assert document_sources(sources) == []
