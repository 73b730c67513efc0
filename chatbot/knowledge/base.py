"""The knowledge base: incremental sync from the folder, hybrid search, live watching."""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chatbot import metrics
from chatbot.knowledge.check import FileCache, Scan, scan
from chatbot.knowledge.embedding import (
    BackendEmbedder,
    Embedder,
    OfflineEmbedder,
    offline_vector,
)
from chatbot.knowledge.lexical import LexicalIndex
from chatbot.knowledge.models import AUDIENCES, Chunk, Hit, Problem, SyncReport
from chatbot.knowledge.store import Store, make_client
from chatbot.knowledge.text import expand
from chatbot.knowledge.watch import watch as watch_folder
from chatbot.logs import get_logger, timed
from chatbot.outbound import Outbound, published
from chatbot.settings import Settings

log = get_logger("guichet.knowledge")

RRF_K = 60
CANDIDATES = 40  # per retriever, before fusion
RERANK_TOP = 20
# Offline, by measurement on the dev set (`chatbot eval retrieval`, 259 in-scope questions):
# lexical alone is best on questions typed cleanly (MRR agents 0.925 / public 0.987), the
# hashed n-gram vectors alone are weaker (0.820 / 0.943), but fused at a quarter weight they
# recover misspelt questions (typo set MRR public 0.873 -> 0.92) for a small loss on clean
# agents questions (0.925 -> 0.892). Both stay in, the dense one at low weight.
USE_DENSE_OFFLINE = True
DENSE_WEIGHT = 0.25  # offline dense ranking's weight in the fusion (lexical = 1)
# A real embedding model (bge-m3 on Albert) understands paraphrase: equal weight. Not
# measurable here (the test double embeds a bag of words); tune with `eval retrieval`.
BACKEND_DENSE_WEIGHT = 1.0


class KnowledgeBase:
    def __init__(
        self,
        settings: Settings,
        client: Any,
        backend: Any = None,
        *,
        use_dense: bool = USE_DENSE_OFFLINE,
    ) -> None:
        self.settings = settings
        # Chroma, embedded or server (its heartbeat is /ready's probe); shared with the agents'
        # documents (chatbot.documents).
        self.client = client
        self.backend = backend
        self.use_dense = use_dense
        self.dense_weight = DENSE_WEIGHT
        self.offline = OfflineEmbedder()
        self.embedders: list[Embedder] = [self.offline]
        if backend is not None and settings.use_backend_embeddings:
            self.embedders.append(BackendEmbedder(backend, settings.embedding_model))
        self.stores = {e.space: Store(client, e.space) for e in self.embedders}
        # The offline space is always complete: it is the fallback and the source of truth
        # for the in-memory chunk table and lexical index.
        self.chunks: dict[str, Chunk] = self.stores[self.offline.space].all()
        self.lexical = LexicalIndex()
        for c in self.chunks.values():
            self.lexical.add(c.id, c.audience, c.index_text)
        # What each space holds (id -> (hash, text_hash)), kept in memory so that a re-sync
        # does not read 10,000 metadata rows back from Chroma.
        self._state: dict[str, dict[str, tuple[str, str]]] = {
            space: (
                {i: (c.hash, c.text_hash) for i, c in self.chunks.items()}
                if space == self.offline.space
                else store.hashes()
            )
            for space, store in self.stores.items()
        }
        self._files: FileCache = {}
        self._stale: set[str] = set()  # spaces whose last sync failed (backend down)
        self._lock = asyncio.Lock()
        self.last_scan: Scan | None = None
        # Only for a throw-away preview index (see `commands.scratch_kb`): drafts are served.
        self.serve_drafts = False
        self.last_timings: dict[str, float] = {}  # ms per sync phase, for the benchmark
        self.embed_calls = 0  # chunks embedded since open, all spaces (for tests, bench)
        self.record_size()  # a reader's reload builds a new base: its size is the one served

    @classmethod
    def open(cls, settings: Settings, backend: Any = None, **options: Any) -> KnowledgeBase:
        """Chroma embedded in the data folder, or the Chroma server when `chroma_url` is set."""
        return cls(settings, make_client(settings), backend, **options)

    # ---------------------------------------------------------------- validation

    def check(self) -> list[Problem]:
        return scan(self.settings.knowledge_dir).problems

    # ---------------------------------------------------------------- sync

    async def sync(self, progress: bool = False) -> SyncReport:
        async with self._lock:
            return await self._sync(progress)

    async def _sync(self, progress: bool) -> SyncReport:
        started = time.perf_counter()
        folder = self.settings.knowledge_dir
        if not folder.is_dir():
            # A wrong path must not read as "every fiche was deleted": keep the index.
            log.error("kb_folder_missing")
            missing = Problem(
                path=str(folder),
                line=0,
                message="knowledge folder not found",
                hint="create it, or set GUICHET_KNOWLEDGE_DIR to the folder"
                " that holds public/ and agents/",
            )
            return SyncReport(
                unchanged=len({c.key for c in self.chunks.values()}), errors=[missing]
            )
        timings: dict[str, float] = {}
        with timed(timings, "scan_ms"):
            result = await asyncio.to_thread(
                scan, folder, self._files, serve_drafts=self.serve_drafts
            )
        self.last_scan = result
        self.last_timings = timings
        desired: dict[str, Chunk] = {}
        for fiche in result.fiches.values():
            for c in fiche.chunks:
                desired[c.id] = c
        # A file with an error keeps serving its last good version.
        for c in self.chunks.values():
            if c.path in result.blocked and c.id not in desired:
                desired[c.id] = c

        report = _diff(self.chunks, desired)
        report.errors = result.errors
        report.warnings = result.warnings

        # The bar is worth showing on long runs only (e.g. a first sync of the seed content).
        progress = progress and report.added + report.updated + report.moved > 20
        for embedder in self.embedders:
            store = self.stores[embedder.space]
            try:
                with timed(timings, f"{embedder.space}_ms"):
                    report.embedded += await self._sync_space(embedder, store, desired, progress)
                self._stale.discard(embedder.space)
            except Exception as exc:  # the backend is down: offline keeps working
                if embedder is self.offline:
                    raise
                self._stale.add(embedder.space)
                log.warning(
                    "kb_backend_sync_failed", space=embedder.space, error=type(exc).__name__
                )

        # Mirror the offline space in memory and in the lexical index.
        for chunk_id in [i for i in self.chunks if i not in desired]:
            del self.chunks[chunk_id]
            self.lexical.remove(chunk_id)
        for chunk_id, c in desired.items():
            old = self.chunks.get(chunk_id)
            if old is None or old.hash != c.hash:
                self.chunks[chunk_id] = c
                self.lexical.add(chunk_id, c.audience, c.index_text)
        log.info(
            "kb_synced",
            added=report.added,
            updated=report.updated,
            removed=report.removed,
            moved=report.moved,
            unchanged=report.unchanged,
            embedded=report.embedded,
            errors=len(report.errors),
            warnings=len(report.warnings),
            chunks=len(self.chunks),
            ms=round((time.perf_counter() - started) * 1000, 1),
            **timings,
        )
        self.record_size()
        return report

    def record_size(self) -> None:
        """The size of the base this process now serves, for /metrics."""
        metrics.record_knowledge(len(self.chunks), len({c.key for c in self.chunks.values()}))

    async def _sync_space(
        self, embedder: Embedder, store: Store, desired: dict[str, Chunk], progress: bool
    ) -> int:
        existing = self._state[embedder.space]
        to_write = [c for c in desired.values() if existing.get(c.id, ("", ""))[0] != c.hash]
        to_delete = [i for i in existing if i not in desired]
        if not to_write and not to_delete:
            return 0
        # Reuse vectors whose text did not change (metadata edits, renames, moves).
        by_text = {text_hash: chunk_id for chunk_id, (_, text_hash) in existing.items()}
        reuse = {c.id: by_text[c.text_hash] for c in to_write if c.text_hash in by_text}
        vectors = await asyncio.to_thread(store.vectors, sorted(set(reuse.values())))
        to_embed = [c for c in to_write if reuse.get(c.id) not in vectors]
        fresh = await self._embed(embedder, to_embed, progress)
        fresh_by_id = {c.id: fresh[i] for i, c in enumerate(to_embed)}
        matrix = (
            np.stack(
                [
                    fresh_by_id[c.id] if c.id in fresh_by_id else vectors[reuse[c.id]]
                    for c in to_write
                ]
            )
            if to_write
            else None
        )
        if to_write:
            await asyncio.to_thread(store.upsert, to_write, matrix)
            existing.update({c.id: (c.hash, c.text_hash) for c in to_write})
        if to_delete:
            await asyncio.to_thread(store.delete, to_delete)
            for chunk_id in to_delete:
                existing.pop(chunk_id, None)
        return len(to_embed)

    async def _embed(
        self, embedder: Embedder, chunks: Sequence[Chunk], progress: bool
    ) -> np.ndarray:
        if not chunks:
            return np.zeros((0, 1), dtype=np.float32)
        bar = _Progress(len(chunks), embedder.space) if progress else None
        parts = []
        step = 64
        for start in range(0, len(chunks), step):
            texts = [c.index_text for c in chunks[start : start + step]]
            parts.append(await embedder.embed_documents(texts))
            self.embed_calls += len(texts)
            if bar:
                bar.update(start + len(texts))
        if bar:
            bar.close()
        return np.concatenate(parts)

    # ---------------------------------------------------------------- search

    async def search(self, query: Outbound, audiences: frozenset[str], k: int = 5) -> list[Hit]:
        """Best sections for `query` among fiches readable by `audiences` (server-decided)."""
        if not isinstance(query, Outbound):
            raise TypeError("search() takes an Outbound query (it must pass the privacy gate)")
        allowed = frozenset(a for a in audiences if a in AUDIENCES)
        if not allowed or not query.strip() or k <= 0:
            return []
        started = time.perf_counter()
        # Offline signals read the query with everyday words translated; the backend model
        # gets the question as the user wrote it.
        expanded = expand(query)
        lexical = self.lexical.search(expanded, allowed, CANDIDATES)
        dense, mode = await self._dense(query, expanded, allowed) if self.use_dense else ([], "off")

        fused: dict[str, float] = defaultdict(float)
        for rank, (chunk_id, _, _) in enumerate(lexical):
            fused[chunk_id] += 1.0 / (RRF_K + rank + 1)
        weight = self.dense_weight if mode == self.offline.space else BACKEND_DENSE_WEIGHT
        for rank, (chunk_id, _) in enumerate(dense):
            fused[chunk_id] += weight / (RRF_K + rank + 1)
        max_rrf = ((1.0 + weight) if dense else 1.0) / (RRF_K + 1)
        coverage = {chunk_id: cov for chunk_id, _, cov in lexical}
        similarity = dict(dense)
        # The audience filter is inside both queries; this is the last line of defence.
        ranked = [
            i
            for i in sorted(fused, key=lambda i: -fused[i])
            if i in self.chunks and self.chunks[i].audience in allowed
        ]
        if not ranked:
            return []
        # RRF only knows ranks; scale by how well the best candidates actually match so an
        # out-of-scope question scores low in absolute terms.
        top = ranked[:3]
        confidence = max(_match(coverage.get(i, 0.0), similarity.get(i)) for i in top)
        scores = {i: min(1.0, fused[i] / max_rrf) * confidence for i in ranked}

        reranked = await self._rerank(query, ranked[:RERANK_TOP])
        if reranked is not None:
            order = [i for i, _ in reranked]
            # Candidates the reranker left out (top_n, bad index) follow, then the rest.
            tail = [i for i in ranked[:RERANK_TOP] if i not in set(order)] + ranked[RERANK_TOP:]
            ranked = order + tail
            scores.update({i: s for i, s in reranked})
            floor = min((s for _, s in reranked), default=0.0)
            scores.update({i: min(scores[i], floor) for i in tail})  # keep scores monotonic
            mode += "+rerank"
        # A sync may have removed a chunk while the rerank was awaited.
        hits = [self._hit(i, scores[i]) for i in ranked if i in self.chunks][:k]
        log.debug(
            "kb_search",
            mode=mode,
            k=k,
            audiences=sorted(allowed),
            lexical=[(i, round(s, 3), round(c, 3)) for i, s, c in lexical[:k]],
            dense=[(i, round(s, 3)) for i, s in dense[:k]],
            hits=[(h.fiche_id, h.anchor, round(h.score, 3)) for h in hits],
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return hits

    async def _dense(
        self, query: Outbound, expanded: str, allowed: frozenset[str]
    ) -> tuple[list[tuple[str, float]], str]:
        for embedder in reversed(self.embedders):  # backend first when configured
            if embedder.space in self._stale and embedder is not self.offline:
                continue
            try:
                if embedder is self.offline:
                    vector = offline_vector(expanded)  # computed here, sent nowhere
                else:
                    vector = await embedder.embed_query(query)
                hits = await asyncio.to_thread(
                    self.stores[embedder.space].query, vector, allowed, CANDIDATES
                )
                return hits, embedder.space
            except TypeError:
                raise
            except Exception as exc:
                if embedder is self.offline:
                    raise
                log.warning("kb_search_degraded", reason="embeddings", error=type(exc).__name__)
        return [], "none"

    async def _rerank(self, query: Outbound, ids: list[str]) -> list[tuple[str, float]] | None:
        if self.backend is None or not self.settings.use_rerank or len(ids) < 2:
            return None
        documents = [published(self.chunks[i].index_text) for i in ids]
        try:
            result = self.backend.rerank(query, documents, model=self.settings.rerank_model)
            if inspect.isawaitable(result):
                result = await result
        except TypeError:
            raise
        except Exception as exc:
            log.warning("kb_search_degraded", reason="rerank", error=type(exc).__name__)
            return None
        ordered = sorted(result, key=lambda r: -float(r.score))
        return [
            (ids[r.index], max(0.0, min(1.0, float(r.score))))
            for r in ordered
            if 0 <= r.index < len(ids)
        ]

    def _hit(self, chunk_id: str, score: float) -> Hit:
        c = self.chunks[chunk_id]
        return Hit(
            fiche_id=c.fiche_id,
            title=c.title,
            audience=c.audience,
            heading=c.heading,
            anchor=c.anchor,
            url=c.url,
            text=c.text,
            score=round(float(score), 4),
            sources=c.sources,
        )

    # ---------------------------------------------------------------- watch

    async def watch(self, stop: asyncio.Event | None = None) -> None:
        await watch_folder(self.settings.knowledge_dir, self.sync, stop)


def _match(coverage: float, similarity: float | None) -> float:
    """Absolute match quality 0..1 of one chunk, from lexical coverage and cosine."""
    if similarity is None:
        return coverage
    return max(coverage, 0.5 * coverage + 0.5 * max(0.0, similarity))


def _diff(current: dict[str, Chunk], desired: dict[str, Chunk]) -> SyncReport:
    """Fiche-level counts: added, updated, removed, unchanged, moved (renames)."""

    def by_fiche(chunks: dict[str, Chunk]) -> dict[str, dict[str, Chunk]]:
        grouped: dict[str, dict[str, Chunk]] = defaultdict(dict)
        for c in chunks.values():
            grouped[c.key][c.id] = c
        return grouped

    old, new = by_fiche(current), by_fiche(desired)
    report = SyncReport()
    added = [k for k in new if k not in old]
    removed = [k for k in old if k not in new]
    for key in new.keys() & old.keys():
        same = new[key].keys() == old[key].keys() and all(
            new[key][i].hash == old[key][i].hash for i in new[key]
        )
        if same:
            report.unchanged += 1
        else:
            report.updated += 1

    def signature(chunks: dict[str, Chunk]) -> tuple[str, ...]:
        return tuple(sorted(c.text_hash for c in chunks.values()))

    gone = defaultdict(list)
    for key in removed:
        gone[signature(old[key])].append(key)
    for key in added:
        match = gone.get(signature(new[key]))
        if match:
            match.pop()
            report.moved += 1
    report.added = len(added) - report.moved
    report.removed = len(removed) - report.moved
    return report


class _Progress:
    """A plain progress bar on stderr for long syncs."""

    def __init__(self, total: int, label: str, write: Callable[[str], Any] | None = None) -> None:
        self.total = total
        self.label = label
        self.write = write or sys.stderr.write

    def update(self, done: int) -> None:
        width = 30
        filled = int(width * done / self.total)
        self.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}")

    def close(self) -> None:
        self.write("\n")
