"""More cues around names, as citizens sign and introduce people in short messages.

- a first name alone closing the message after a sentence break or a number: "bonne soirée.
  marc-antoine", "06 23 45 98 71. Elise", "@+ ;) jessica", "merci\\n\\nJulie";
- "bonjour ludo ici": a word before "ici" right after a greeting;
- "Fabrice mon ex mari ne paie plus": a first name opening a clause, then who it is;
- "l'inscription de Mathis": a capitalised first name after "de", "pour", "avec", "chez";
- "la famille Kaya": a capitalised word after "famille".

The lexicons of ``names.py`` decide what a first name is; names that are everyday words
("rose", "pierre") count only when capitalised.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from chatbot.privacy.informal import WORDLIKE, word_kind
from chatbot.privacy.name_cues import ALLOWED_WORDS
from chatbot.privacy.recognizers import COMMON_WORDS, FrenchRecognizer, SpacyPersonRecognizer, fold

_NAME = r"[^\W\d_]+(?:[-'’][^\W\d_]+)*"
# The message's last words after a sentence break, a closing bracket or a sign-off word.
_TAIL = re.compile(
    r"(?:[\n!?;)]|(?<!\b[A-Za-z])\.|\b(?i:merci|cdlt|cdt|cordialement|bisous|bises|a\+|@\+)"
    r"|(?P<num>(?<=\d))(?=[ \t]))"  # after a phone: "06-31-90-87-22 Karim"
    r"[ \t\n]*"
    rf"(?P<first>{_NAME})(?:[ \t]+(?P<last>{_NAME}))?[\s.!]*$"
)
_GREETING_HERE = re.compile(
    rf"(?:^|[\n.!,]\s*|\b(?i:bonjour|bjr|slt|salut|coucou|hello|cc|bonsoir|re)[ ,]+)"
    rf"(?P<first>{_NAME})[ ,]+(?i:ici)\b"
)
_APPOSITION = re.compile(
    rf"(?:^|[\n.!?]\s*)(?P<first>{_NAME})[ \t]*,?[ \t]+(?i:(?:c['’ ]?est |c |cest )?"
    r"(?:mon|ma|notre) (?:ex|mari|femme"
    r"|fils|fille|fr[èe]re|s(?:oe|œ)ur|p[èe]re|m[èe]re|conjointe?|compagnon|compagne|copain"
    r"|copine|voisine?|cousine?|oncle|tante|coloc|conseill[èe]re?|b[ée]b[ée]|enfant))\b"
)
# "la maman de rayan", "mamie jo", "(thierry)", "Sidonie et Marc Fauvel"
_KIN_OF = re.compile(
    r"(?<![\w'’])(?i:maman|papa|m[èe]re|p[èe]re|fils|fille|femme|mari|fr[èe]re|s(?:oe|œ)ur"
    rf"|tante|oncle) (?i:de|d['’])[ \t]*(?P<first>{_NAME})"
)
# accents required: "quand meme partir" is no "mémé"
_PET_NAME = re.compile(
    rf"(?<![\w'’])(?i:mamie|mami|mamy|papi|papy|tata|tatie|tonton|mémé|pépé)[ \t]+"
    rf"(?P<first>{_NAME})"
)
_BRACKETED = re.compile(
    rf"\([ \t]*(?P<first>{_NAME})(?:[ \t]+(?P<last>{_NAME}))?[ \t]*[),]"  # "(Lina, 4 ans)"
)
# "Kevin D.", "Sophie L.": a first name and an initial
_WITH_INITIAL = re.compile(rf"(?<![\w'’])(?P<first>{_NAME}) [A-ZÀ-Þ]\.(?!\w)")
_COUPLE = re.compile(
    rf"(?<![\w'’])(?P<first>{_NAME}) (?i:et|&) (?P<second>{_NAME}) (?P<last>{_NAME})(?![\w'’])"
)
# "marine, 23 ans, ...": a first name opening the message with an age, even an everyday
# word's ("marine", "rose")
_AGED = re.compile(
    rf"(?:^|[\n.!?]\s*|\b(?i:bonjour|bjr|slt|salut|moi c|moi c'est)[ ,]+)(?P<first>{_NAME})"
    rf"(?:[ \t]+(?P<last>{_NAME}))?[ \t]*,?[ \t]*\d{{1,2}}[ \t]?ans\b"
)
_AFTER_WORD = re.compile(rf"(?<![\w'’])(?i:de|d['’]|pour|avec|chez)[ \t]*(?P<first>{_NAME})")
_FAMILY = re.compile(rf"(?<![\w'’])(?i:famille)[ \t]+(?P<first>{_NAME})")


def _first_name(word: str, strict: bool = False) -> bool:
    """A listed first name; an everyday word ("rose", "marine") only when capitalised, and
    never when ``strict``."""
    if word_kind(word) not in "FB" or (strict and fold(word) in WORDLIKE):
        return False
    if word[:1].isupper():
        return True
    return fold(word) not in WORDLIKE


def _surname_like(word: str) -> bool:
    lower = fold(word)
    return word_kind(word) in "SBU" and lower not in COMMON_WORDS and len(lower) > 1


class MoreCueNameRecognizer(FrenchRecognizer):
    def __init__(self) -> None:
        super().__init__("NOM", [], score=0.83)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        spans: set[tuple[int, int]] = set()
        tail = _TAIL.search(text)
        # after a number, not a word that is also a name: "la prime est de 200 Noel"
        if tail and _first_name(tail.group("first"), tail.group("num") is not None):
            last = tail.group("last")
            if last is None:
                spans.add(tail.span("first"))
            elif _surname_like(last) and (
                word_kind(last) in "SB" or last[:1].isupper() == tail.group("first")[:1].isupper()
            ):  # "patrick fournier", "Julie Martin"; not "Bernard demain"
                spans.add((tail.start("first"), tail.end("last")))
        for match in _GREETING_HERE.finditer(text):
            word = match.group("first")
            if word_kind(word) not in "CP" and fold(word) not in COMMON_WORDS and len(word) > 2:
                spans.add(match.span("first"))
        for match in _APPOSITION.finditer(text):
            if _first_name(match.group("first")):
                spans.add(match.span("first"))
        for match in _AFTER_WORD.finditer(text):
            word = match.group("first")
            lower = fold(word)
            # "de Noël", "de France": an everyday word is no first name here
            if word[:1].isupper() and _first_name(word, True) and lower not in ALLOWED_WORDS():
                if not _next_capitalised(text, match.end("first")):  # pairs: cues.py
                    spans.add(match.span("first"))
        for match in _FAMILY.finditer(text):
            word = match.group("first")
            capital = word[:1].isupper() and not word.isupper() or word_kind(word) in "SB"
            if capital and fold(word) not in COMMON_WORDS and fold(word) not in ALLOWED_WORDS():
                spans.add(match.span("first"))
        for match in (*_KIN_OF.finditer(text), *_PET_NAME.finditer(text)):
            word = match.group("first")
            # "bisous mamie jo": an unknown word, capitalised or closing the clause
            pet = match.re is _PET_NAME and word_kind(word) == "U" and len(word) > 1
            closes = re.match(r"\s*(?:[,.!?;)\n]|$)", text[match.end() :]) is not None
            if _first_name(word) or (pet and (word[:1].isupper() or closes)):
                spans.add(match.span("first"))
        for match in _BRACKETED.finditer(text):
            last = match.group("last")
            if _first_name(match.group("first")) and (last is None or _surname_like(last)):
                spans.add((match.start("first"), match.end("last" if last else "first")))
        for match in _AGED.finditer(text):
            last = match.group("last")
            if word_kind(match.group("first")) in "FB":
                end = "last" if last and _surname_like(last) else "first"
                spans.add((match.start("first"), match.end(end)))
        for match in _WITH_INITIAL.finditer(text):
            if match.group("first")[:1].isupper() and _first_name(match.group("first"), True):
                spans.add((match.start("first"), match.end()))
        for match in _COUPLE.finditer(text):
            first, second, last = match.group("first", "second", "last")
            if _first_name(first) and _first_name(second) and word_kind(last) in "SBU":
                if fold(last) not in COMMON_WORDS and last[:1].isupper() == second[:1].isupper():
                    spans.add((match.start("first"), match.end("last")))
        kept = [s for s in spans if not SpacyPersonRecognizer._names_a_place(text, s[0])]
        return [RecognizerResult("NOM", s, e, self.base_score) for s, e in sorted(kept)]


def _next_capitalised(text: str, end: int) -> bool:
    return re.match(r" [A-ZÀ-Þ]", text[end : end + 2]) is not None


def build_name_rule_recognizers() -> list[FrenchRecognizer]:
    return [MoreCueNameRecognizer()]
