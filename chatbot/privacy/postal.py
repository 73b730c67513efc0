"""Addresses with no street type, held together by their postcode.

"12 les Hauts de Chantilly 60500 Chantilly", "La Borde Haute, 32300 Mirande", "lieu-dit
Le Moulin, 24200 Sarlat": rural and residential addresses often name no "rue". A postcode
and a city after a few words is an address when the words start with a house number, or
with a word that names a place people live in (lieu-dit, hameau, "La", "Le"...) and an
address cue or a name stands before; words that name an administration ("préfecture",
"CAF", "mairie") keep the line as it is: an office's address is no personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.privacy.address import _city_end
from chatbot.privacy.recognizers import COMMON_WORDS, FrenchRecognizer, fold

_POSTCODE_CITY = re.compile(r",?[ \u00a0]*(?:\d{5}|\d{2} \d{3})(?!\d)")
_PHRASE = re.compile(
    r"(?<![\w'’])(?P<num>\d{1,4}(?: ?(?:bis|ter|[abc])\b)?,?[ \u00a0]+)?"
    r"(?P<words>(?:[^\W\d_][\w'’\-]*\.?[ \u00a0]+){0,4}[^\W\d_][\w'’\-]*)"
    r"(?=,?[ \u00a0]*(?:\d{5}|\d{2} \d{3})(?!\d))",
    re.IGNORECASE,
)
_LIVING_PLACE = re.compile(
    r"^(?:lieu-?dit|lieudit|hameau|mas|ferme|domaine|village|quartier|les|le|la|l['’]|chez)\b",
    re.IGNORECASE,
)
_CUE_BEFORE = re.compile(
    r"(?:adresse|habite|habitons|j'?habite|domicili\w*|demeurant|vis (?:à|au|a)|vit (?:à|au|a)"
    r"|r[ée]side\w*|d[ée]m[ée]nag\w*|h[ée]berg[ée]e?)\b[^\n.!?]{0,12}$|^\s*$|,\s*$|\n\s*$",
    re.IGNORECASE,
)
_OFFICE = re.compile(
    r"\b(?:prefecture|sous-prefecture|mairie|caf|cpam|msa|urssaf|carsat|tribunal|centre|hopital"
    r"|clinique|agence|maison|espace|service|direction|pole|france|bureau|universite|ecole|college"
    r"|lycee|poste|banque|gendarmerie|commissariat|impots|tresorerie|siege|societe|entreprise)\b"
)


class PostcodeAddressRecognizer(FrenchRecognizer):
    def __init__(self) -> None:
        super().__init__("ADRESSE", [], score=0.75)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for match in _PHRASE.finditer(text):
            words = match.group("words")
            folded = fold(words)
            if _OFFICE.search(folded):
                continue
            names = [w for w in re.split(r"[ \u00a0]+", words) if w]
            if not any(
                w[:1].isupper() and not w.isupper() and fold(w) not in COMMON_WORDS for w in names
            ):
                continue
            has_number = bool(match.group("num"))
            if has_number and re.match(r"(?:19|20)\d\d\b", match.group("num")):
                continue  # "le 3 mars 2024 Paris 75015": a year, no house number
            if not has_number:
                before = text[max(0, match.start() - 40) : match.start()]
                if not (_LIVING_PLACE.match(words) and _CUE_BEFORE.search(before)):
                    continue
            post = _POSTCODE_CITY.match(text, match.end())
            if post is None:
                continue
            end = _city_end(text, post.end())
            if end is None or not text[post.end() : end].strip()[:1].isupper():
                continue  # "18 YB 21843 expire": a number, no city
            yield match.start(), end


def build_postal_recognizers() -> list[FrenchRecognizer]:
    return [PostcodeAddressRecognizer()]
