"""Agents' own documents: parsing keeps pages and headings, bad files get a French reason and
leave nothing behind, text is pseudonymised before it is stored, and the owner wall."""

from __future__ import annotations

import io
import random
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from chatbot.documents import DocumentError, Documents, samples
from chatbot.documents.models import DocChunk, Section
from chatbot.documents.parse import parse
from chatbot.documents.store import PREFIX
from chatbot.knowledge.embedding import OfflineEmbedder
from chatbot.knowledge.store import make_client
from chatbot.outbound import published
from chatbot.privacy import Pseudonymiser
from chatbot.replies import DOCUMENT_REPLIES
from tests.conftest import make_settings

PERSONAL = ("Marchetti", "Glycines", "198 044", "2 84 05 26")
OWNER, OTHER = "agent.martin", "agent.durand"


@pytest.fixture
def docs(tmp_path: Path) -> Documents:
    return Documents.open(make_settings(tmp_path))


def refused(code: str):
    return pytest.raises(DocumentError, match=f"^{code}")


# --------------------------------------------------------------------------- parsing


def test_a_pdf_keeps_its_pages_and_headings() -> None:
    parsed = parse("pdf", samples.circular_pdf(filler_pages=2), max_pages=100)
    assert parsed.pages == 6
    delay = next(s for s in parsed.sections if "quarante-cinq jours" in s.text)
    assert delay.page == 3 and delay.heading.endswith("3. Délai d'instruction")
    assert "Pièces justificatives" in next(s.heading for s in parsed.sections if s.page == 2)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("docx", samples.circular_docx()),
        ("odt", samples.circular_odt()),
        ("md", samples.circular_markdown().encode()),
        ("html", samples.circular_html().encode()),
    ],
)
def test_each_format_keeps_its_headings(kind: str, data: bytes) -> None:
    parsed = parse(kind, data, max_pages=100)
    delay = next(s for s in parsed.sections if "quarante-cinq jours" in s.text)
    assert delay.heading.endswith("3. Délai d'instruction"), delay.heading
    assert delay.heading.startswith("Circulaire relative")
    assert all("alert(1)" not in s.text for s in parsed.sections)  # no script text


def test_plain_text_finds_numbered_headings() -> None:
    text = "Note de service\n\n1. Objet\nLe guichet ferme à midi.\n\n2. Contact\nPoste 4242.\n"
    parsed = parse("txt", text.encode(), max_pages=10)
    assert [(s.heading, s.text) for s in parsed.sections][-1] == ("2. Contact", "Poste 4242.")


# --------------------------------------------------------------------------- bad files


def _bomb(kind: str, size_mb: int = 150) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            name = "content.xml"
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            name = "word/document.xml"
        with archive.open(name, "w") as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(size_mb):
                entry.write(block)
    return out.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("circulaire.pdf", samples.encrypted_pdf(), "encrypted"),
        ("scan.pdf", samples.scanned_pdf(), "scanned"),
        ("note.txt", b"Bonjour\x00\x00\x00 le monde", "binary"),
        ("circulaire.pdf", samples.circular_docx(), "extension_mismatch"),
        ("note.txt", samples.circular_pdf(), "extension_mismatch"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "extension_mismatch"),
        ("lettre.odt", samples.circular_docx(), "extension_mismatch"),
        ("programme.exe", b"MZ\x90\x00", "unsupported_type"),
        ("vide.txt", b"", "empty"),
        ("casse.pdf", b"%PDF-1.4\nnot really a pdf", "unreadable"),
        ("casse.docx", b"PK\x03\x04" + b"garbage" * 10, "unreadable"),
    ],
)
async def test_a_bad_file_gets_a_french_reason_and_leaves_nothing(
    docs: Documents, filename: str, data: bytes, code: str
) -> None:
    with refused(code) as caught:
        await docs.add(OWNER, filename, data)
    assert caught.value.message == DOCUMENT_REPLIES[code]
    assert docs.list(OWNER) == []


@pytest.mark.parametrize("kind", ["docx", "odt"])
async def test_a_zip_bomb_is_refused_before_it_is_inflated(docs: Documents, kind: str) -> None:
    bomb = _bomb(kind)
    assert len(bomb) < 1024 * 1024  # 150 MB of content in a few hundred kB
    tracemalloc.start()
    try:
        with refused("zip_bomb"):
            await docs.add(OWNER, f"bombe.{kind}", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    assert docs.list(OWNER) == []


async def test_a_200_mb_file_is_refused_before_it_is_read(docs: Documents, tmp_path: Path) -> None:
    path = tmp_path / "enorme.pdf"
    with open(path, "wb") as handle:  # sparse: 200 MB on paper
        handle.write(b"%PDF-1.4\n")
        handle.truncate(200 * 1024 * 1024)
    tracemalloc.start()
    try:
        with refused("too_large"):
            await docs.add_path(OWNER, "enorme.pdf", path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024  # it was never read into memory
    assert docs.list(OWNER) == []


class _ShortBatchEmbedder:
    """A second vector space whose vectors stop short: Chroma refuses that space's write
    after the offline space's chunks were already written."""

    space = "backend-short-test"

    async def embed_documents(self, texts):
        return np.ones((max(len(texts) - 1, 0), 8), dtype=np.float32)

    async def embed_query(self, query):
        return np.ones(8, dtype=np.float32)


async def test_a_failure_while_indexing_leaves_nothing_half_indexed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    client = make_client(settings)
    docs = Documents(settings, client, [OfflineEmbedder(), _ShortBatchEmbedder()])
    with refused("store_failed"):
        await docs.add(OWNER, "circulaire.pdf", samples.circular_pdf())
    assert docs.list(OWNER) == []
    stored = sum(
        client.get_collection(c.name).count()
        for c in client.list_collections()
        if c.name.startswith(PREFIX)
    )
    assert stored == 0


async def test_chunks_without_their_record_are_never_returned(docs: Documents) -> None:
    info = await docs.add(OWNER, "circulaire.pdf", samples.circular_pdf())
    store = docs._owner(OWNER)
    store.index.delete(ids=[info.id])  # as if the upload had died before its last write
    hits = await docs.search(OWNER, published("délai d'instruction quarante-cinq jours"))
    assert hits == []


# --------------------------------------------------------------------------- privacy


async def test_personal_data_is_pseudonymised_before_it_is_stored(docs: Documents) -> None:
    info = await docs.add(OWNER, "Dossier Marchetti.pdf", samples.circular_pdf())
    assert info.masked.get("NIR") == 1 and info.masked.get("NOM", 0) >= 1
    assert "Marchetti" not in info.filename
    everything = ""
    for collection in docs.client.list_collections():
        if collection.name.startswith(PREFIX):
            page = docs.client.get_collection(collection.name).get(
                include=["documents", "metadatas"]
            )
            everything += repr(page["documents"]) + repr(page["metadatas"])
    assert "quarante-cinq jours" in everything  # the document is there...
    for value in PERSONAL:
        assert value not in everything, value  # ...its personal values are not
    # Document placeholders cannot be re-personalised by a conversation's own gate.
    assert "«NIR_1»" in everything and "<NIR_1>" not in everything
    gate = Pseudonymiser()
    gate.clear("Je suis Jean Dupont")
    assert "Dupont" not in gate.repersonalise_display(everything)


async def test_with_a_backend_only_pseudonymised_text_is_embedded(tmp_path: Path, double) -> None:
    from chatbot.backend import Backend

    settings = make_settings(tmp_path, double)
    backend = Backend(settings)
    try:
        await backend.discover()
        docs = Documents.open(settings, backend)
        await docs.add(OWNER, "circulaire.pdf", samples.circular_pdf())
        hits = await docs.search(OWNER, published("délai d'instruction"), k=3)
    finally:
        await backend.aclose()
    sent = "\n".join(double.sent_texts())
    assert "quarante-cinq" in sent  # the document went to the backend's embedding model...
    for value in PERSONAL:
        assert value not in sent, value  # ...without its personal values
    assert hits and hits[0].page == 3


# --------------------------------------------------------------------------- the owner wall


async def test_owners_list_and_delete_only_their_documents(docs: Documents) -> None:
    mine = await docs.add(OWNER, "circulaire.pdf", samples.circular_pdf())
    theirs = await docs.add(OTHER, "note.md", samples.circular_markdown().encode())
    assert [d.id for d in docs.list(OWNER)] == [mine.id]
    assert docs.delete(OWNER, theirs.id) is False  # not theirs to delete: nothing happens
    assert [d.id for d in docs.list(OTHER)] == [theirs.id]
    assert docs.delete(OWNER, mine.id) is True
    assert docs.list(OWNER) == []
    assert await docs.search(OWNER, published("délai d'instruction quarante-cinq")) == []
    assert docs.chunks_of(OWNER, theirs.id) == []


CANARY = "zorglubine"
ADVERSARIAL = [
    CANARY,
    f"{CANARY} circulaire relogement",
    "montre les documents de agent.martin",
    "owner: agent.martin",
    '{"owner": "agent.martin"}',
    "doc_id",
    "' OR 1=1 --",
    "$ne null",
    "Marchetti",
    "«NOM_1»",
    "<NOM_1>",
    "délai d'instruction quarante-cinq jours",
    "aide exceptionnelle au relogement",
    "pièces justificatives",
    "guichet-docs-index",
]


async def test_other_users_never_receive_a_chunk_of_the_owners_document(
    docs: Documents,
) -> None:
    sections = [
        Section(page=1, heading="Note confidentielle", text=f"Le code {CANARY} ouvre le coffre.")
    ]
    text = samples.circular_markdown() + f"\n\n## Note confidentielle\n\n{sections[0].text}\n"
    secret = await docs.add(OWNER, "secret.md", text.encode())
    await docs.add(OTHER, "autre.pdf", samples.circular_pdf())  # the other agent has documents
    # The canary must be findable by its owner, or the property below proves nothing.
    assert CANARY in (await docs.search(OWNER, published(CANARY), k=1))[0].text
    vocabulary = sorted({w for c in docs.chunks_of(OWNER, secret.id) for w in c.text.split()})
    rng = random.Random(20261201)
    queries = ADVERSARIAL + [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 8))) for _ in range(200)
    ]
    for someone in (OTHER, "agent.inconnu", "citizen", "", OWNER.upper(), OWNER + " "):
        for query in queries:
            for hit in await docs.search(someone, published(query), k=10):
                assert not hit.fiche_id.endswith(secret.id), (someone, query)
                assert CANARY not in hit.text, (someone, query)


# --------------------------------------------------------------------------- retention


async def test_purge_and_erasure_reach_documents(tmp_path: Path) -> None:
    from chatbot.store.retention import erase_user, purge_older_than
    from chatbot.store.schema import create_schema, database_url

    settings = make_settings(tmp_path)
    await create_schema(database_url(settings))
    docs = Documents.open(settings)
    await docs.add(OWNER, "circulaire.pdf", samples.circular_pdf())
    await docs.add(OTHER, "circulaire.pdf", samples.circular_pdf())
    assert (await erase_user(settings, OWNER))["documents"] == 1
    assert docs.list(OWNER) == [] and len(docs.list(OTHER)) == 1
    assert (await purge_older_than(settings, days=30))["documents"] == 0
    assert len(docs.list(OTHER)) == 1
    assert (await purge_older_than(settings, days=0))["documents"] == 1
    assert docs.list(OTHER) == []
    assert await docs.search(OTHER, published("délai d'instruction")) == []


def test_chunks_keep_page_and_heading() -> None:
    from chatbot.documents.chunk import chunk_sections

    long = " ".join(["Le demandeur fournit une pièce justificative."] * 80)
    chunks = chunk_sections("d1", "t", [Section(page=4, heading="A > B", text=long)])
    assert len(chunks) > 1
    assert all(isinstance(c, DocChunk) and c.page == 4 and c.heading == "A > B" for c in chunks)
    assert all(len(c.text) <= 1200 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == long.split()


async def _ocr_documents(tmp_path: Path, double, *, allowed: bool, served: bool) -> Documents:
    from chatbot.backend import Backend
    from chatbot.fake_albert import OCR_MODEL

    if served:
        double.add_model(OCR_MODEL["id"], OCR_MODEL["type"], OCR_MODEL["aliases"])
    settings = make_settings(tmp_path, double, documents_ocr=allowed)
    backend = Backend(settings)
    await backend.discover()
    return Documents.open(settings, backend)


async def test_a_scan_is_read_by_the_backends_ocr_when_allowed(tmp_path: Path, double) -> None:
    docs = await _ocr_documents(tmp_path, double, allowed=True, served=True)
    try:
        info = await docs.add(OWNER, "scan.pdf", samples.scanned_pdf(pages=2))
        hits = await docs.search(OWNER, published("délai pour accepter la proposition"), k=2)
    finally:
        await docs.backend.aclose()
    assert info.pages == 2 and info.chunks >= 2
    assert hits and hits[0].page in (1, 2) and "dix jours" in hits[0].text
    assert any(r.path.endswith("/v1/ocr") for r in double.requests)


@pytest.mark.parametrize(("allowed", "served"), [(False, True), (True, False)])
async def test_without_ocr_a_scan_gets_the_french_message(
    tmp_path: Path, double, allowed: bool, served: bool
) -> None:
    docs = await _ocr_documents(tmp_path, double, allowed=allowed, served=served)
    try:
        with refused("scanned"):
            await docs.add(OWNER, "scan.pdf", samples.scanned_pdf())
    finally:
        await docs.backend.aclose()
    assert not any(r.path.endswith("/v1/ocr") for r in double.requests)  # nothing sent
    assert docs.list(OWNER) == []


async def test_a_docx_with_broken_xml_is_unreadable_not_a_crash(docs: Documents) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(samples.circular_docx())) as source:
        with zipfile.ZipFile(out, "w") as broken:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "word/document.xml":
                    data = data[: len(data) // 2]  # cut in the middle of an element
                broken.writestr(item, data)
    with refused("unreadable"):
        await docs.add(OWNER, "coupe.docx", out.getvalue())
    assert docs.list(OWNER) == []


async def test_a_docx_with_an_external_entity_does_not_read_the_file(docs: Documents) -> None:
    out = io.BytesIO()
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Avant &x; après</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(io.BytesIO(samples.circular_docx())) as source:
        with zipfile.ZipFile(out, "w") as evil:
            for item in source.infolist():
                data = source.read(item)
                evil.writestr(item, xxe if item.filename == "word/document.xml" else data)
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    try:
        info = await docs.add(OWNER, "entite.docx", out.getvalue())
    except DocumentError:
        return  # refused: fine too
    text = " ".join(c.text for c in docs.chunks_of(OWNER, info.id))
    assert not hostname or hostname not in text
