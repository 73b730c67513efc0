"""Chroma collections that only their owner can query: one per owner (and vector space).

The owner is the collection. A query names one owner's collection, chosen by the server from
the authenticated user, so another user's chunks are not filtered out: they are not there.
(Measured by ``chatbot bench documents``: a ``where`` on an owner field in one shared
collection is slower and one forgotten filter away from a leak.) Every chunk still carries
its owner key and is checked again after the query, the last line of defence.

Per owner: ``guichet-docs-<space>-<owner>`` holds the chunks of one vector space, and
``guichet-docs-index-<owner>`` one record per *complete* document. The record is written
last and removed first, so a document is either searchable whole or not at all: chunks
without a record (a crash mid-way) are never returned and the purge removes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from chatbot.documents.models import DocChunk, DocumentInfo
from chatbot.knowledge.store import RefuseToEmbed

PREFIX = "guichet-docs-"
INDEX = PREFIX + "index-"
_PAGE = 2000  # rows per Chroma write (its batch limit is higher; this bounds memory)


def owner_key(owner_id: str) -> str:
    """A fixed-length key for a user id: collection names stay short and hold no name."""
    if not owner_id or not isinstance(owner_id, str):
        raise ValueError("a document always has an owner")
    return hashlib.sha256(owner_id.encode("utf-8")).hexdigest()[:32]


def _space_key(space: str) -> str:
    return hashlib.sha256(space.encode("utf-8")).hexdigest()[:10]


class OwnerStore:
    """One owner's documents in Chroma."""

    def __init__(self, client: Any, key: str, spaces: Sequence[str]) -> None:
        """``key``: ``owner_key(user id)``, computed by the server from the logged-in user."""
        self.client = client
        self.key = key
        self.index = client.get_or_create_collection(
            INDEX + self.key, embedding_function=RefuseToEmbed()
        )
        self.chunks = {
            space: client.get_or_create_collection(
                f"{PREFIX}{_space_key(space)}-{self.key}",
                embedding_function=RefuseToEmbed(),
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"space": space},
            )
            for space in spaces
        }

    # ------------------------------------------------------------------ documents

    def documents(self) -> list[DocumentInfo]:
        page = self.index.get(include=["documents"])
        docs = [DocumentInfo.model_validate_json(d) for d in page["documents"] or [] if d]
        return sorted(docs, key=lambda d: d.created_at, reverse=True)

    def complete_ids(self) -> set[str]:
        return set(self.index.get(include=[])["ids"])

    def write(self, info: DocumentInfo, chunks: list[DocChunk], vectors: dict[str, Any]) -> None:
        """All chunks in every space, then the record: searchable whole, or not at all."""
        try:
            for space, collection in self.chunks.items():
                matrix = np.asarray(vectors[space], dtype=np.float32)
                for start in range(0, len(chunks), _PAGE):
                    part = chunks[start : start + _PAGE]
                    collection.add(
                        ids=[c.id for c in part],
                        embeddings=matrix[start : start + len(part)],
                        documents=[c.text for c in part],
                        metadatas=[self._meta(c) for c in part],
                    )
            self.index.add(
                ids=[info.id],
                embeddings=[[1.0]],  # the index is read by id, never searched
                documents=[info.model_dump_json()],
                metadatas=[{"owner": self.key, "created_at": info.created_at}],
            )
        except BaseException:
            self.remove_chunks(info.id)
            raise

    def delete(self, doc_id: str) -> bool:
        found = bool(self.index.get(ids=[doc_id], include=[])["ids"])
        self.index.delete(ids=[doc_id])  # first: the document stops being searchable
        self.remove_chunks(doc_id)
        return found

    def remove_chunks(self, doc_id: str) -> None:
        for collection in self.chunks.values():
            collection.delete(where={"doc_id": doc_id})

    def _meta(self, chunk: DocChunk) -> dict[str, Any]:
        return {
            "owner": self.key,
            "doc_id": chunk.doc_id,
            "n": chunk.n,
            "title": chunk.title,
            "page": chunk.page if chunk.page is not None else 0,
            "heading": chunk.heading,
        }

    # ------------------------------------------------------------------ reading

    def query(self, space: str, vector: np.ndarray, n: int) -> list[tuple[DocChunk, float]]:
        collection = self.chunks[space]
        count = collection.count()
        if not count:
            return []
        complete = self.complete_ids()
        result = collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(n, count),
            include=["documents", "metadatas", "distances"],
        )
        found = []
        for chunk_id, text, meta, distance in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            meta = meta or {}
            # The collection is the owner's; checking again costs nothing.
            if meta.get("owner") != self.key or meta.get("doc_id") not in complete:
                continue
            found.append((self._chunk(chunk_id, text or "", meta), 1.0 - float(distance)))
        return found

    def chunks_of(self, doc_id: str) -> list[DocChunk]:
        """Every chunk of one document, in reading order (for the synthesis)."""
        collection = next(iter(self.chunks.values()))
        page = collection.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        chunks = [
            self._chunk(i, text or "", meta or {})
            for i, text, meta in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True
            )
            if (meta or {}).get("owner") == self.key
        ]
        return sorted(chunks, key=lambda c: c.n)

    @staticmethod
    def _chunk(chunk_id: str, text: str, meta: dict[str, Any]) -> DocChunk:
        page = int(meta.get("page") or 0)
        return DocChunk(
            id=chunk_id,
            doc_id=str(meta.get("doc_id", "")),
            n=int(meta.get("n") or 0),
            title=str(meta.get("title", "")),
            page=page or None,
            heading=str(meta.get("heading", "")),
            text=text,
        )


def owner_collections(client: Any) -> list[str]:
    """The owner keys that have documents (for retention)."""
    names = [getattr(c, "name", c) for c in client.list_collections()]
    return sorted({n[len(INDEX) :] for n in names if n.startswith(INDEX)})


def drop_owner(client: Any, key: str) -> int:
    """Delete every collection of one owner key; return the number of documents it held."""
    names = [getattr(c, "name", c) for c in client.list_collections()]
    documents = 0
    for name in names:
        if name == INDEX + key:
            documents = client.get_collection(name).count()
        if name.startswith(PREFIX) and name.endswith("-" + key):
            client.delete_collection(name)
    return documents


def _timestamp(value: object) -> float:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def purge_owner(client: Any, key: str, cutoff: float) -> int:
    """Delete one owner's documents created before ``cutoff`` (a UNIX time), in every vector
    space, and the chunks of uploads that never finished. Returns documents deleted."""
    names = [getattr(c, "name", c) for c in client.list_collections()]
    index = client.get_collection(INDEX + key, embedding_function=RefuseToEmbed())
    spaces = [
        client.get_collection(n, embedding_function=RefuseToEmbed())
        for n in names
        if n.startswith(PREFIX) and n.endswith("-" + key) and n != INDEX + key
    ]
    page = index.get(include=["metadatas"])
    old = [
        i
        for i, meta in zip(page["ids"], page["metadatas"] or [], strict=True)
        if _timestamp((meta or {}).get("created_at")) < cutoff
    ]
    if old:
        index.delete(ids=old)
    complete = set(index.get(include=[])["ids"])
    for collection in spaces:
        rows = collection.get(include=["metadatas"])
        stale = [
            i
            for i, meta in zip(rows["ids"], rows["metadatas"] or [], strict=True)
            if (meta or {}).get("doc_id") not in complete
        ]
        for start in range(0, len(stale), _PAGE):
            collection.delete(ids=stale[start : start + _PAGE])
    return len(old)
