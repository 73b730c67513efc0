"""Input normalisation: the first thing a turn does with what a user typed.

Invisible characters are how instructions get smuggled past a reader (Unicode tag
characters, zero-width joiners, bidi overrides), so they are removed before anything else
looks at the text. Unicode tag characters (U+E0000-E007F) are the exception: they map one to
one onto ASCII, so a run of them is an invisible sentence. It is decoded and kept, visible,
between ``HIDDEN_OPEN`` and ``HIDDEN_CLOSE``, for the guard to refuse (``Normalised.hidden``
holds it too); only the tags of emoji subdivision flags (🏴 + tags + cancel tag) are
dropped. NFKC folds look-alike forms (full-width letters, mathematical alphanumerics,
ligatures) onto plain letters. Problems are reported, never fixed silently:
a text that is too long is not truncated, because the cut could change its meaning.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel

Problem = Literal["empty", "too_long", "binary"]


class Normalised(BaseModel):
    text: str
    problem: Problem | None = None
    removed: int = 0  # invisible or control characters taken out
    hidden: str = ""  # text decoded from Unicode tag characters, if any


HIDDEN_OPEN = "⟦tags: "
HIDDEN_CLOSE = "⟧"
# Subdivision flags (England, Scotland, Wales ...) are the one legitimate use of tag
# characters: black flag, a few tag letters or digits, cancel tag.
_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,12}\U000e007f")
_TAG_RUN = re.compile("[\U000e0000-\U000e007f]+")


def _decode_tags(run: str) -> str:
    return "".join(chr(ord(ch) - 0xE0000) for ch in run if 0x20 <= ord(ch) - 0xE0000 < 0x7F)


def reveal_tags(text: str) -> tuple[str, str]:
    """Text with each run of tag characters decoded in place between markers, and the
    decoded runs joined. Flags and runs of fewer than two printable characters are left for
    ``normalise`` to drop."""
    found: list[str] = []

    def one(match: re.Match[str]) -> str:
        decoded = _decode_tags(match.group(0)).strip()
        if len(decoded) < 2:
            return match.group(0)
        found.append(decoded)
        return f" {HIDDEN_OPEN}{decoded}{HIDDEN_CLOSE} "

    kept = _FLAG_TAGS.split(text)
    flags = _FLAG_TAGS.findall(text)
    parts = [_TAG_RUN.sub(one, piece) for piece in kept]
    out = parts[0] + "".join(flag + part for flag, part in zip(flags, parts[1:], strict=True))
    return out, " ".join(found)


# Zero-width, joiners, soft hyphen, word joiner, invisible operators, BOM, Mongolian vowel
# separator, combining grapheme joiner, Hangul fillers: all invisible, all usable to split a
# trigger word so that a filter no longer sees it.
_INVISIBLE = set(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d"
    "\u2060\u2061\u2062\u2063\u2064\u3164\ufeff\uffa0"
)
# Bidi embeddings, overrides and isolates (and the marks): they reorder what a human sees.
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEEP_CONTROLS = {"\n", "\t"}
_BINARY_SHARE = 0.3


def _is_tag(ch: str) -> bool:
    return 0xE0000 <= ord(ch) <= 0xE007F


def _is_variation_selector(ch: str) -> bool:
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _drop(ch: str) -> bool:
    if ch in _INVISIBLE or ch in _BIDI or _is_tag(ch) or _is_variation_selector(ch):
        return True
    category = unicodedata.category(ch)
    if category == "Cc":
        return ch not in _KEEP_CONTROLS and ch != "\r"
    # Any other format character (Cf) is invisible too.
    return category == "Cf"


def _looks_binary(text: str) -> bool:
    """Mostly control, unassigned, private-use or replacement characters: not a message."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return False
    bad = 0
    for ch in visible:
        category = unicodedata.category(ch)
        if ch == "\ufffd" or category in ("Cc", "Co", "Cn", "Cs"):
            bad += 1
    return bad / len(visible) > _BINARY_SHARE


def visible(text: str) -> str:
    """The text without invisible characters, NFKC-folded, with its spacing kept as typed
    (``normalise`` collapses it): the guard reads word gaps in spaced-out letters from it."""
    return unicodedata.normalize("NFKC", "".join(ch for ch in text if not _drop(ch)))


_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise(text: str, max_chars: int = 4000) -> Normalised:
    if _looks_binary(text):
        return Normalised(text="", problem="binary", removed=len(text))
    revealed, hidden = reveal_tags(text)
    kept = [ch for ch in revealed if not _drop(ch)]
    removed = sum(1 for ch in text if _drop(ch))
    clean = unicodedata.normalize("NFKC", "".join(kept))
    # NFKC can produce nothing we drop, but a second pass is cheap and makes that certain.
    clean = "".join(ch for ch in clean if not _drop(ch))
    clean = clean.replace("\r\n", "\n").replace("\r", "\n")
    clean = _SPACES.sub(" ", clean)
    clean = "\n".join(line.strip() for line in clean.split("\n"))
    clean = _BLANK_LINES.sub("\n\n", clean).strip()
    if not clean:
        return Normalised(text="", problem="empty", removed=removed)
    if len(clean) > max_chars:
        return Normalised(text=clean, problem="too_long", removed=removed, hidden=hidden)
    return Normalised(text=clean, removed=removed, hidden=hidden)
