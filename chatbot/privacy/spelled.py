"""Phone numbers dictated in a mix of digits and French number words.

"07 quinze 81 dix-sept 61", "sept 81 trente deux 44 zero neuf", "06 trente-cinq 88
quatre-vingt-six 85": each group is read as its value, the groups are joined, and the run
is a phone when it gives a French number (ten digits from 01-07/09, or nine when the
leading zero was not said). Runs of digits alone are the other phone recognizers' job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.privacy.recognizers import FrenchRecognizer, fold

_UNITS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
    "quatorze": 14, "quinze": 15, "seize": 16,
}  # fmt: skip
_TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}
_TOKEN = re.compile(r"[a-z]+|\d{1,2}")
_JOIN = re.compile(r"[\s\-]+|\s*,\s*")


def _read_number(words: list[str], index: int) -> tuple[int, int] | None:
    """(value, next index) of the number spelled from ``words[index]``, or None."""
    word = words[index]
    nxt = words[index + 1] if index + 1 < len(words) else ""
    after = words[index + 2] if index + 2 < len(words) else ""
    if word == "quatre" and nxt in ("vingt", "vingts"):
        value, index = 80, index + 2
        nxt = words[index] if index < len(words) else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        if nxt == "dix" and after in ("sept", "huit", "neuf"):
            return value + 10 + _UNITS[after], index + 2
        if nxt in _UNITS and 0 < _UNITS[nxt] < 17:
            return value + _UNITS[nxt], index + 1
        return value, index
    if word == "dix" and nxt in ("sept", "huit", "neuf"):
        return 10 + _UNITS[nxt], index + 2
    if word in _UNITS:
        return _UNITS[word], index + 1
    if word in _TENS:
        value = _TENS[word]
        if nxt == "et" and after in ("un", "une", "onze"):
            return value + _UNITS[after], index + 3
        if value == 60 and nxt == "dix" and after in ("sept", "huit", "neuf"):
            return 70 + _UNITS[after], index + 3
        if nxt in _UNITS and 0 < _UNITS[nxt] < (17 if value == 60 else 10):
            return value + _UNITS[nxt], index + 2
        return value, index + 1
    return None


def mixed_phones(text: str) -> Iterable[tuple[int, int]]:
    folded = fold(text)
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(folded)]
    index = 0
    while index < len(tokens):
        first = tokens[index][2]
        if not (first.isdigit() or first in _UNITS or first in _TENS):
            index += 1
            continue
        # a run of number tokens joined by spaces or hyphens
        run = [index]
        while run[-1] + 1 < len(tokens):
            prev, cur = tokens[run[-1]], tokens[run[-1] + 1]
            if not _JOIN.fullmatch(folded[prev[1] : cur[0]]):
                break
            word = cur[2]
            if not (word.isdigit() or word in _UNITS or word in _TENS or word in ("et", "vingt")):
                break
            run.append(run[-1] + 1)
        words = [tokens[i][2] for i in run]
        digits, spelled, pos, last = "", 0, 0, None
        while pos < len(words):
            if words[pos].isdigit():
                digits += words[pos]
                last = pos
                pos += 1
                continue
            read = _read_number(words, pos)
            if read is None:
                break
            value, pos = read
            digits += str(value)
            spelled += 1
            last = pos - 1
        if last is not None and spelled and len(digits) >= 9:
            ten = len(digits) == 10 and re.match(r"0[1-79]", digits)
            nine = len(digits) == 9 and digits[0] in "67"
            if ten or nine:
                yield tokens[run[0]][0], tokens[run[last]][1]
        index = run[-1] + 1 if len(run) > 1 else index + 1


class MixedPhoneRecognizer(FrenchRecognizer):
    def __init__(self) -> None:
        super().__init__("TEL", [], score=0.85)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        yield from mixed_phones(text)


# Any country code, then 8 to 11 digits in groups: "+212 6 61 23 45 78".
_INTL = re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .\-·]?\(0\))?(?:[ .\-·]?\d){8,11}(?![\w])")


class AnyCountryPhoneRecognizer(FrenchRecognizer):
    def __init__(self) -> None:
        super().__init__("TEL", [], score=0.8)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for match in _INTL.finditer(text):
            yield match.start(), match.end()


def build_spelled_recognizers() -> list[FrenchRecognizer]:
    return [MixedPhoneRecognizer(), AnyCountryPhoneRecognizer()]
