"""`chatbot bench knowledge`: index and re-sync times, query latency, memory (offline).

Runs in a throwaway folder and store; the backend is never called, so the figures are the
knowledge base's own cost. The 10,000-chunk corpus is synthetic: fiches whose sections are
word sequences sampled from the seed content, so vocabulary and term frequencies are real.
"""

from __future__ import annotations

import builtins
import functools
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.check import candidate_files
from chatbot.knowledge.evaluate import callers, load_questions
from chatbot.outbound import published
from chatbot.settings import ROOT, Settings

SECTIONS = 10  # per synthetic fiche
WORDS = 120  # per synthetic section
FALLBACK_QUERIES = [
    ("j'ai perdu ma carte d'identité", "public"),
    ("combien coûte un passeport", "public"),
    ("aide pour payer mon loyer", "public"),
    ("usager agressif au guichet", "agents"),
]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _queries() -> list[tuple[str, str]]:
    path = ROOT / "tests" / "eval" / "retrieval.jsonl"
    if path.exists():
        return [(q.query, q.audience) for q in load_questions(path)]
    return FALLBACK_QUERIES


async def _latency(
    kb: KnowledgeBase, queries: list[tuple[str, str]], n: int
) -> tuple[float, float]:
    sample = [queries[i % len(queries)] for i in range(n)]
    for text, audience in sample[:10]:  # warm caches once
        await kb.search(published(text), callers(audience), 5)
    wall, cpu = [], []
    for text, audience in sample:
        start, start_cpu = time.perf_counter(), time.process_time()
        await kb.search(published(text), callers(audience), 5)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return _percentiles(wall), _percentiles(cpu)


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(0.95 * (len(values) - 1))]
    return f"p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms"


def _synthesise(folder: Path, seed_texts: list[str], chunks: int, rng: random.Random) -> int:
    stream = " ".join(seed_texts).split()
    fiches = max(1, chunks // SECTIONS)
    for n in range(fiches):
        audience = "agents" if n % 5 == 0 else "public"
        start = rng.randrange(len(stream))
        title = " ".join(stream[(start + i) % len(stream)] for i in range(4)).strip("#*-:;,.")
        sections = []
        for s in range(SECTIONS):
            words = [stream[rng.randrange(len(stream))] for _ in range(WORDS)]
            text = " ".join(words).replace("#", "").replace("](", " ")  # no links
            sections.append(f"## Section {s} {words[0]}\n{text}")
        body = "\n\n".join(sections)
        (folder / audience / f"synthetique-{n:05d}.md").write_text(
            "---\n"
            f"title: Synthétique {n} {title.replace(':', ' ')!r}\n"
            "summary: Fiche synthétique pour le banc d'essai.\n"
            "source_url: https://www.service-public.fr/particuliers/vosdroits/F00000\n"
            "updated: 2026-11-28\n"
            "tags: [banc]\n"
            "licence: Licence Ouverte Etalab 2.0\n"
            f"---\nIntroduction.\n\n{body}\n",
            encoding="utf-8",
        )
    return fiches


async def run_bench(settings: Settings, *, chunks: int = 10_000, queries: int = 300) -> int:
    print = functools.partial(builtins.print, flush=True)  # noqa: A001 (progress as it goes)
    rng = random.Random(20261128)
    questions = _queries()
    with tempfile.TemporaryDirectory(prefix="guichet-bench-") as tmp:
        folder = Path(tmp) / "knowledge"
        if settings.knowledge_dir.is_dir():
            shutil.copytree(settings.knowledge_dir, folder)
        for audience in ("public", "agents"):
            (folder / audience).mkdir(parents=True, exist_ok=True)
        bench_settings = settings.model_copy(
            update={
                "data_dir": Path(tmp) / "data",
                "knowledge_dir": folder,
                "chroma_url": "",
                "backend_url": "",
            }
        )
        print(f"offline, {chunks} synthetic chunks target, {queries} queries per size")
        print(f"memory at start: rss {_rss_mb():.0f} MB; load average {os.getloadavg()[0]:.1f}")
        kb = KnowledgeBase.open(bench_settings)

        async def timed_sync(label: str) -> None:
            start = time.perf_counter()
            report = await kb.sync()
            took = time.perf_counter() - start
            split = ", ".join(
                f"{k.removesuffix('_ms')} {v:.0f}" for k, v in kb.last_timings.items()
            )
            print(
                f"  {label}: {took * 1000:.0f} ms [{split}] ({report.embedded} sections "
                f"embedded, {len(kb.chunks)} chunks in store)"
            )

        def touch_one() -> None:
            target = next(
                p
                for p in candidate_files(folder)
                if p.suffix == ".md" and not p.name.startswith("synthetique")
            )
            text = target.read_text(encoding="utf-8")
            target.write_text(text.rstrip("\n") + f"\n\nModifié {time.time()}.\n", encoding="utf-8")

        seed_fiches = len(candidate_files(folder))
        print(f"seed: {seed_fiches} fiches")
        await timed_sync("full index")
        await timed_sync("re-sync, nothing changed")
        touch_one()
        await timed_sync("re-sync, one fiche changed")
        wall, cpu = await _latency(kb, questions, queries)
        print(f"  query latency ({len(kb.chunks)} chunks): wall {wall}; cpu {cpu}")
        print(f"  memory: rss {_rss_mb():.0f} MB, peak {_peak_mb():.0f} MB")

        seed_texts = [c.text for c in kb.chunks.values()]
        made = _synthesise(folder, seed_texts, chunks, rng)
        print(f"synthetic: {made} fiches added")
        await timed_sync("index of the synthetic fiches")
        touch_one()
        await timed_sync("re-sync, one fiche changed")
        wall, cpu = await _latency(kb, questions, queries)
        print(f"  query latency ({len(kb.chunks)} chunks): wall {wall}; cpu {cpu}")
        kb.use_dense = False
        wall, cpu = await _latency(kb, questions, queries)
        print(f"  query latency, lexical only: wall {wall}; cpu {cpu}")
        print(f"  memory: rss {_rss_mb():.0f} MB, peak {_peak_mb():.0f} MB")
        start = time.perf_counter()
        KnowledgeBase.open(bench_settings)
        print(f"  open (restart) at this size: {(time.perf_counter() - start) * 1000:.0f} ms")
    return 0
