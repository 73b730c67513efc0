"""Agents' own documents: add, list, delete, search. The one interface every channel uses
(the helpdesk chat in ``chatbot.documents.chat``, the HTTP API, the CLI).

The owner is always an argument set by the server from the authenticated user; nothing here
reads it from a request. Privacy: the file is parsed in memory, its text goes through a
privacy gate of its own (a fresh ``Pseudonymiser`` per document, whose mapping is dropped
when the upload ends), and only the pseudonymised text is chunked, embedded (offline, and by
the backend's model when one is configured) and stored. The original file and its personal
values are never stored and never sent: the owner sees «NOM_1» where the file had a name.
Document placeholders are written «NOM_1», not <NOM_1>, so that a conversation's own gate
never "re-personalises" them with the values of a different person typed in the chat.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from chatbot.documents.chunk import chunk_sections
from chatbot.documents.models import DocChunk, DocumentError, DocumentInfo, Parsed
from chatbot.documents.parse import parse
from chatbot.documents.sniff import check_size, identify
from chatbot.documents.store import (
    OwnerStore,
    drop_owner,
    owner_collections,
    owner_key,
    purge_owner,
)
from chatbot.knowledge.embedding import BackendEmbedder, Embedder, OfflineEmbedder, offline_vector
from chatbot.knowledge.models import Hit
from chatbot.knowledge.store import make_client
from chatbot.knowledge.text import terms
from chatbot.logs import get_logger
from chatbot.outbound import Outbound
from chatbot.settings import Settings

log = get_logger("guichet.documents")

CANDIDATES = 30
AUDIENCE = "document"  # a Hit's audience for a document chunk: never a fiche audience
_PLACEHOLDER = re.compile(r"<([A-Z_]+)_(\d{1,4})>")
_NAME_PART = re.compile(r"\b[A-ZÀ-Ý][\wÀ-ÿ'-]{2,}")
_CIVILITY = {"madame", "monsieur", "mademoiselle", "maître", "docteur", "mme", "mlle"}


def document_placeholders(text: str) -> str:
    """<NOM_1> -> «NOM_1»: the document's own placeholders, never re-personalised."""
    return _PLACEHOLDER.sub(r"«\1_\2»", text)


class Documents:
    def __init__(
        self,
        settings: Settings,
        client: Any,
        embedders: Sequence[Embedder] | None = None,
        allow_list: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.client = client
        self.embedders: list[Embedder] = list(embedders or [OfflineEmbedder()])
        self.spaces = [e.space for e in self.embedders]
        self.allow_list = tuple(allow_list) or tuple(settings.privacy_allow_list)
        self.last_timings: dict[str, float] = {}  # ms per phase of the last add (benchmark)
        self.backend: Any = None  # set by open(): the OCR of scanned PDFs, when allowed

    @classmethod
    def open(cls, settings: Settings, backend: Any = None, **options: Any) -> Documents:
        """Embedders as the knowledge base chooses them (never Chroma's default model)."""
        embedders: list[Embedder] = [OfflineEmbedder()]
        if backend is not None and settings.use_backend_embeddings:
            embedders.append(BackendEmbedder(backend, settings.embedding_model))
        documents = cls(settings, make_client(settings), embedders, **options)
        documents.backend = backend
        return documents

    def _owner(self, owner_id: str) -> OwnerStore:
        return OwnerStore(self.client, owner_key(owner_id), self.spaces)

    @property
    def max_bytes(self) -> int:
        return int(self.settings.documents_max_mb * 1024 * 1024)

    # ------------------------------------------------------------------ add

    async def add_path(self, owner_id: str, filename: str, path: str | Path) -> DocumentInfo:
        """A file on disk (Chainlit's upload): its size is checked before it is read."""
        check_size(os.stat(path).st_size, self.max_bytes)
        data = await asyncio.to_thread(Path(path).read_bytes)
        return await self.add(owner_id, filename, data)

    async def add(self, owner_id: str, filename: str, data: bytes) -> DocumentInfo:
        """Check, parse, pseudonymise, chunk, embed and index one file, all or nothing."""
        started = time.perf_counter()
        check_size(len(data), self.max_bytes)
        store = await asyncio.to_thread(self._owner, owner_id)
        if len(await asyncio.to_thread(store.complete_ids)) >= self.settings.documents_per_user:
            raise DocumentError("too_many_documents")
        max_unzipped = int(self.settings.documents_max_unzipped_mb * 1024 * 1024)
        kind = identify(filename, data, self.settings.documents_types, max_unzipped)
        try:
            parsed = await asyncio.to_thread(parse, kind, data, self.settings.documents_max_pages)
        except DocumentError as exc:
            if exc.code != "scanned" or not self._can_ocr():
                raise
            parsed = await self._ocr(data, filename)
        except (MemoryError, RecursionError, ValueError, KeyError, IndexError, TypeError) as exc:
            # A malformed file that a parser chokes on is the user's file, not our crash.
            log.warning("document_parse_failed", kind=kind, error=type(exc).__name__)
            raise DocumentError("unreadable", type(exc).__name__) from None
        parse_ms = (time.perf_counter() - started) * 1000
        doc_id = uuid.uuid4().hex[:16]
        step = time.perf_counter()
        title, chunks, masked = await asyncio.to_thread(
            self._pseudonymised_chunks, doc_id, filename, parsed
        )
        privacy_ms = (time.perf_counter() - step) * 1000
        step = time.perf_counter()
        vectors: dict[str, Any] = {}
        try:
            for embedder in self.embedders:
                texts = [_index_text(c) for c in chunks]
                if isinstance(embedder, OfflineEmbedder):
                    vectors[embedder.space] = await asyncio.to_thread(_offline_matrix, texts)
                else:  # pseudonymised text only (see the module's docstring)
                    vectors[embedder.space] = await embedder.embed_documents(texts)
            info = DocumentInfo(
                id=doc_id,
                filename=title,
                kind=parsed.kind,
                pages=parsed.pages,
                chunks=len(chunks),
                chars=sum(len(c.text) for c in chunks),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                masked=dict(masked),
            )
            embed_ms = (time.perf_counter() - step) * 1000
            step = time.perf_counter()
            await asyncio.to_thread(store.write, info, chunks, vectors)
            self.last_timings = {
                "parse": parse_ms,
                "privacy": privacy_ms,
                "embed": embed_ms,
                "index": (time.perf_counter() - step) * 1000,
            }
        except DocumentError:
            raise
        except Exception as exc:
            log.warning("document_store_failed", error=type(exc).__name__, kind=kind)
            raise DocumentError("store_failed", type(exc).__name__) from None
        log.info(
            "document_added",
            owner=store.key[:8],
            doc_id=doc_id,
            kind=kind,
            pages=parsed.pages,
            chunks=len(chunks),
            masked=dict(masked),
            parse_ms=round(parse_ms),
            ms=round((time.perf_counter() - started) * 1000),
        )
        return info

    def _can_ocr(self) -> bool:
        return bool(
            self.settings.documents_ocr
            and self.backend is not None
            and self.backend.catalogue.ocr_model() is not None
        )

    async def _ocr(self, data: bytes, filename: str) -> Parsed:
        """A scanned PDF read by the backend's OCR model; its text is pseudonymised next."""
        from chatbot.documents.parse import parse_text

        try:
            pages = await self.backend.ocr(data, filename="document.pdf")
        except Exception as exc:
            log.warning("document_ocr_failed", error=type(exc).__name__)
            raise DocumentError("scanned", "ocr failed") from None
        sections = []
        for page, text in pages:
            for section in parse_text(text.encode("utf-8"), "md").sections:
                sections.append(section.model_copy(update={"page": page}))
        if not sections:
            raise DocumentError("scanned", "ocr found no text")
        log.info("document_ocr", pages=len(pages))
        return Parsed(kind="pdf", pages=len(pages), sections=sections)

    def _pseudonymised_chunks(
        self, doc_id: str, filename: str, parsed: Parsed
    ) -> tuple[str, list[DocChunk], Counter[str]]:
        """The privacy gate over every section, with a mapping that lives for this call."""
        from chatbot.privacy import Pseudonymiser, analyze_batch

        gate = Pseudonymiser(self.allow_list)
        name = Path(filename or "document").name[:120]
        # A heading is analysed with its section: alone, "Délai d'instruction" reads as a name.
        texts = [name] + [f"{' '.join(s.heading.split())}\n{s.text}" for s in parsed.sections]
        clean: list[str] = []
        masked: Counter[str] = Counter()
        names: dict[str, str] = {}  # a surname alone -> the placeholder of the full name
        for text, entities in zip(texts, analyze_batch(texts, self.allow_list), strict=True):
            clean.append(document_placeholders(str(gate.apply(text, entities).text)))
            masked.update(e.type for e in entities)
            for e in entities:
                if e.type == "NOM":
                    value = text[e.start : e.end]
                    placeholder = document_placeholders(str(gate.mask_known(value)))
                    parts = [p for p in _NAME_PART.findall(value) if p.lower() not in _CIVILITY]
                    # A first name and a surname: a person. One capitalised word may be a
                    # false positive ("Examen"), which must not be masked everywhere.
                    if len(parts) >= 2:
                        for part in parts:
                            names.setdefault(part, placeholder)
        # "Madame Sophie Marchetti" on page 2 was found; "Marchetti" alone in the file name or
        # on page 9 is the same person: masked too.
        if names:
            pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?!\w)")
            clean = [pattern.sub(lambda m: names[m.group(1)], text) for text in clean]
        title = clean[0]
        sections = []
        for section, text in zip(parsed.sections, clean[1:], strict=True):
            heading, _, body = text.partition("\n")
            sections.append(section.model_copy(update={"heading": heading, "text": body}))
        return title, chunk_sections(doc_id, title, sections), masked

    # ------------------------------------------------------------------ list, delete

    def list(self, owner_id: str) -> list[DocumentInfo]:
        return self._owner(owner_id).documents()

    def get(self, owner_id: str, doc_id: str) -> DocumentInfo | None:
        return next((d for d in self.list(owner_id) if d.id == doc_id), None)

    def delete(self, owner_id: str, doc_id: str) -> bool:
        found = self._owner(owner_id).delete(str(doc_id))
        log.info("document_deleted", owner=owner_key(owner_id)[:8], doc_id=doc_id, found=found)
        return found

    def chunks_of(self, owner_id: str, doc_id: str) -> list[DocChunk]:
        store = self._owner(owner_id)
        if doc_id not in store.complete_ids():
            return []
        return store.chunks_of(doc_id)

    # ------------------------------------------------------------------ search

    async def search(self, owner_id: str, query: Outbound, k: int = 5) -> list[Hit]:
        """The owner's best chunks for ``query`` (pseudonymised), as cited hits."""
        if not isinstance(query, Outbound):
            raise TypeError("search() takes an Outbound query (it must pass the privacy gate)")
        if not owner_id or not query.strip() or k <= 0:
            return []
        store = await asyncio.to_thread(self._owner, owner_id)
        found: list[tuple[DocChunk, float]] = []
        for embedder in reversed(self.embedders):  # the backend's model first when configured
            try:
                if isinstance(embedder, OfflineEmbedder):
                    vector = offline_vector(query)
                else:
                    vector = await embedder.embed_query(query)
                found = await asyncio.to_thread(store.query, embedder.space, vector, CANDIDATES)
                break
            except Exception as exc:
                if isinstance(embedder, OfflineEmbedder) or isinstance(exc, TypeError):
                    raise
                log.warning("documents_search_degraded", error=type(exc).__name__)
        wanted = set(terms(query))
        scored = []
        for chunk, similarity in found:
            have = set(terms(_index_text(chunk)))
            coverage = len(wanted & have) / len(wanted) if wanted else 0.0
            score = max(coverage, 0.5 * coverage + 0.5 * max(0.0, similarity))
            scored.append((score, similarity, chunk))
        # Coverage saturates on common words; the vector similarity breaks the tie.
        scored.sort(key=lambda item: (-item[0], -item[1]))
        return [_hit(chunk, score) for score, _, chunk in scored[:k]]

    # ------------------------------------------------------------------ retention

    def purge_older_than(self, days: float) -> int:
        """Documents older than ``days`` days (every owner), and chunks of unfinished uploads."""
        cutoff = datetime.now(UTC).timestamp() - days * 86400
        return sum(purge_owner(self.client, key, cutoff) for key in owner_collections(self.client))

    def erase(self, owner_id: str) -> int:
        """GDPR erasure: every document of one user, in every vector space."""
        return drop_owner(self.client, owner_key(owner_id))


def _index_text(chunk: DocChunk) -> str:
    return f"{chunk.title}\n{chunk.heading}\n{chunk.text}"


def _offline_matrix(texts: list[str]) -> np.ndarray:
    return np.stack([offline_vector(t) for t in texts]) if texts else np.zeros((0, 1))


def _hit(chunk: DocChunk, score: float) -> Hit:
    section = chunk.heading.split(" > ")[-1] if chunk.heading else ""
    return Hit(
        fiche_id=f"doc:{chunk.doc_id}",
        title=chunk.title,
        audience=AUDIENCE,
        heading=f"{chunk.title} > {section}" if section else chunk.title,
        anchor=chunk.id,
        url="",  # a private document has no address: no link is ever made to it
        text=chunk.text,
        score=round(float(score), 4),
        page=chunk.page,
    )
