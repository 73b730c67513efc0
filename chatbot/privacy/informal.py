"""Recognizers for personal data as people type it on a phone, and its disguised forms.

- names in lower case or surname first ("paul moreau", "moreau paul"), found with the
  hand-written lexicons of ``names.py`` (a first name next to a surname), and names after
  cues that need a lexicon ("c léa", "Durand m'a dit", "épouse TRAORÉ");
- e-mails spelled out or spaced ("x point y arobase z point fr", "x (at) y.fr", "x%40y.fr");
- phones with any separators, digits one at a time, or in words ("zéro six douze ...").

Digits from other scripts (Arabic-Indic, fullwidth) are turned into ASCII digits by
``normalise`` before any recognizer runs; the text keeps its length so offsets carry over.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from chatbot.privacy.names import MORE_FIRST_NAMES, SURNAMES, WORD_NAMES
from chatbot.privacy.recognizers import (
    COMMON_WORDS,
    FrenchRecognizer,
    SpacyPersonRecognizer,
    fold,
)
from chatbot.privacy.terms import FIRST_NAMES

# Spaces people paste or type on phones, turned into a plain space (one for one).
_SPACES = "\u00a0\u202f\u2007\u2009\u200a\u3000\u2002\u2003"


def normalise(text: str) -> str:
    """Non-ASCII decimal digits become ASCII digits, odd spaces a space; same length."""
    if text.isascii():
        return text
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _SPACES:
            out.append(" ")
        elif char.isdecimal():
            out.append(str(unicodedata.digit(char)))
        elif char in "＋（）／－．":
            out.append(unicodedata.normalize("NFKC", char))
        else:
            out.append(char)
    return "".join(out)


# --------------------------------------------------------------------------- names

PARTICLES = frozenset(
    "le la de du des da das do dos di del della van von ben bin ould el al ibn mac mc".split()
)
# Particles that only open surnames: an unknown word after them is a surname ("da silva").
# After "le", "la", "de", only a listed surname is ("le roux", not "la prime").
NAME_PARTICLES = PARTICLES - {"le", "la", "de", "du", "des"}
FIRST = frozenset(fold(w) for w in (FIRST_NAMES + MORE_FIRST_NAMES).split())
SURNAME = frozenset(fold(w) for w in SURNAMES.split()) - PARTICLES
WORDLIKE = frozenset(fold(w) for w in WORD_NAMES.split())
_COMMON = frozenset(fold(w) for w in COMMON_WORDS)

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)
# "n'diaye", "N'Diaye", "D'Almeida": an elided particle glued to a surname. In lower case
# only a listed surname is ("d'identite", "d'urgence", "n'importe" are words).
_GLUED = re.compile(r"^[nNdD]['’][A-ZÀ-Þ]")


def word_kind(word: str) -> str:
    """F first name, S surname, B both, P particle, C common word, U unknown."""
    lower = fold(word)
    if lower in PARTICLES:
        return "P"
    first = lower in FIRST or all(part in FIRST for part in lower.split("-"))
    surname = lower in SURNAME or (_GLUED.match(word) is not None and len(lower) > 4)
    if first and surname:
        return "B"
    if first:
        return "F"
    if surname:
        return "S"
    if lower in _COMMON:
        return "C"
    return "U"


_GLUED_TO_CODE = re.compile(r"[\d@_]|[.%]\w")


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]


def _adjacent(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return 0 < len(gap) <= 2 and gap.strip(" ") == ""


# A capitalised word opening a sentence and followed by one of these is a person.
_SAID = re.compile(
    # "Valérie de la CAF m'a dit", "Dupuis a la mairie m'a dit"
    r"(?:\s+(?:de|du|à|a|au)\s+(?:la\s+|l['’])?[\w\-]+)?"
    r"\s+(?:m['’ ]\s?a(?:vait)?|nous a|m['’ ]\s?ont|a dit|m['’ ]\s?a dit|m['’ ]\s?a conseill)",
    re.IGNORECASE,
)
_SENTENCE_OPEN = re.compile(r"(?:^|[.!?\n]\s*)$")
# Married names and SMS introductions: "épouse TRAORÉ", "c léa", "cé paul".
_MAIDEN = re.compile(r"(?<![\w])(?:[ée]pouse|[ée]poux|veuve|n[ée]e|dite?)\s+(?=[A-ZÀ-Þ])")
_SMS_INTRO = re.compile(
    r"(?<![\w'’])(?:c|cé|ct|moi c|moi cé|ici|slt c|bjr c|jsuis|chui)\s+(?=\w)", re.IGNORECASE
)


class LexiconNameRecognizer(FrenchRecognizer):
    """Names from the lexicons: a first name next to a surname, in any case and order."""

    def __init__(self) -> None:
        super().__init__("NOM", [], score=0.86)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        tokens = _tokens(text)
        kinds = [word_kind(word) for _, _, word in tokens]
        spans = list(self._pairs(text, tokens, kinds))
        spans += self._cued(text, tokens, kinds)
        # "collège Jean Moulin", "rue Victor Hugo": a person's name given to a place.
        spans = [s for s in spans if not SpacyPersonRecognizer._names_a_place(text, s[0])]
        return [RecognizerResult("NOM", s, e, self.base_score) for s, e in sorted(set(spans))]

    @staticmethod
    def _pairs(
        text: str, tokens: list[tuple[int, int, str]], kinds: list[str]
    ) -> Iterable[tuple[int, int]]:
        index = 0
        while index < len(tokens):
            if kinds[index] not in "FSBP":
                index += 1
                continue
            run = [index]
            nxt = index + 1
            while nxt < len(tokens) and len(run) < 5 and kinds[nxt] in "FSBPU":
                if not _adjacent(text, tokens[nxt - 1][1], tokens[nxt][0]):
                    break
                if _GLUED_TO_CODE.match(text, tokens[nxt][1]):
                    break  # "Elodie Baranger elodie.baranger@...": the e-mail's local part
                run.append(nxt)
                nxt += 1
            span = _best_name(text, tokens, kinds, run)
            if span is not None:
                yield span[0], span[1]
                index = max(index + 1, span[2])
            else:
                index += 1

    @staticmethod
    def _cued(
        text: str, tokens: list[tuple[int, int, str]], kinds: list[str]
    ) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        starts = {start: i for i, (start, _, _) in enumerate(tokens)}
        for match in _SMS_INTRO.finditer(text):
            i = starts.get(match.end())
            if i is None or kinds[i] not in "FB":
                continue
            end = tokens[i][1]
            # "c léa moreau", "c paul": the surname after, when there is one.
            if (
                i + 1 < len(tokens)
                and kinds[i + 1] in "SBU"
                and _adjacent(text, end, tokens[i + 1][0])
            ):
                if kinds[i + 1] != "U" or tokens[i + 1][2][:1].isupper():
                    end = tokens[i + 1][1]
            found.append((tokens[i][0], end))
        for match in _MAIDEN.finditer(text):
            i = starts.get(match.end())
            if i is None or kinds[i] in "CP" and not tokens[i][2].isupper():
                continue
            end = tokens[i][1]
            if i + 1 < len(tokens) and tokens[i + 1][2].isupper() and len(tokens[i + 1][2]) > 1:
                if _adjacent(text, end, tokens[i + 1][0]):
                    end = tokens[i + 1][1]
            found.append((tokens[i][0], end))
        for i, (start, end, word) in enumerate(tokens):
            if not word[:1].isupper() or kinds[i] in "CP":
                continue
            if not _SENTENCE_OPEN.search(text[max(0, start - 3) : start]):
                continue
            if _SAID.match(text, end):
                found.append((start, end))
        return found


def _opens_surname(tokens: list[tuple[int, int, str]], kinds: list[str], run: list[int]) -> bool:
    """ "da silva", "le roux", "ould ahmed": a particle then a surname."""
    particle, nxt = fold(tokens[run[0]][2]), kinds[run[1]]
    return nxt in "SB" or (nxt == "U" and particle in NAME_PARTICLES)


def _best_name(
    text: str, tokens: list[tuple[int, int, str]], kinds: list[str], run: list[int]
) -> tuple[int, int, int] | None:
    """The name in a run of name-like words: needs a first name and a surname."""
    # Drop leading particles not followed by a surname ("de camille" but "da silva");
    # trailing particles too.
    while run and (
        kinds[run[0]] == "U"
        or (kinds[run[0]] == "P" and (len(run) < 2 or not _opens_surname(tokens, kinds, run)))
    ):
        run = run[1:]
    while run and kinds[run[-1]] == "P":
        run = run[:-1]
    if len(run) < 2:
        return None
    # Unknown lower-case words only count right after a particle ("da silva") or when the
    # text is in capitals.
    cut = len(run)
    for pos, i in enumerate(run):
        after_particle = pos and fold(tokens[run[pos - 1]][2]) in NAME_PARTICLES
        if kinds[i] == "U" and not after_particle:
            if not tokens[i][2][:1].isupper():
                cut = pos
                break
    run = run[:cut]
    while run and kinds[run[-1]] == "P":
        run = run[:-1]
    if len(run) < 2:
        return None
    has = "".join(kinds[i] for i in run)
    firsts = has.count("F") + has.count("B")
    lasts = has.count("S") + has.count("B") + has.count("U") + (1 if "P" in has else 0)
    if firsts < 1 or lasts < 1 or len([k for k in has if k != "P"]) < 2:
        return None
    if firsts == len(has) and "B" not in has:
        return None  # "marie claire": two first names, no surname
    words = [fold(tokens[i][2]) for i in run if kinds[i] != "P"]
    if all(w in WORDLIKE for w in words) and not all(tokens[i][2][:1].isupper() for i in run):
        return None  # "pierre blanche", "rose petit": words, unless written as a name
    return tokens[run[0]][0], tokens[run[-1]][1], run[-1] + 1


# --------------------------------------------------------------------------- e-mails

_AT = (
    r"(?:\s*(?:@|[(\[{]\s*(?:at|a|arr?oba(?:se|z|s|ce)|@)\s*[)\]}]|%40)\s*"
    r"|\s+(?:at|arr?oba(?:se|z|s|ce)|a commercial)\s+)"
)
_DOT = r"(?:\s*(?:\.|[(\[{]\s*(?:dot|point)\s*[)\]}])\s*|\s+(?:dot|point)\s+)"
# inside the local part: "gerald tiret du bas picard", "jean underscore paul"
_LOCAL_JOIN = rf"(?:{_DOT}|\s+(?:tiret du bas|tiret bas|underscore|tiret|trait d'union)\s+)"
_TLD = (
    r"(?:fr|com|net|org|eu|be|ch|lu|ca|io|info|biz|re|gp|mq|gf|yt|nc|pf|pm|de|es|it|pt|uk|"
    r"ma|dz|tn|sn|ci|cm|us|co|me|tv|gouv\.fr|gouv|email|mail"
    r"|(?!(?:de|du|des|la|le|les|et|en|un|une|au|aux|ou|il|on|ne|se|sa|ce|je|tu|te|si|ni|va"
    r"|vu|est|pas|par|pour|sur|que|qui|mon|ma|mes|ton|ta|son|ses|svp|stp|merci|svp)\b)"
    r"[a-z]{2,6})"
)
_LOCAL = r"[A-Za-z0-9](?:[A-Za-z0-9_%+\-]*[A-Za-z0-9_])?"
EMAIL_LOOSE = re.compile(
    rf"(?<![\w.+\-%])(?:{_LOCAL}{_LOCAL_JOIN})*{_LOCAL}{_AT}"
    rf"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:{_DOT}[A-Za-z0-9\-]+)*{_DOT}{_TLD}(?![\w\-])",
    re.IGNORECASE,
)
_HAS_AT = re.compile(r"@|%40|\bat\b|\(a\)|arr?oba|a commercial", re.IGNORECASE)
# "m i c h e l . r o u x @ o r a n g e . f r": one character at a time.
_SPACED = re.compile(r"(?<![\w.@])(?:[A-Za-z0-9._\-@] ){6,}[A-Za-z0-9](?![\w.@])")


# "f.diallo@gmail,com": a comma typed for the last dot, before a common ending only.
_COMMA_TLD = re.compile(
    rf"(?<![\w.+\-%]){_LOCAL}(?:\.{_LOCAL})*@[A-Za-z0-9\-]+,(?:fr|com|net|org)(?![\w])",
    re.IGNORECASE,
)


class LooseEmailRecognizer(FrenchRecognizer):
    """E-mails written out: "x point y arobase z point fr", "x (at) y.fr", "x @ y . fr"."""

    def __init__(self) -> None:
        super().__init__("EMAIL", [], score=0.93)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        if not _HAS_AT.search(text):
            return
        for match in EMAIL_LOOSE.finditer(text):
            yield match.start(), match.end()
        for match in _COMMA_TLD.finditer(text):
            yield match.start(), match.end()
        for match in _SPACED.finditer(text):
            if "@" in match.group(0) and "." in match.group(0).split("@")[-1]:
                yield match.start(), match.end()


# --------------------------------------------------------------------------- phones

_SEP = r"[ .\-/·•]"
_PHONE_NATIONAL = re.compile(
    rf"(?<![\w+])(?<!\d{_SEP})(?<!\d{_SEP}{_SEP})0(?:{_SEP}{{0,3}}\d){{9}}(?!{_SEP}?\d)(?!\w)"
)
_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+|00)\s?(?:33|262|269|590|594|596|687|689|508|681|32|41|352)"
    rf"\s?(?:\(0\)\s?)?[1-9](?:{_SEP}{{0,3}}\d){{8}}(?!{_SEP}?\d)(?!\w)"
)
_SEPARATORS = re.compile(r"\D+")


def _consistent(value: str) -> bool:
    """One kind of separator: "06 12 34 56 78", "07/05/45/75/98", not "01/02/2024 12"."""
    kinds = {sep.strip() or " " for sep in _SEPARATORS.findall(value)}
    return len(kinds) <= 1


_UNITS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
    "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100,
}  # fmt: skip
_NUMBER_WORD = re.compile(r"[a-zé]+|\d{1,2}", re.IGNORECASE)


def spelled_phones(text: str) -> Iterable[tuple[int, int]]:
    """Phones in words or in short groups: "zéro six douze trente-quatre ..."."""
    folded = fold(text)
    if "zero" not in folded:
        return
    words = [(m.start(), m.end(), m.group(0)) for m in _NUMBER_WORD.finditer(folded)]
    index = 0
    while index < len(words):
        start = index
        count = 0
        while index < len(words):
            word = words[index][2]
            is_number = word in _UNITS or word.isdigit()
            joined = word == "et" and count and index + 1 < len(words)
            if not (is_number or joined):
                break
            if index > start and not re.fullmatch(
                r"[\s\-]+", folded[words[index - 1][1] : words[index][0]]
            ):
                break
            count += is_number
            index += 1
        first = words[start][2] if start < len(words) else ""
        second = words[start + 1][2] if start + 1 < len(words) else ""
        mobile_or_fixed = second in ("un", "deux", "trois", "quatre", "cinq", "six", "sept", "neuf")
        if first == "zero" and mobile_or_fixed and count >= 6:
            yield words[start][0], words[index - 1][1]
        index = max(index, start + 1)


def _phone_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if value.lstrip().startswith(("+", "00")):
        return True
    return len(digits) == 10 and digits[1] != "8"  # 08: companies' and services' numbers


_O_AS_ZERO = str.maketrans("Oo", "00")


class LoosePhoneRecognizer(FrenchRecognizer):
    """Phones with any one kind of separator, or spelled out in words."""

    def __init__(self) -> None:
        super().__init__("TEL", [], score=0.85)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for regex in (_PHONE_NATIONAL, _PHONE_INTL):
            for match in regex.finditer(text):
                value = match.group(0)
                if regex is _PHONE_INTL or (_consistent(value) and _phone_ok(value)):
                    yield match.start(), match.end()
        if "O" in text or "o" in text:
            # "06 12 45 78 9O": the letter O typed for a zero (same length, same offsets)
            zeroed = text.translate(_O_AS_ZERO)
            for match in _PHONE_NATIONAL.finditer(zeroed):
                value = match.group(0)
                if value != text[match.start() : match.end()] and _consistent(value):
                    if _phone_ok(value):
                        yield match.start(), match.end()
        yield from spelled_phones(text)


def build_informal_recognizers() -> list[FrenchRecognizer]:
    return [LexiconNameRecognizer(), LooseEmailRecognizer(), LoosePhoneRecognizer()]
