"""Text views shared by the rules and the intent router.

Rules are written once, against lowercase text without accents, with straight apostrophes
and Latin letters only. This module builds that view, and the extra views that undo common
obfuscation (leetspeak, letters spaced out, look-alike letters from other scripts).
"""

from __future__ import annotations

import re
import unicodedata

# Cyrillic and Greek letters that look like Latin ones (lowercase after casefold).
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "в": "b", "г": "r", "д": "d", "е": "e", "ё": "e", "з": "3", "и": "u",
        "й": "u", "к": "k", "л": "n", "м": "m", "н": "h", "о": "o", "п": "n", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g",
        "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "ι": "i",
        "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "ς": "s", "τ": "t",
        "υ": "u", "χ": "x", "ω": "w", "ı": "i", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae",
        "œ": "oe", "’": "'", "‘": "'", "`": "'", "´": "'", "′": "'", "ʼ": "'", "«": '"',
        "»": '"', "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-", "‑": "-",
    }
)  # fmt: skip

# Letters NFKC leaves alone: negative circled and squared capitals (🅰 🅐), regional
# indicators (🇦, flags become two letters, harmless), small capitals (ᴀ ʙ ᴄ).
_LOOKALIKE_LETTERS = str.maketrans(
    {
        **{
            chr(base + i): chr(ord("a") + i)
            for base in (0x1F150, 0x1F170, 0x1F1E6)
            for i in range(26)
        },
        **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnoprstuvwyz", strict=True)),
    }
)

_MIXED_SCRIPTS = re.compile(
    r"[a-zA-Z][\u0370-\u03ff\u0400-\u04ff]|[\u0370-\u03ff\u0400-\u04ff][a-zA-Z]"
)


def fold(text: str) -> str:
    """Lowercase, no accents, straight quotes, look-alike letters mapped to Latin."""
    lowered = text.translate(_LOOKALIKE_LETTERS).casefold().translate(_HOMOGLYPHS)
    decomposed = unicodedata.normalize("NFD", lowered)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def has_mixed_scripts(text: str) -> bool:
    """A word mixing Latin with Cyrillic or Greek letters is a look-alike trick."""
    return bool(_MIXED_SCRIPTS.search(text))


_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
     "@": "a", "$": "s", "!": "i", "|": "i", "€": "e", "+": "t"}
)  # fmt: skip
_TOKEN = re.compile(r"[a-z0-9@$!|€+]+")


def deleet(folded: str) -> str:
    """Map digits and symbols back to letters, but only inside words that also hold letters."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if re.search(r"[a-z]", token) and re.search(r"[0-9@$!|€+]", token):
            return token.translate(_LEET)
        return token

    return _TOKEN.sub(one, folded)


# A run of at least four single characters joined by one and the same separator:
# "i g n o r e", "i.g.n.o.r.e", "c-o-m-m-e-n-t f-a-i-r-e" (the space there is a word gap, as
# is a wider gap after spaced letters). Short words keep the separator check: "d.e", "u-n-e".
_SPACED_RUN = re.compile(
    r"(?<![a-z0-9])[a-z0-9@$]([ .\-_*/|+\\])(?:[a-z0-9@$]\1){2,}[a-z0-9@$](?![a-z0-9])"
)
_SHORT_RUN = re.compile(
    r"(?<![a-z0-9])[a-z0-9@$]([ .\-_*/|+\\])(?:[a-z0-9@$]\1){0,1}[a-z0-9@$](?![a-z0-9])"
)
_INNER_PUNCT = re.compile(r"(?<=[a-z])[.\-_*/|\\~+](?=[a-z])")


def unspace(folded: str) -> tuple[str, list[str]]:
    """Join spaced-out letters; return the new text and the joined runs. Give it the text
    with its spacing kept: a gap of two spaces or more between spaced letters is a word gap."""
    runs: list[str] = []

    def one(match: re.Match[str]) -> str:
        joined = re.sub(r"[^a-z0-9@$]", "", match.group(0))
        runs.append(joined)
        return joined

    text = _SPACED_RUN.sub(one, folded)
    if runs:
        # A message that spaces out its letters spaces out its short words too: "m e s",
        # "l a", "C A F". Only then, so "il y a 2 ans" stays as typed elsewhere.
        text = _SHORT_RUN.sub(lambda m: re.sub(r"[^a-z0-9@$]", "", m.group(0)), text)
    text = _INNER_PUNCT.sub("", text)
    text = re.sub(r" {2,}", " ", text)
    return text, runs


def words(folded: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)?", folded)
