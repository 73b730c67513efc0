"""``chatbot bench documents``: parse + index throughput and memory on a generated PDF,
offline, and the owner-isolation choice (one collection per owner vs a ``where`` filter)."""

from __future__ import annotations

import asyncio
import gc
import io
import random
import resource
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from chatbot.documents import samples
from chatbot.documents.library import Documents
from chatbot.documents.parse import parse
from chatbot.knowledge.embedding import DIM
from chatbot.knowledge.store import RefuseToEmbed, make_client
from chatbot.outbound import published
from chatbot.settings import Settings


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1024 / 1024


class _PeakRss:
    """Samples the resident memory every 20 ms while a phase runs."""

    def __enter__(self) -> _PeakRss:
        self.peak = self.start = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _isolation(client, owners: int = 20, per_owner: int = 300, queries: int = 100) -> None:
    """Query time: the owner's own collection vs one shared collection filtered by owner."""
    rng = np.random.default_rng(7)
    shared = client.get_or_create_collection(
        "bench-docs-shared",
        embedding_function=RefuseToEmbed(),
        configuration={"hnsw": {"space": "cosine"}},
    )
    own = []
    for o in range(owners):
        vectors = rng.standard_normal((per_owner, DIM)).astype(np.float32)
        ids = [f"o{o}-{i}" for i in range(per_owner)]
        metas = [{"owner": f"o{o}"} for _ in ids]
        shared.add(ids=ids, embeddings=vectors, metadatas=metas)
        collection = client.get_or_create_collection(
            f"bench-docs-own-{o}",
            embedding_function=RefuseToEmbed(),
            configuration={"hnsw": {"space": "cosine"}},
        )
        collection.add(ids=ids, embeddings=vectors, metadatas=metas)
        own.append(collection)
    probes = rng.standard_normal((queries, DIM)).astype(np.float32)
    timings = {}
    for label, run in (
        ("one collection per owner", lambda q, o: own[o].query(query_embeddings=[q], n_results=30)),
        (
            "shared collection + where",
            lambda q, o: shared.query(query_embeddings=[q], n_results=30, where={"owner": f"o{o}"}),
        ),
    ):
        started = time.perf_counter()
        for i, q in enumerate(probes):
            run(q, i % owners)
        timings[label] = (time.perf_counter() - started) * 1000 / queries
    print(f"owner isolation ({owners} owners x {per_owner} chunks, {queries} queries, k=30):")
    for label, ms in timings.items():
        print(f"  {label:28s} {ms:6.1f} ms/query")


async def run(pages: int = 300, owners: int = 20) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        data = samples.circular_pdf(filler_pages=max(pages - 4, 0))
        print(f"document: generated French circular, {pages} pages, {len(data) / 1e6:.1f} MB PDF")
        started = time.perf_counter()
        count = len(parse("pdf", data, 10_000).sections)
        pdfium_s = time.perf_counter() - started
        print(
            f"parse only (PDFium): {pdfium_s:.2f} s = {pages / pdfium_s:.0f} pages/s, "
            f"{count} sections"
        )
        try:
            from pypdf import PdfReader  # dev dependency: the measured alternative

            started = time.perf_counter()
            reader = PdfReader(io.BytesIO(data))
            _ = [page.extract_text() for page in reader.pages]
            pypdf_s = time.perf_counter() - started
            print(
                f"parse only (pypdf, for comparison): {pypdf_s:.2f} s = "
                f"{pages / pypdf_s:.0f} pages/s"
            )
        except ImportError:
            pass

        docs = Documents(settings, make_client(settings))
        # Warm-up: load spaCy and the analyser once, as a running server already has.
        await docs.add("bench-warmup", "warmup.md", samples.circular_markdown().encode())
        gc.collect()
        with _PeakRss() as memory:
            started = time.perf_counter()
            info = await docs.add("bench-owner", "circulaire-300.pdf", data)
            total = time.perf_counter() - started
        t = docs.last_timings
        print(
            f"upload (parse + privacy gate + chunk + offline embed + Chroma index): {total:.1f} s "
            f"= {pages / total:.1f} pages/s, {info.chunks} chunks"
        )
        print(
            "  phases: "
            + ", ".join(f"{name} {ms / 1000:.2f} s" for name, ms in t.items())
            + f"; masked {sum(info.masked.values())} values"
        )
        print(
            f"  memory: rss {memory.start:.0f} MB before, peak {memory.peak:.0f} MB during "
            f"(+{memory.peak - memory.start:.0f} MB)"
        )
        words = "délai instruction demande pièce justificatif montant recours bailleur".split()
        rng = random.Random(3)
        queries = [" ".join(rng.sample(words, 3)) for _ in range(50)]
        started = time.perf_counter()
        for query in queries:
            await docs.search("bench-owner", published(query), k=5)
        print(
            f"search in the owner's document: {(time.perf_counter() - started) * 20:.1f} ms/query"
        )
        _isolation(make_client(settings), owners=owners)
    return 0


def main(pages: int, owners: int) -> int:
    return asyncio.run(run(pages, owners))
