"""The local classifier: a linear model over character and word n-grams, scored with numpy.

It runs after the rules, on every message, in a millisecond or two, with nothing sent
anywhere. The model file is plain arrays (``numpy.load(..., allow_pickle=False)``): a term
list, the idf weights, one weight per term and class, the intercepts and the decision
threshold. ``chatbot guard build`` writes it from the generated training data
(``chatbot.guard.training``); nothing is downloaded, here or at build time.

A message is flagged when the probability that it is not benign reaches the threshold
(calibrated at build time for few false positives); its category is then the most likely
attack class: injection, harmful, other_person or beyond_role.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from chatbot.guard.features import terms

MODEL_PATH = Path(__file__).parent / "model" / "classifier.npz"


@dataclass(frozen=True)
class LocalModel:
    index: dict[str, int]
    idf: np.ndarray  # (terms,)
    weights: np.ndarray  # (terms, classes)
    intercept: np.ndarray  # (classes,)
    classes: tuple[str, ...]  # classes[0] is "benign"
    threshold: float
    data_hash: str

    def probabilities(self, text: str) -> np.ndarray:
        counts = Counter(terms(text))
        rows: list[int] = []
        values: list[float] = []
        for term, count in counts.items():
            row = self.index.get(term)
            if row is not None:
                rows.append(row)
                values.append(1.0 + math.log(count))
        if rows:
            idx = np.fromiter(rows, dtype=np.int64, count=len(rows))
            tfidf = np.fromiter(values, dtype=np.float64, count=len(rows)) * self.idf[idx]
            norm = float(np.sqrt(tfidf @ tfidf))
            logits = (tfidf / norm) @ self.weights[idx] + self.intercept
        else:
            logits = self.intercept.astype(np.float64)
        logits = logits - logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def predict(self, text: str) -> tuple[str | None, float]:
        """(attack class or None, probability that the message is not benign)."""
        probs = self.probabilities(text)
        attack = float(1.0 - probs[0])
        if attack < self.threshold:
            return None, attack
        return self.classes[1 + int(np.argmax(probs[1:]))], attack


def read_model(path: Path) -> LocalModel:
    with np.load(path, allow_pickle=False) as data:
        vocabulary = bytes(data["terms"]).decode("utf-8").split("\n")
        classes = tuple(bytes(data["classes"]).decode("utf-8").split("\n"))
        return LocalModel(
            index={term: row for row, term in enumerate(vocabulary)},
            idf=data["idf"].astype(np.float64),
            weights=data["weights"].astype(np.float64),
            intercept=data["intercept"].astype(np.float64),
            classes=classes,
            threshold=float(data["threshold"][0]),
            data_hash=bytes(data["data_hash"]).decode("ascii"),
        )


@lru_cache(maxsize=1)
def load_model() -> LocalModel:
    """The shipped model, read once per process."""
    return read_model(MODEL_PATH)
