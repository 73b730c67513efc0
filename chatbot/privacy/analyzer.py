"""The Presidio analyser, built once per process, fully offline.

spaCy ``fr_core_news_md`` is loaded with its NER component only (the tagger, parser and
lemmatiser are not needed to find persons and cost time and memory). The registry holds
our French recognizers and nothing else: no US recognizers, and no Presidio e-mail
recognizer, whose tldextract dependency would try to download the public suffix list.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache

import spacy
from presidio_analyzer import (
    AnalyzerEngine,
    BatchAnalyzerEngine,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from pydantic import BaseModel

from chatbot.privacy.informal import build_informal_recognizers, normalise
from chatbot.privacy.recognizers import (
    LANGUAGE,
    MIN_SCORE,
    build_recognizers,
    fold,
    looks_like_name,
)
from chatbot.privacy.terms import builtin_allow_list

SPACY_MODEL = "fr_core_news_md"

ENTITY_TYPES = (
    "NOM", "NIR", "IBAN", "TEL", "EMAIL", "FISCAL", "SIRET", "SIREN", "PASSEPORT", "CNI",
    "CAF", "FRANCE_TRAVAIL", "PLAQUE", "CB", "ADRESSE", "DATE_NAISSANCE",
)  # fmt: skip

_lock = threading.Lock()


class Entity(BaseModel):
    """One piece of personal data found in a text; offsets index the analysed text."""

    type: str
    start: int
    end: int
    score: float


_analyzer: AnalyzerEngine | None = None


def get_analyzer() -> AnalyzerEngine:
    """The process-wide analyser (loading spaCy takes seconds; do it once)."""
    global _analyzer
    if _analyzer is None:
        with _lock:  # two first requests at once must not load the model twice
            if _analyzer is None:
                _analyzer = _build_analyzer()
    return _analyzer


class FrenchNerEngine(SpacyNlpEngine):
    """Presidio's spaCy engine, loading only the NER component of the French model.

    The tagger, parser and lemmatiser are not needed to find persons: excluding them at
    load saves about 140 MB and half the time per message. ``spacy.load`` of an installed
    package never downloads anything.
    """

    EXCLUDE = ("tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer")

    def load(self) -> None:
        self.nlp = {LANGUAGE: spacy.load(SPACY_MODEL, exclude=list(self.EXCLUDE))}


def _build_analyzer() -> AnalyzerEngine:
    nlp_engine = FrenchNerEngine(
        models=[{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}],
        ner_model_configuration=NerModelConfiguration(
            model_to_presidio_entity_mapping={
                "PER": "PERSON",
                "LOC": "LOCATION",
                "ORG": "ORGANIZATION",
                "MISC": "MISC",
            },
            labels_to_ignore=["LOC", "ORG", "MISC"],  # only persons are masked
            low_score_entity_names=[],
        ),
    )
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in [*build_recognizers(), *build_informal_recognizers()]:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        default_score_threshold=MIN_SCORE,
    )


@lru_cache(maxsize=32)
def allow_pattern(extra: tuple[str, ...] = ()) -> re.Pattern[str]:
    """One regex of every must-survive term, matched on accent-folded lower-case text."""
    terms = {fold(term.strip()) for term in (*builtin_allow_list(), *extra) if term.strip()}
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])")


def _allowed_spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(fold(text))]


_PLACEHOLDER = re.compile(r"<\s*[A-Z_]+_\d+\s*>")
_TRAILING = re.compile(
    r"(?:[\s,;:.()'’-]+|\b(?:de|du|des|la|le|les|et|à|a|l|d)\b)+$", re.IGNORECASE
)
# "M. PONS", "Mme KONÉ": after a title, a short word in capitals is a name, not an acronym.
_AFTER_TITLE = re.compile(r"(?<![\w])(?:M\.|Mme|MME|Mlle|Mr|MR|Monsieur|Madame|monsieur|madame) $")
_LEADING = re.compile(r"^(?:[\s,;:.()'’-]+|\b(?:de|du|des|et|à)\b)+", re.IGNORECASE)


def _outside_allowed(
    text: str, start: int, end: int, allowed: list[tuple[int, int]]
) -> tuple[int, int] | None:
    pieces = [(start, end)]
    for a, b in allowed:
        next_pieces = []
        for s, e in pieces:
            if b <= s or e <= a:
                next_pieces.append((s, e))
                continue
            if s < a:
                next_pieces.append((s, a))
            if b < e:
                next_pieces.append((b, e))
        pieces = next_pieces
    best = None
    for s, e in pieces:
        piece = text[s:e]
        lead = len(piece) - len(_LEADING.sub("", piece))
        s, e = s + lead, s + len(_TRAILING.sub("", piece))
        plausible = looks_like_name(text[s:e]) or _AFTER_TITLE.search(text, 0, s) is not None
        if e > s and plausible and (best is None or e - s > best[1] - best[0]):
            best = (s, e)
    return best


def resolve(text: str, results: Iterable[RecognizerResult], allow: re.Pattern[str]) -> list[Entity]:
    """Drop allow-listed values, then keep one entity per stretch of text.

    A span inside a larger one goes (the e-mail wins over the name in it, the address
    over the street's name); among partial overlaps the higher score wins.
    """
    # Placeholders already in the text (history sent again) are never masked a second time.
    allowed = _allowed_spans(text, allow) + [m.span() for m in _PLACEHOLDER.finditer(text)]
    candidates: list[Entity] = []
    for result in results:
        start, end = result.start, result.end
        if result.score < MIN_SCORE or result.entity_type not in ENTITY_TYPES:
            continue
        if any(a <= start and end <= b for a, b in allowed):
            continue
        if result.entity_type == "NOM":
            # "Travail Nantes" (spaCy), "Dupont de la CAF": keep what is left of a name
            # once must-survive terms are taken out, if it still looks like a name.
            span = _outside_allowed(text, start, end, allowed)
            if span is None:
                continue
            start, end = span
        candidates.append(
            Entity(type=result.entity_type, start=start, end=end, score=round(result.score, 2))
        )
    candidates.sort(key=lambda e: (-(e.end - e.start), -e.score))
    kept: list[Entity] = []
    for entity in candidates:
        if any(k.start <= entity.start and entity.end <= k.end for k in kept):
            continue
        kept.append(entity)
    kept.sort(key=lambda e: -e.score)
    final: list[Entity] = []
    for entity in kept:
        if any(entity.start < f.end and f.start < entity.end for f in final):
            continue
        final.append(entity)
    final.sort(key=lambda e: e.start)
    return final


# Long texts (uploaded documents) are analysed in pieces cut at a line or word boundary:
# spaCy refuses texts over its max_length and its memory grows with the text.
CHUNK_CHARS = 20_000


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    while len(text) - start > CHUNK_CHARS:
        limit = start + CHUNK_CHARS
        cut = text.rfind("\n", start + CHUNK_CHARS // 2, limit)
        if cut == -1:
            cut = text.rfind(" ", start + CHUNK_CHARS // 2, limit)
        cut = limit if cut == -1 else cut + 1
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def analyze(text: str, allow_list: Iterable[str] = ()) -> list[Entity]:
    """Personal data in ``text`` as entities of our vocabulary, in reading order."""
    if not text.strip():
        return []
    allow = allow_pattern(tuple(allow_list))
    entities: list[Entity] = []
    for offset, piece in _pieces(normalise(text)):
        results = get_analyzer().analyze(text=piece, language=LANGUAGE)
        for entity in resolve(piece, results, allow):
            entity.start += offset
            entity.end += offset
            entities.append(entity)
    return entities


def analyze_batch(
    texts: Iterable[str], allow_list: Iterable[str] = (), batch_size: int = 64
) -> Iterator[list[Entity]]:
    """Like ``analyze`` over many texts, with spaCy's ``nlp.pipe`` batching the NER."""
    allow = allow_pattern(tuple(allow_list))
    batch = BatchAnalyzerEngine(analyzer_engine=get_analyzer())
    texts = [normalise(text) for text in texts]
    results = batch.analyze_iterator(texts, language=LANGUAGE, batch_size=batch_size)
    for text, found in zip(texts, results, strict=True):
        yield resolve(text, found, allow)
