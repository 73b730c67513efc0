"""``chatbot bench privacy``: load time, latency per message size, batch throughput, memory."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from chatbot.privacy.terms import split_terms

# Fictional sentences mixing personal data and must-survive terms, cycled to any length.
_SENTENCES = split_terms(
    """
    Bonjour je m'appelle jean dupont et je voudrais savoir où en est mon dossier à la CAF.
    Mon numéro de sécurité sociale est le 2 84 12 2A 004 017 91 et j'habite Ajaccio.
    Vous pouvez me joindre au 06 12 34 56 78 ou par mail à jean.dupont@exemple.fr.
    J'ai envoyé le cerfa 13750 à la préfecture le 12 mars 2024 pour ma carte grise.
    Mon adresse est 12 bis rue des Lilas 69003 Lyon depuis le mois de janvier.
    Madame Durand de France Travail m'a dit d'appeler le 39 49 pour mon inscription.
    Le montant de 850 euros de RSA n'a pas été versé ce mois-ci malgré mes relances.
    Mon IBAN est FR76 3000 6000 0112 3456 7890 189 pour le remboursement Ameli.
    """.replace(".\n", ".,\n")
)


def make_text(size: int, offset: int = 0) -> str:
    parts: list[str] = []
    index = offset
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(_SENTENCES[index % len(_SENTENCES)])
        index += 1
    return " ".join(parts)[:size]


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_COLD = """
import time
t0 = time.perf_counter()
import chatbot.privacy
t1 = time.perf_counter()
chatbot.privacy.get_analyzer()
t2 = time.perf_counter()
print(f"{t2 - t0:.2f} s (imports {t1 - t0:.2f} s, analyser build {t2 - t1:.2f} s)")
"""


def _cold_start() -> str:
    """Load time as an operator sees it: a new process importing and building the gate."""
    done = subprocess.run(
        [sys.executable, "-c", _COLD], capture_output=True, text=True, check=False, timeout=300
    )
    return done.stdout.strip() or f"failed: {done.stderr.strip()[-200:]}"


def run(runs: int = 50, batch: int = 2000) -> int:
    print(f"cold start in a fresh process: {_cold_start()}")
    from chatbot.privacy import analyze, analyze_batch, get_analyzer

    rss_before = _rss_mb()
    start = time.perf_counter()
    get_analyzer()
    print(
        f"analyser build (spaCy fr_core_news_md NER + recognizers): "
        f"{time.perf_counter() - start:.2f} s"
    )
    analyze(make_text(300))  # warm-up

    print(f"{'size (chars)':>12}{'p50 ms':>9}{'p95 ms':>9}  ({runs} messages each)")
    for size in (100, 300, 1_000, 10_000):
        count = runs if size < 10_000 else max(10, runs // 5)
        times = []
        for i in range(count):
            text = make_text(size, offset=i)
            t0 = time.perf_counter()
            analyze(text)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{size:>12}{statistics.median(times):>9.1f}{p95:>9.1f}")

    texts = [make_text(300, offset=i) for i in range(batch)]
    t0 = time.perf_counter()
    found = sum(len(entities) for entities in analyze_batch(texts))
    elapsed = time.perf_counter() - t0
    print(
        f"batch: {batch} messages of 300 chars in {elapsed:.1f} s = "
        f"{batch / elapsed:.0f} messages/s ({found} entities)"
    )
    rss = _rss_mb()
    print(f"resident memory: {rss:.0f} MB (analyser: ~{rss - rss_before:.0f} MB)")
    return 0
