"""Identifiers named by a cue word, in any grouping, whatever their checksum.

Citizens type a card, passport, CNI, fiscal or CAF number right after the word that says
what it is ("CNI n° 0907 6921 1384", "mon passeport camerounais : AB0837142", "num alloc c
3 620 174", "ma CB 4970-1012-3456-7890"). The fixed formats of ``recognizers.py`` miss
foreign formats, odd groupings and numbers that fail their checksum (a typo, or a number
made up for an example): the cue already says the value is personal, so here the value is
whatever run of digit groups follows the cue within a short gap of the same clause, with
the length the family allows. A card number in any grouping is also masked with no cue
when its Luhn checksum holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from chatbot.privacy import checksums
from chatbot.privacy.recognizers import FrenchRecognizer, Rule, fold


@dataclass(frozen=True)
class Family:
    entity: str
    cue: re.Pattern[str]  # matched on accent-folded lower-case text
    min_len: int  # letters and digits in the value, separators not counted
    max_len: int
    min_digits: int
    letters: bool = False  # may the value hold letters ("AB0837142", "X4RTBPFW4")?


def _cue(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9])(?:{words})(?![a-z0-9])")


FAMILIES = (
    Family(
        "CB",
        _cue(
            r"carte (?:bancaire|bleue|de credit|de paiement|visa|mastercard)|cb|visa|mastercard"
            r"|master card|amex|american express|maestro|n° de carte|num de carte"
            # "carte" alone, unless it is another card ("carte vitale 1 85 ...": a NIR)
            r"|carte(?! vitale| grise| d.identite| nationale| de sejour| d.allocataire"
            r"| de resident| mobilite| europeenne| d.invalidite| de tiers| du combattant)"
        ),
        13,
        19,
        13,
    ),
    Family(
        "FISCAL",
        _cue(
            r"(?:numero|num|n°|no|identifiant|id|ref|reference|numero d.identification) fiscale?"
            r"|fiscal|fiscale|fiscaux|numeros fiscaux|spi|nif|numero de contribuable"
            r"|impots?|impots\.gouv|dgfip"
            r"|avis d.imposition|declaration de revenus|numero fiscal de reference"
        ),
        13,
        13,
        13,
    ),
    Family(
        "PASSEPORT",
        _cue(r"passeport|passport|pasport|passe-port|pass"),
        7,
        10,
        5,
        letters=True,
    ),
    Family(
        "CNI",
        _cue(
            r"carte (?:nationale )?d.identite|carte d id|cni|piece d.identite|titre d.identite"
            r"|id card|identity card|carte identite"
        ),
        9,
        12,
        2,
        letters=True,
    ),
    Family(
        "CAF",
        _cue(r"caf|allocataire|alloc|allocs|msa|n° alloc|matricule caf"),
        6,
        8,
        6,
        letters=True,
    ),
    Family(
        "FRANCE_TRAVAIL",
        _cue(
            r"france travail|pole emploi|francetravail|identifiant (?:ft|pe|france travail)"
            r"|numero (?:d.)?inscription|demandeur d.emploi"
        ),
        7,
        9,
        7,
        letters=True,
    ),
)

# Between the cue and the value: words of the same clause, no digit, no clause break.
GAP = 32
_GAP_OK = re.compile(r"[^\d,;!?\n()]*(?:\([ ]*)?")  # "mon passeport (ZH5678912)"
_GROUP = re.compile(r"[A-Za-z0-9]+")
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]*\d[A-Za-z0-9]*")
_SEPARATOR = re.compile(r"[ .\-/·_\u00a0\u202f]{1,2}")
_DATE_LIKE = re.compile(r"\d{1,2}[/.\- ]\d{1,2}[/.\- ](?:\d{4}|\d{2})")
_PHONE_LIKE = re.compile(r"(?:\+|00)\d|0[1-9](?:[ .\-/]?\d{2}){4}")


def _value_end(text: str, pos: int, family: Family) -> int | None:
    """End of the identifier starting at ``pos``: digit groups (and short letter groups for
    families that hold letters) joined by one separator, at most ``max_len`` characters."""
    count = digits = 0
    end = None
    cursor = pos
    while True:
        group = _GROUP.match(text, cursor)
        if not group:
            break
        value = group.group(0)
        has_digit = any(c.isdigit() for c in value)
        if not has_digit:
            # a letter group belongs to the value only when glued to digits ("AB 0837142"
            # is rare; "n° 12 34 et" must stop before "et").
            if not family.letters or len(value) > 3 or not value.isupper():
                break
        elif not family.letters and not value.isdigit():
            break
        if count + len(value) > family.max_len:
            break
        count += len(value)
        digits += sum(c.isdigit() for c in value)
        if has_digit:
            end = group.end()
        separator = _SEPARATOR.match(text, group.end())
        if not separator or separator.end() >= len(text):
            break
        cursor = separator.end()
    if end is None:
        return None
    value = text[pos:end]
    total = sum(c.isalnum() for c in value)
    if total < family.min_len or digits < family.min_digits:
        return None
    if family.letters and not re.search(r"\d", value):
        return None
    return end


class CueIdRecognizer(FrenchRecognizer):
    """One family: the identifier right after its cue word."""

    def __init__(self, family: Family) -> None:
        super().__init__(family.entity, [], score=0.8)
        self.family = family

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        folded = fold(text)
        for cue in self.family.cue.finditer(folded):
            limit = min(len(text), cue.end() + GAP)
            # the value starts at the first word of the window holding a digit
            token = _TOKEN.search(text, cue.end(), limit)
            if token is None:
                continue
            gap = text[cue.end() : token.start()]
            if not _GAP_OK.fullmatch(gap) or ". " in gap:
                continue
            start = token.start()
            end = _value_end(text, start, self.family)
            if end is None:
                continue
            value = text[start:end]
            if _DATE_LIKE.fullmatch(value) or _PHONE_LIKE.fullmatch(value):
                continue
            if end < len(text) and text[end].isalnum():
                continue
            yield start, end


# A card number in any grouping ("4970 10 12 3456 7890", dots, dashes) when Luhn holds.
_CARD = re.compile(r"(?<![\w+])(?<!\d[ .\-])[2-6]\d(?:[ .\-]?\d){11,17}(?![ .\-]?\d)(?!\w)")


class AnyGroupingCardRecognizer(FrenchRecognizer):
    def __init__(self) -> None:
        super().__init__("CB", [], score=0.85)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for match in _CARD.finditer(text):
            digits = re.sub(r"\D", "", match.group(0))
            amex = len(digits) == 15 and digits[:2] in ("34", "37")
            if (len(digits) == 16 or amex) and checksums.card_ok(digits):
                yield match.start(), match.end()


# An order, an invoice or a parcel number has the same shape: those cues keep it.
_OTHER_NUMBER = re.compile(
    r"(?:commande|facture|colis|suivi|client|contrat|ticket|r[ée]f[ée]rence|r[ée]f\.?|"
    r"transaction|billet|r[ée]servation)\b[^\n,.;]{0,20}$",
    re.IGNORECASE,
)


class LoneJobseekerIdRecognizer(FrenchRecognizer):
    """France Travail's identifier shape, seven digits and a letter, needs no cue ("bjr Lucas
    Petit 3098765B"); any cue (CAF, France Travail) scores higher and wins."""

    def __init__(self) -> None:
        super().__init__(
            "FRANCE_TRAVAIL", [Rule(r"(?<![\w])\d{7}[A-Z](?![\w])", flags=0)], score=0.55
        )

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for start, end in super().candidates(text):
            if not _OTHER_NUMBER.search(text, max(0, start - 40), start):
                yield start, end


_PLATE_CONTEXT = (
    "plaque",
    "immatriculation",
    "immatriculé",
    "immatriculée",
    "carte grise",
    "véhicule",
    "voiture",
)


def build_id_recognizers() -> list[FrenchRecognizer]:
    return [
        *(CueIdRecognizer(family) for family in FAMILIES),
        AnyGroupingCardRecognizer(),
        # France Travail's identifier shape, seven digits and a letter, needs no cue:
        # "bjr Lucas Petit 3098765B". Any cue (CAF, France Travail) scores higher and wins.
        LoneJobseekerIdRecognizer(),
        # The French passport's own shape needs no cue: "TCHAKOUNTE Brice 15HP67321".
        FrenchRecognizer(
            "PASSEPORT",
            [Rule(r"(?<![\w])\d{2}[A-Z]{2}\d{5}(?![\w])", flags=0)],
            score=0.6,
        ),
        # A plate typed in lower case ("plaque ab 742 rt"), only next to its cue.
        FrenchRecognizer(
            "PLAQUE",
            [
                Rule(
                    r"(?<![\w])[a-hj-np-tv-z]{2}[ \-]?\d{3}[ \-]?[a-hj-np-tv-z]{2}(?![\w])", flags=0
                )
            ],
            context=_PLATE_CONTEXT,
            require_context=True,
            score=0.8,
        ),
    ]
