"""What the fake model computes: its model list, chat answers, embeddings and rerank scores.

Everything here is deterministic and built from the request itself, so a caller can tell a
grounded answer from a canned one and a relevant fiche from an unrelated one.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from typing import Any

EMBEDDING_DIMENSIONS = 1024  # bge-m3 on Albert

# What Albert serves by default: canonical ids, with the aliases Guichet's settings use.
DEFAULT_MODELS: list[dict[str, Any]] = [
    {
        "id": "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
        "type": "text-generation",
        "aliases": ["albert-large"],
        "max_context_length": 128000,
    },
    {
        "id": "meta-llama/Llama-3.1-8B-Instruct",
        "type": "text-generation",
        "aliases": ["albert-small"],
        "max_context_length": 128000,
    },
    {
        "id": "BAAI/bge-m3",
        "type": "text-embeddings-inference",
        "aliases": ["embeddings-small"],
        "max_context_length": 8192,
    },
    {
        "id": "BAAI/bge-reranker-v2-m3",
        "type": "text-classification",
        "aliases": ["rerank-small"],
        "max_context_length": 8192,
    },
]
# Name (id or alias) -> type, for callers that only need to know what is served.
MODELS: dict[str, str] = {
    name: m["type"] for m in DEFAULT_MODELS for name in [m["id"], *m["aliases"]]
}
SPEECH_MODEL = {
    "id": "openai/whisper-large-v3",
    "type": "automatic-speech-recognition",
    "aliases": ["audio-large"],
    "max_context_length": None,
}
OCR_MODEL = {
    "id": "mistralai/mistral-ocr-2505",
    "type": "image-to-text",
    "aliases": ["ocr"],
    "max_context_length": None,
}
# What the fake "reads" on every page of a PDF sent to /v1/ocr (it sees no image).
DEFAULT_OCR_TEXT = (
    "## Décision d'attribution\n\nLa commission a attribué le logement le 3 mars. "
    "Le bénéficiaire dispose de dix jours pour accepter la proposition."
)
DEFAULT_TRANSCRIPT = "Bonjour, comment renouveler mon passeport ?"

NO_SOURCE_ANSWER = "Je ne dispose pas d'information sur ce sujet."
PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")
SOURCE = re.compile(r"<source\b([^>]*)>(.*?)</source>", re.DOTALL)
INJECTION = re.compile(
    r"\b(ignore[sz]?|ignorez|oublie[sz]?|oubliez|disregard|forget)\b.{0,60}"
    r"\b(instructions?|consignes?|r[eè]gles?|rules)\b"
    r"|system\s+prompt|prompt\s+syst[eè]me|jailbreak|\bDAN\b",
    re.IGNORECASE | re.DOTALL,
)


# --- text helpers -----------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Données" and "donnees" count as the same word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def content_text(content: Any) -> str:
    """Message content as text, whether a string or a list of OpenAI content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.search(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def tokens(text: str) -> list[str]:
    """Split an answer the way a model streams it: words and sub-words, spaces attached."""
    parts = re.findall(r"\s*\S{1,4}", text)
    rest = text[len("".join(parts)) :]
    if rest:
        parts.append(rest)
    return parts or [text]


# --- embeddings and rerank --------------------------------------------------------------------


def embed_text(text: str) -> list[float]:
    """Deterministic, meaningful vector: hashed bag of folded words plus character trigrams."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    features: list[tuple[str, float]] = []
    for word in words(text):
        features.append(("w:" + word, 1.0))
        padded = f"#{word}#"
        features.extend(("t:" + padded[i : i + 3], 0.3) for i in range(len(padded) - 2))
    for feature, weight in features:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % EMBEDDING_DIMENSIONS
        sign = 1.0 if digest[4] & 1 else -1.0
        vector[index] += sign * weight
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0] = 1.0  # empty text: still a unit vector, as a real model would return
        return vector
    return [v / norm for v in vector]


QUESTION_WORDS = {
    "comment",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "pour",
    "dans",
    "avec",
    "est-ce",
    "what",
    "which",
    "does",
    "votre",
    "vous",
    "nous",
    "elle",
}


def overlap_score(query: str, document: str) -> float:
    """Relevance in [0, 1] like a reranker's: the content words of the query found in the
    document, up to four (a long, chatty question is not penalised for its extra words; an
    unrelated question scores near 0). Short function words and placeholders do not count."""
    query_words = {
        w for w in words(PLACEHOLDER.sub(" ", query)) if len(w) > 3 and w not in QUESTION_WORDS
    }
    if not query_words:
        return 0.0
    found = len(query_words & set(words(document)))
    return round(min(1.0, found / min(len(query_words), 4)), 6)


# --- the default chat responder -------------------------------------------------------------


def default_responder(body: dict[str, Any]) -> str:
    """The chat answer, built from what the request carried.

    - system message contains ``CLASSIFIER:`` -> ``unsafe`` if the last user message holds an
      obvious injection phrase, else ``safe``;
    - system message contains ``REWRITE:`` -> last user message + `` (à propos de : `` + first
      user message + ``)``;
    - otherwise the first sentence of source 1 + `` [1]`` (and of source 2 + `` [2]``), or
      ``Je ne dispose pas d'information sur ce sujet.`` without sources; prefixed with
      ``Pour <NOM_1>, `` listing every placeholder of the last user message.
    """
    messages = body.get("messages") or []
    system = "\n".join(
        content_text(m.get("content")) for m in messages if m.get("role") == "system"
    )
    users = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    last_user = users[-1] if users else ""

    if "CLASSIFIER:" in system:
        return "unsafe" if INJECTION.search(last_user) else "safe"
    if "REWRITE:" in system:
        first_user = users[0] if users else ""
        return f"{last_user} (à propos de : {first_user})"

    everything = "\n".join(content_text(m.get("content")) for m in messages)
    sources = [text for _attrs, text in SOURCE.findall(everything)]
    if sources:
        answer = f"{first_sentence(sources[0])} [1]"
        if len(sources) > 1:
            answer += f" {first_sentence(sources[1])} [2]"
    else:
        answer = NO_SOURCE_ANSWER

    placeholders = list(dict.fromkeys(PLACEHOLDER.findall(last_user)))
    if placeholders:
        answer = f"Pour {', '.join(placeholders)}, {answer}"
    return answer


FILLER = " Pensez à préparer les justificatifs demandés avant de commencer la démarche en ligne."


def call_kind(body: dict[str, Any]) -> str:
    """``classifier``, ``rewrite`` or ``answer``: what a chat call is for (as the responder
    tells them apart)."""
    system = "\n".join(
        content_text(m.get("content"))
        for m in body.get("messages") or []
        if isinstance(m, dict) and m.get("role") == "system"
    )
    if "CLASSIFIER:" in system:
        return "classifier"
    if "REWRITE:" in system:
        return "rewrite"
    return "answer"


def pad_answer(text: str, size: int) -> str:
    """An answer made about ``size`` tokens long, as long as a real model's: a plain French
    sentence repeated after it (no link, no markup: the display check keeps it all)."""
    pieces = tokens(text)
    while len(pieces) < size:
        pieces += tokens(FILLER)
    return "".join(pieces[: max(size, len(tokens(text)))])
