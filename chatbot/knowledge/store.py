"""Chroma access: one client (embedded or server); per vector space, one collection per
audience.

The audience is the collection: a public caller's query only ever reads the public
collection, so no filter can be forgotten or bypassed. (It is also what keeps filtered
queries fast: a metadata `where` costs ~70 ms at 10,000 chunks in Chroma 1.5, a plain
query ~3 ms.) Each chunk also carries its audience in its metadata and id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from chatbot.filelock import FileLock
from chatbot.knowledge.models import AUDIENCES, Chunk
from chatbot.settings import Settings


def _chroma_settings() -> chromadb.Settings:
    # A fresh object per client: HttpClient writes its server address into the settings it
    # is given, and a shared object would turn the next PersistentClient into an HTTP one.
    return chromadb.Settings(anonymized_telemetry=False)


_PAGE = 5000


class RefuseToEmbed(EmbeddingFunction[Documents]):
    """Set on every collection so Chroma never falls back to its default model (a download).

    We always pass vectors; if some code path ever asks Chroma to embed text, it fails loudly.
    """

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        raise RuntimeError("Guichet passes embeddings explicitly; Chroma must not embed text")

    @staticmethod
    def name() -> str:
        return "guichet-explicit"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> RefuseToEmbed:
        return RefuseToEmbed()


def make_client(settings: Settings) -> Any:
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=_chroma_settings(),
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    # Chroma creates its tables on first open, and two processes opening a new folder at
    # once fail ("table collections already exists", "database is locked"): take turns.
    with FileLock(f"{settings.chroma_dir}.open-lock"):
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=_chroma_settings())


def audience_of(chunk_id: str) -> str:
    return chunk_id.split("/", 1)[0]


class Store:
    """The collections of one vector space, one per audience."""

    def __init__(self, client: Any, space: str) -> None:
        self.space = space
        self.collections = {
            audience: client.get_or_create_collection(
                f"guichet-kb-{space}-{audience}",
                embedding_function=RefuseToEmbed(),
                configuration={"hnsw": {"space": "cosine"}},
            )
            for audience in AUDIENCES
        }
        # Cached: a count() per query costs a round trip.
        self.counts = {a: c.count() for a, c in self.collections.items()}

    def _pages(self, include: list[str]) -> Any:
        for collection in self.collections.values():
            offset = 0
            while True:
                page = collection.get(include=include, limit=_PAGE, offset=offset)
                yield page
                if len(page["ids"]) < _PAGE:
                    break
                offset += _PAGE

    def all(self) -> dict[str, Chunk]:
        chunks: dict[str, Chunk] = {}
        for page in self._pages(["documents", "metadatas"]):
            for chunk_id, doc, meta in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
            ):
                chunks[chunk_id] = Chunk.from_store(chunk_id, doc or "", dict(meta or {}))
        return chunks

    def hashes(self) -> dict[str, tuple[str, str]]:
        """chunk id -> (hash, text_hash), without loading documents."""
        found: dict[str, tuple[str, str]] = {}
        for page in self._pages(["metadatas"]):
            for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                meta = meta or {}
                found[chunk_id] = (str(meta.get("hash", "")), str(meta.get("text_hash", "")))
        return found

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for audience, group in _by_audience(ids).items():
            page = self.collections[audience].get(ids=group, include=["embeddings"])
            for chunk_id, vector in zip(page["ids"], page["embeddings"], strict=True):
                found[chunk_id] = np.asarray(vector, dtype=np.float32)
        return found

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        rows: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(chunks):
            rows[c.audience].append(i)
        for audience, index in rows.items():
            collection = self.collections[audience]
            for start in range(0, len(index), _PAGE):
                part = index[start : start + _PAGE]
                collection.upsert(
                    ids=[chunks[i].id for i in part],
                    embeddings=vectors[part],
                    documents=[chunks[i].text for i in part],
                    metadatas=[chunks[i].metadata() for i in part],
                )
            self.counts[audience] = collection.count()

    def delete(self, ids: Sequence[str]) -> None:
        for audience, group in _by_audience(ids).items():
            collection = self.collections[audience]
            for start in range(0, len(group), _PAGE):
                collection.delete(ids=group[start : start + _PAGE])
            self.counts[audience] = collection.count()

    def query(
        self, vector: np.ndarray, audiences: frozenset[str], n: int
    ) -> list[tuple[str, float]]:
        """Nearest chunks among the collections of `audiences`: (id, cosine similarity)."""
        found: list[tuple[str, float]] = []
        embedding = [np.asarray(vector, dtype=np.float32)]
        for audience in sorted(audiences & set(AUDIENCES)):
            count = self.counts[audience]
            if not count:
                continue
            result = self.collections[audience].query(
                query_embeddings=embedding, n_results=min(n, count), include=["distances"]
            )
            found += [
                (chunk_id, 1.0 - float(distance))
                for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True)
            ]
        found.sort(key=lambda item: -item[1])
        return found[:n]


def _by_audience(ids: Sequence[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for chunk_id in ids:
        groups[audience_of(chunk_id)].append(chunk_id)
    return groups
