"""Street addresses: number, bis/ter, street type, street name, building, postcode, city.

"14 bis rue victor hugo 75011 paris", "bat D porte 12 cité des fleurs 95200 sarcelles",
"3 impasse du moulin, 2e étage porte gauche", "lieu dit la Croix Blanche": the street type
anchors the address; a house number, a postcode or an address cue ("j'habite") makes it
personal. ``_city_end`` is shared with ``postal.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.privacy.recognizers import COMMON_WORDS, STREET_TYPES, FrenchRecognizer

_PLAIN_STREET_TYPES = frozenset(
    "rue avenue boulevard place impasse allée allee chemin route quai cours square passage "
    "résidence residence lotissement lieu-dit hameau cité cite domaine".split()
)
# Street types nobody writes but in an address: no number or cue needed.
_RURAL_TYPES = frozenset({"lieu-dit", "lieu dit", "lotissement", "hameau"})
_BUILDING_WORDS = frozenset(
    "bât bat bâtiment batiment appt apt app appartement esc escalier porte étage etage".split()
)
# "bât B appt 12", ", escalier 3, porte 14": where in the building, after the street.
_BUILDING = re.compile(
    r"(?:,?[ \u00a0]+(?:(?i:b[âa]t(?:iment)?\.?|ap{1,2}t?\.?|appartement|app\.|esc(?:alier)?\.?"
    r"|porte|[ée]tage|log(?:ement)?\.?|n°)[ \u00a0]*[A-Z0-9]{1,4}\b"
    # "2e étage", "porte gauche"
    r"|\d{1,2}(?i:e|er|[èe]me)[ \u00a0]+(?i:[ée]tage)|(?i:porte (?:gauche|droite|du fond|face))))+"
)
_BARE_ABBREVIATIONS = frozenset("r pl ch all".split())  # without their dot
_BUILDING_BEFORE = re.compile(
    r"(?:(?i:r[ée]sidence|r[ée]s\.|immeuble|imm\.)"
    r"(?:[ \u00a0]+(?:[A-ZÀ-Þ][\w'’\-]*|les?|la|des|du|de)){1,4}"
    r"[ \u00a0]*,?[ \u00a0]*)?"
    r"(?:(?i:b[âa]t(?:iment)?\.?|ap{1,2}t?\.?|appartement|esc(?:alier)?\.?|bp|porte"
    r"|log(?:ement)?\.?)"
    r"[ \u00a0]*[A-Z0-9]{1,4}[ \u00a0]*,?[ \u00a0]*)+$"
)
_FLAT_BEFORE = re.compile(
    r"(?:(?i:r[ée]sidence|r[ée]s\.|immeuble)"
    r"(?:[ \u00a0]+(?:[A-ZÀ-Þ][\w'’\-]*|les?|la|des|du|de)){1,4}[ \u00a0]*,?[ \u00a0]*)?"
    r"(?:(?i:b[âa]t(?:iment)?\.?|esc(?:alier)?\.?)[ \u00a0]*[A-Z0-9]{1,3}[ \u00a0]*,?[ \u00a0]*)+"
    r"(?i:porte|ap{1,2}t?\.?|appartement|log(?:ement)?\.?)[ \u00a0]*$"
)
_MONTH_NEXT = re.compile(
    r" (?i:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre"
    r"|d[ée]cembre)\b"
)
_MONTH_BEFORE = re.compile(
    r"(?i:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre"
    r"|d[ée]cembre) $"
)
_CITY_WORD = re.compile(r"[ \u00a0]?([^\W\d_]+(?:['’\-][^\W\d_]+)*)")
_CITY_LINKS = frozenset(
    {"le", "la", "les", "sur", "sous", "en", "de", "du", "des", "lès", "lés", "l"}
)


def _city_end(text: str, pos: int) -> int | None:
    """End of the city after a postcode: "Le Havre", "Saint-Denis", "lyon", "Aix-en-Provence",
    "Villeneuve d'Ascq", "aix en provence", "saint denis", "boulogne billancourt"."""
    end = None
    cursor = pos
    lower_city = False  # a city typed in lower case
    after_link = False
    previous = ""
    for index in range(4):
        match = _CITY_WORD.match(text, cursor)
        if not match:
            break
        word = match.group(1)
        lower = word.lower()
        capital = word[:1].isupper() or _ELIDED_CAPITAL.match(word) is not None
        if lower in _CITY_LINKS:
            cursor = match.end()
            after_link = lower in _LOWER_CITY_LINKS
            continue
        if index > 0 and end is not None and not capital:
            # "aix en provence", "saint denis", "boulogne billancourt": more lower-case
            # words of the same city, never a common word
            if not lower_city or lower in COMMON_WORDS:
                break
            if _VERBISH.search(lower) and not after_link:  # "sur mer" is no verb
                break
            linked = text[end : match.start(1)].strip() != ""
            if not (after_link or previous in _SAINTS or (len(lower) >= 6 and not linked)):
                break
        if lower in COMMON_WORDS and not capital:
            break
        cursor = match.end()
        end = cursor
        after_link = False
        previous = lower
        if not capital:
            lower_city = True
            if index >= 2:
                break
    return end


_ELIDED_CAPITAL = re.compile(r"[dlDL]['’][A-ZÀ-Þ]")
_SAINTS = frozenset({"saint", "sainte", "st", "ste"})
# "aix en provence", "boulogne sur mer" (not "saint denis le facteur")
_LOWER_CITY_LINKS = frozenset({"en", "sur", "sous", "lès", "les"})
# "75011 paris demain", "lyon souhaite": no city word ends like a verb or an adverb
_VERBISH = re.compile(r"(?:er|ez|ais|ait|ons|ent|ment|ui|ain)$")


class AddressRecognizer(FrenchRecognizer):
    """Street addresses: number, bis/ter, street type, name, optional postcode and city."""

    HEAD = re.compile(
        rf"(?<![\w])(?:(?P<num>\d{{1,4}}(?: ?(?:bis|ter|quater|[abc])\b)?,?\s+)?)"
        r"(?P<adj>(?:grande?|petite?|vieille|haute?|basse?|ancienne?|nouvelle|vieux)\s+)?"
        rf"(?P<type>{STREET_TYPES}|(?<=\d )(?:r|pl|av|bd|ch|imp|all|rte|sq|chem)(?=\s))"
        r"(?=[ \u00a0]|[,\s]+\d{5}|$)",
        re.IGNORECASE,
    )
    POSTCODE = re.compile(r",?\s*(?:\d{5}|\d{2} \d{3})(?![\d])")
    CONTEXT = re.compile(
        r"(?:habite|habitons|habitez|demeurant|domicili|adresse|j'?habite|vis |vit |situ[ée]|chez |"
        r"d[ée]m[ée]nag|h[ée]berg[ée]|r[ée]side)",
        re.IGNORECASE,
    )

    def __init__(self) -> None:
        super().__init__("ADRESSE", [], score=0.9)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for match in self.HEAD.finditer(text):
            has_number = bool(match.group("num"))
            name = self._street_name(text, match.end())
            if name is None and match.group("adj") and match.group("num"):
                name = match.end()  # "108 Grande Rue 25000 Besançon"
            if name is None:
                continue
            end = name
            building = _BUILDING.match(text, end)
            if building:
                end = building.end()
            post = self.POSTCODE.match(text, end)
            has_postcode = False
            if post:
                has_postcode = True
                end = post.end()
                city = _city_end(text, end)
                if city:
                    end = city
                    cedex = re.match(r" (?i:cedex)(?: \d{1,2})?", text[end:])
                    if cedex:
                        end += cedex.end()
            start = match.start()
            if has_number or has_postcode:
                # "bât C, 18 chemin ...", "BP 27, 15 route ...": where in the building, first.
                prefix = _BUILDING_BEFORE.search(text, max(0, start - 60), start)
                if prefix:
                    start = prefix.start()
                elif has_number:
                    # "bat D porte 12 cité des fleurs": the number is the flat's
                    flat = _FLAT_BEFORE.search(text, max(0, start - 60), start)
                    if flat:
                        start = flat.start()
            window = text[max(0, match.start() - 40) : match.start()]
            # Without number or postcode, only a plain street type after "j'habite" & co.
            plain = match.group("type").lower() in _PLAIN_STREET_TYPES
            bare = match.group("type").lower() in _BARE_ABBREVIATIONS
            if bare and not (has_postcode or self.CONTEXT.search(window)):
                continue  # "3 r de retard": "r" alone is a street only where an address is
            rural = match.group("type").lower() in _RURAL_TYPES  # "lieu dit la Croix Blanche"
            if has_number or has_postcode or rural or (plain and self.CONTEXT.search(window)):
                yield start, end

    @staticmethod
    def _street_name(text: str, pos: int) -> int | None:
        """End of the street name after the street type, or None when there is none."""
        cursor = pos
        words = 0
        end = None
        while words < 6:
            gap_match = re.match(r"[ \u00a0]+", text[cursor:])
            if not gap_match:
                break
            start = cursor + gap_match.end()
            match = re.match(r"[^\W_]+(?:['’\-][^\W_]+)*['’]?", text[start:])
            if not match:
                break
            word = match.group(0)
            lower = word.lower()
            is_link = lower in {
                "de",
                "du",
                "des",
                "d'",
                "d’",
                "la",
                "le",
                "les",
                "l'",
                "l’",
                "aux",
                "au",
                "en",
                "sur",
                "sous",
                "et",
                "saint",
                "sainte",
            } or lower.endswith(("'", "’"))
            if not is_link:
                if lower.rstrip(".") in _BUILDING_WORDS:
                    break
                # "place de la Mairie", "rue de la Gare": a capitalised word after a link
                # names the street, common or not
                named = word[:1].isupper() and words > 0 and end is None
                common = lower in COMMON_WORDS - {"pasteur", "general", "général"} and not named
                if common or (word.isdigit() and len(word) == 5):
                    break
                after_month = _MONTH_BEFORE.search(text, 0, start) is not None
                if word.isdigit() and not (
                    _MONTH_NEXT.match(text, start + len(word)) or (len(word) == 4 and after_month)
                ):
                    break
            cursor = start + len(word)
            words += 1
            if not is_link:
                end = cursor
            if lower.endswith(("'", "’")):
                # "l'Église": the next word follows with no space.
                nxt = re.match(r"[^\W\d_]+(?:-[^\W\d_]+)*", text[cursor:])
                if nxt:
                    cursor += nxt.end()
                    end = cursor
        return end
