"""The features of the local classifier, shared by the build and the run time.

One function turns a message into its terms, so training (scikit-learn, at build time) and
scoring (numpy, at run time) can never disagree: character n-grams of 2 to 5 letters inside
word boundaries (they survive typos, inflections and missing accents) and word unigrams and
bigrams (they carry the shape of a request: "au nom de", "mode agent").
"""

from __future__ import annotations

import re

from chatbot.guard.text import fold

CHAR_NGRAMS = (2, 5)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)?|[?!:«»\"@/<>\[\]()#]")
_URL = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:example|com|net|org|io|ly|fr|gouv\.fr)\S*"
)


def prepare(text: str) -> str:
    """Folded text (lowercase, no accents) with links reduced to one token."""
    return _URL.sub(" urltoken ", fold(text))


def terms(text: str) -> list[str]:
    """Every term of a message, with repeats (the counts feed the tf-idf)."""
    folded = prepare(text)
    out: list[str] = []
    low, high = CHAR_NGRAMS
    for word in folded.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            out.extend(padded[i : i + n] for i in range(size - n + 1))
    tokens = _WORD.findall(folded)
    out.extend("w:" + token for token in tokens)
    out.extend(f"b:{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return out
