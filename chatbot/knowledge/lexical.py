"""In-memory French BM25 index over chunks, with a fuzzy fallback for misspelt words.

Kept in memory (rebuilt from the store at open, updated by sync) because it is small and
fast: postings are compiled to numpy arrays lazily, after the last change.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from chatbot.knowledge.text import terms

K1 = 1.2
B = 0.75
UNKNOWN_WEIGHT = 1.0  # an unknown query word weighs this share of the rarest known word
FUZZY_MIN = 0.5  # Dice similarity on character trigrams for a misspelt term to match


def _trigrams(term: str) -> set[str]:
    padded = f"^{term}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@dataclass
class _Compiled:
    ids: list[str]
    masks: dict[str, np.ndarray]  # audience -> which documents belong to it
    length: np.ndarray
    avg_length: float
    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    idf: dict[str, float]
    max_idf: float
    grams: dict[str, list[str]]


class LexicalIndex:
    def __init__(self) -> None:
        self._docs: dict[str, tuple[str, Counter[str]]] = {}
        self._compiled: _Compiled | None = None
        self._fuzzy_cache: dict[str, list[tuple[str, float]]] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, chunk_id: str) -> bool:
        return chunk_id in self._docs

    def add(self, chunk_id: str, audience: str, text: str) -> None:
        self._docs[chunk_id] = (audience, Counter(terms(text)))
        self._compiled = None

    def remove(self, chunk_id: str) -> None:
        if self._docs.pop(chunk_id, None) is not None:
            self._compiled = None

    def _compile(self) -> _Compiled:
        if self._compiled is not None:
            return self._compiled
        ids = list(self._docs)
        lists: dict[str, tuple[list[int], list[float]]] = {}
        lengths = np.zeros(len(ids), dtype=np.float32)
        audiences = np.empty(len(ids), dtype=object)
        for i, chunk_id in enumerate(ids):
            audience, tf = self._docs[chunk_id]
            audiences[i] = audience
            lengths[i] = sum(tf.values())
            for term, count in tf.items():
                entry = lists.setdefault(term, ([], []))
                entry[0].append(i)
                entry[1].append(count)
        n = max(len(ids), 1)
        postings = {
            t: (np.asarray(ix, dtype=np.int32), np.asarray(tf, dtype=np.float32))
            for t, (ix, tf) in lists.items()
        }
        idf = {
            t: math.log(1 + (n - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for t, p in postings.items()
        }
        grams: dict[str, list[str]] = {}
        for term in postings:
            for gram in _trigrams(term):
                grams.setdefault(gram, []).append(term)
        self._compiled = _Compiled(
            ids=ids,
            masks={a: audiences == a for a in set(audiences.tolist())},
            length=lengths,
            avg_length=float(lengths.mean()) if len(ids) else 1.0,
            postings=postings,
            idf=idf,
            max_idf=max(idf.values(), default=1.0),
            grams=grams,
        )
        self._fuzzy_cache = {}
        return self._compiled

    def _expand(self, index: _Compiled, term: str) -> list[tuple[str, float]]:
        """The term itself if known, else up to two close known terms weighted by similarity."""
        if term in index.postings:
            return [(term, 1.0)]
        if len(term) < 4 or term.isdigit():
            return []
        if term in self._fuzzy_cache:
            return self._fuzzy_cache[term]
        mine = _trigrams(term)
        shared: Counter[str] = Counter()
        for gram in mine:
            shared.update(index.grams.get(gram, ()))
        scored = []
        for other, common in shared.items():
            dice = 2 * common / (len(mine) + len(_trigrams(other)))
            if dice >= FUZZY_MIN:
                scored.append((other, dice))
        scored.sort(key=lambda item: -item[1])
        result = scored[:2]
        self._fuzzy_cache[term] = result
        return result

    def search(
        self, query: str, audiences: frozenset[str], n: int = 50
    ) -> list[tuple[str, float, float]]:
        """Top `n` chunks readable by `audiences`: (chunk_id, bm25, coverage 0..1).

        Coverage is the share of the query's IDF mass found in the chunk: an absolute
        signal (unlike BM25) that says how much of the question the chunk speaks about.
        """
        index = self._compile()
        if not index.ids:
            return []
        query_terms = list(dict.fromkeys(terms(query)))
        if not query_terms:
            return []
        scores = np.zeros(len(index.ids), dtype=np.float32)
        covered = np.zeros(len(index.ids), dtype=np.float32)
        total = 0.0
        for term in query_terms:
            expansions = self._expand(index, term)
            # An unknown word weighs as the rarest one (the question is about something we
            # do not have); a misspelt one weighs as the word it was matched to.
            total += index.idf[expansions[0][0]] if expansions else UNKNOWN_WEIGHT * index.max_idf
            seen = np.zeros(len(index.ids), dtype=np.float32)
            for known, weight in expansions:
                ix, tf = index.postings[known]
                idf = index.idf[known]
                norm = K1 * (1 - B + B * index.length[ix] / index.avg_length)
                scores[ix] += weight * idf * tf * (K1 + 1) / (tf + norm)
                seen[ix] = np.maximum(seen[ix], weight * idf)
            covered += seen
        allowed = np.zeros(len(index.ids), dtype=bool)
        for audience in audiences:
            if audience in index.masks:
                allowed |= index.masks[audience]
        scores[~allowed] = 0.0
        hits = np.flatnonzero(scores)
        if hits.size == 0:
            return []
        if hits.size > n:
            hits = hits[np.argpartition(-scores[hits], n - 1)[:n]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [
            (index.ids[i], float(scores[i]), float(min(1.0, covered[i] / total)) if total else 0.0)
            for i in hits
        ]
