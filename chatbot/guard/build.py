"""`chatbot guard build`: train the local classifier on the generated data, write the file.

Deterministic: the data comes from a fixed seed, the solver is deterministic, the weights are
rounded, and the archive is written with fixed timestamps, so rebuilding gives the same bytes.
scikit-learn is only needed here; the run time scores with numpy (``chatbot.guard.local``).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from chatbot.guard.features import terms
from chatbot.guard.local import MODEL_PATH
from chatbot.guard.training import LABELS, generate, split

# Share of generated benign dev messages the threshold may refuse.
FP_BUDGET = 0.005
# The generated benign messages are easier than real ones: never flag below this. Plain
# questions ("adresse de la préfecture", "instructions du formulaire Cerfa") scored up to
# 0.62 from one rebuild to the next; the rules now carry most attacks, so keep a margin.
THRESHOLD_FLOOR = 0.65
REGULARISATION = 8.0
MIN_DF = 2
DECIMALS = 5
# Benign messages weigh more: a refused citizen costs more than a missed paraphrase the
# answer step would decline anyway.
CLASS_WEIGHT = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}


def data_hash(rows: list[tuple[str, str, str]] | None = None) -> str:
    """Fingerprint of the training data and of the source of the features and of this build."""
    import inspect
    import sys

    from chatbot.guard import features

    digest = hashlib.sha256()
    for module in (features, sys.modules[__name__]):
        digest.update(inspect.getsource(module).encode("utf-8"))
    for text, label, _ in rows if rows is not None else generate():
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


def train(
    rows: list[tuple[str, str, str]], c: float = REGULARISATION, min_df: int = MIN_DF
) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=terms, sublinear_tf=True, min_df=min_df, dtype=np.float64)
    x = vectorizer.fit_transform([text for text, _, _ in rows])
    y = np.array([LABELS.index(label) for _, label, _ in rows])
    model = LogisticRegression(C=c, max_iter=2000, tol=1e-4, class_weight=CLASS_WEIGHT)
    model.fit(x, y)
    return vectorizer, model


def arrays(vectorizer: Any, model: Any, threshold: float, fingerprint: str) -> dict[str, Any]:
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return {
        "terms": np.frombuffer("\n".join(vocabulary).encode("utf-8"), dtype=np.uint8),
        "classes": np.frombuffer("\n".join(LABELS).encode("utf-8"), dtype=np.uint8),
        "idf": np.round(vectorizer.idf_, DECIMALS).astype(np.float32),
        "weights": np.round(model.coef_.T, DECIMALS).astype(np.float32),
        "intercept": np.round(model.intercept_, DECIMALS).astype(np.float32),
        "threshold": np.array([threshold], dtype=np.float64),
        "data_hash": np.frombuffer(fingerprint.encode("ascii"), dtype=np.uint8),
    }


def write_npz(path: Path, content: dict[str, Any]) -> None:
    """An .npz with fixed timestamps and order: the same arrays give the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(content):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(content[name]), allow_pickle=False)
            archive.writestr(info, data.getvalue(), compresslevel=9)
    path.write_bytes(buffer.getvalue())


def calibrate(vectorizer: Any, model: Any, dev: list[tuple[str, str, str]], budget: float) -> float:
    """The lowest threshold that refuses at most ``budget`` of the benign dev messages."""
    benign = [text for text, label, _ in dev if label == "benign"]
    scores = 1.0 - model.predict_proba(vectorizer.transform(benign))[:, 0]
    scores = np.sort(scores)[::-1]
    allowed = int(len(scores) * budget)
    # Just above the (allowed+1)-th highest benign score, and never below the floor.
    return float(max(THRESHOLD_FLOOR, round(float(scores[allowed]) + 1e-4, 4)))


def build(path: Path = MODEL_PATH, verbose: bool = True) -> dict[str, Any]:
    rows = generate()
    fingerprint = data_hash(rows)
    train_rows, dev_rows = split(rows)
    vectorizer, model = train(train_rows)
    threshold = calibrate(vectorizer, model, dev_rows, FP_BUDGET)
    content = arrays(vectorizer, model, threshold, fingerprint)
    write_npz(path, content)
    stats = {
        "rows": len(rows),
        "train": len(train_rows),
        "dev": len(dev_rows),
        "terms": len(vectorizer.vocabulary_),
        "threshold": threshold,
        "bytes": path.stat().st_size,
        "data_hash": fingerprint,
    }
    if verbose:
        print(
            f"guard model: {stats['rows']} generated messages ({stats['train']} train, "
            f"{stats['dev']} dev), {stats['terms']} terms, threshold {threshold:.4f}, "
            f"{stats['bytes'] / 1e6:.2f} MB -> {path}"
        )
    return stats
