"""Recognizers keyed on cues within a window, for forms no fixed pattern foresees.

- birth dates: a birth cue ("né", "née le", "DDN", "date de naiss.", "je suis du") then the
  first date within a short window of the same clause ("né au Maroc le 20/09/1997",
  "née 1 octobre 78", "né en 1985": a year alone only right after "né(e) en");
- NIR in any grouping or with its key apart: ``nir.py``, registered here;
- names from cues and the shape of the words, with no lexicon needed: after an
  introduction ("moi c kofi hadjadj"), right before an e-mail or a phone ("Thi Hoa
  Tounkara - x@y.fr"), as a message's last line or clause ("merci !\\nines kowalczyk"),
  before "m'a dit" ("Catarina Dos Reis m'a conseillé"), and two capitalised rare words
  after "de", "pour", "avec" ("le dossier de Kofi Benjelloun"). A word is name-like when it
  is in the name lexicons, capitalised, or a word spaCy's vectors do not know (surnames
  are rare words); common words never are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from chatbot.privacy.informal import word_kind
from chatbot.privacy.name_cues import (
    ALLOWED_WORDS,
    IS_MY_NAME,
    NAME_WORD,
    RELATIVE,
    ROLE_AFTER,
    SIGN_OFF,
)
from chatbot.privacy.nir import GroupedNirRecognizer
from chatbot.privacy.recognizers import (
    _ELIDED,
    _TITLE_WORDS,
    COMMON_WORDS,
    FrenchRecognizer,
    SpacyPersonRecognizer,
    fold,
)

# --------------------------------------------------------------------------- birth dates

_MONTHS = (
    r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre"
    r"|d[ée]cembre|janv\.?|f[ée]vr?\.?|avr\.?|juil\.?|sept\.?|oct\.?|nov\.?|d[ée]c\.?"
)
_DAY_WORDS = (
    r"premier|1er|un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
    r"|quinze|seize|dix-sept|dix-huit|dix-neuf|vingt(?:(?:-| et )(?:un|deux|trois|quatre|cinq"
    r"|six|sept|huit|neuf))?|trente(?: et un|-et-un)?"
)
# A year in words: "mille neuf cent quatre-vingt-huit", "deux mille trois".
_YEAR_WORDS = r"(?:mille|mil) neuf cents?(?:[ \-][a-z\-]+){0,3}|deux mille(?:[ \-][a-z\-]+){0,2}"
_DATE = re.compile(
    r"(?<![\w/.\-])(?:\d{1,2}(?:er)?[/.\- ]\d{1,2}[/.\- ](?:\d{4}|\d{2})"
    r"|\d{1,2}(?:er)? du \d{1,2}[ /](?:19|20)\d{2}"  # "le 7 du 9 1988"
    rf"|(?:\d{{1,2}}|1er) (?:{_MONTHS})(?: (?:\d{{4}}|\d{{2}}|{_YEAR_WORDS}))?"
    rf"|(?:{_DAY_WORDS}) (?:{_MONTHS})(?: (?:\d{{4}}|{_YEAR_WORDS}))?"
    r"|\d{4}-\d{2}-\d{2}|\d{8})(?![\w/]|[.\-]\d|:\d| ?h\d)",
    re.IGNORECASE,
)


def _compact_date_ok(value: str) -> bool:
    """ "23021972", "20011127": a real calendar date, day first or year first."""
    if not re.fullmatch(r"\d{8}", value):
        return True
    day, month, year = int(value[:2]), int(value[2:4]), int(value[4:])
    if 1 <= day <= 31 and 1 <= month <= 12 and 1900 <= year <= 2030:
        return True
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    return 1900 <= year <= 2030 and 1 <= month <= 12 and 1 <= day <= 31


_HAS_YEAR = re.compile(r"\d{4}|\d{2}$|mil", re.IGNORECASE)
# Someone else's birthday without a year ("ma fille est née le 3 mars") is no identifier.
_OTHER_SUBJECT = re.compile(
    r"(?:fille|fils|enfant|b[ée]b[ée]|petite?|il|elle|ils|elles|mari|femme|fr[èe]re|s(?:oe|œ)ur"
    r"|p[èe]re|m[èe]re|copain|copine)\s+(?:est\s+|sont\s+|[ée]tait\s+)?$",
    re.IGNORECASE,
)
# "c 05-08-1967 et pas 23021972": the correction is a birth date too.
_ALSO = re.compile(r"\s*,?\s*(?:et pas|et non|pas|non|au lieu de|ou|mais)\s+(?:le\s+|du\s+)?", re.I)

# "né", "née", "nés", "né(e)", "nee" (not "ne": the negation); "DDN", "date de naiss.".
_BIRTH_CUE = re.compile(
    r"(?<![\w])(?:n(?:é|ee|e(?=\(e\)))e?s?(?:\(e\)s?)?|nee?s?(?= le\b)"
    r"|ddn|dn\s*:|dn(?=\s+\d)|date (?:de )?naiss(?:ance|\.)?|naissance\s*(?::|le\b|du\b|=)"
    r"|anniversaire|(?:je suis|jsuis|chui|j suis) (?:n[ée]e? )?du)(?![\w(])",
    re.IGNORECASE,
)
_NOT_BIRTH = re.compile(
    r"(?:acte|extrait|certificat|d[ée]claration|prime|cong[ée]|allocation|lieu|pays|ville|"
    r"d[ée]clarer la) d[e']\s*$",
    re.IGNORECASE,
)
_YEAR_AFTER_EN = re.compile(
    # "né en 1978", "né à Lyon en 1978", "né au Maroc en 1978"
    r"(?:\s+(?:à|a|au|aux)\s+[A-Za-zÀ-ÿ'’\-]+(?:\s+[A-ZÀ-Þ][\w'’\-]*)?)?"
    rf"\s+en\s+((?:(?:{_MONTHS})\s+)?(?:(?:19|20)\d{{2}}|[4-9]\d(?!\s*(?:ans|%|€|euros)))"
    # the day after the year: "né en mars 1990 le 12", "né en 1975 le 4 juillet"
    rf"(?:,?\s+le\s+(?:\d{{1,2}}|1er)(?:\s+(?:{_MONTHS}))?(?![\w/]))?)(?!\d)",
    re.IGNORECASE,
)
# "je suis de 1956": a year of birth alone
_YEAR_OF = re.compile(
    r"(?<![\w])(?:je suis|jsuis|j['’ ]suis|chui|moi c['’ ]?est|moi je suis)"
    r" de (19[2-9]\d|200\d)(?!\d)",
    re.IGNORECASE,
)
# "ma date de naissance est fausse sur ma carte, c'est le 12 mars 1990": the cue names the
# date further on, in the same sentence
_LONG_CUE = re.compile(r"date de naiss(?:ance)?|ddn", re.IGNORECASE)
LONG_WINDOW = 90
_MORE_YEARS = re.compile(r"(?:\s*,\s*|\s+et\s+)((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[!?;\n]|\.\s|,\s*(?:et|mais|rdv|le rdv)\b", re.IGNORECASE)
WINDOW = 40


# "le 04/05/1992 c'est ma date de naissance": the date before its cue
_CUE_AFTER = re.compile(
    r"[ \t]+(?:c['’ ]?est |c |est |cest |=[ \t]*)?(?:ma|sa|la|votre|mon|son) (?:date de naiss|ddn"
    r"|anniversaire)",
    re.IGNORECASE,
)


class CueBirthDateRecognizer(FrenchRecognizer):
    def __init__(self) -> None:
        super().__init__("DATE_NAISSANCE", [], score=0.88)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for year in _YEAR_OF.finditer(text):
            yield year.span(1)
        for date in _DATE.finditer(text):
            if _HAS_YEAR.search(date.group(0)) and _CUE_AFTER.match(text, date.end()):
                yield date.span()
        for cue in _BIRTH_CUE.finditer(text):
            if _NOT_BIRTH.search(text, max(0, cue.start() - 25), cue.start()):
                continue
            year = _YEAR_AFTER_EN.match(text, cue.end())
            if year and fold(cue.group(0)).startswith("n"):
                yield year.start(1), year.end(1)
                more = _MORE_YEARS.match(text, year.end())
                while more:  # "nés en 2015 et 2018"
                    yield more.start(1), more.end(1)
                    more = _MORE_YEARS.match(text, more.end())
                continue
            long_cue = _LONG_CUE.match(cue.group(0)) is not None
            limit = min(len(text), cue.end() + (LONG_WINDOW if long_cue else WINDOW))
            date = _DATE.search(text, cue.end())  # may end past the window, not start past it
            if date is None or date.start() >= limit or not _compact_date_ok(date.group(0)):
                continue
            gap = text[cue.end() : date.start()]
            if _CLAUSE_BREAK.search(gap) or _BIRTH_CUE.search(gap):
                continue
            if len(gap) > WINDOW and not _HAS_YEAR.search(date.group(0)):
                continue  # far from its cue, a date needs its year
            if not _HAS_YEAR.search(date.group(0)) and (
                fold(cue.group(0)).startswith("anniv")
                or _OTHER_SUBJECT.search(text, max(0, cue.start() - 25), cue.start())
            ):
                continue
            yield date.start(), date.end()
            also = _ALSO.match(text, date.end())
            if also:
                more = _DATE.match(text, also.end())
                if more and _compact_date_ok(more.group(0)):
                    yield more.start(), more.end()


_YEAR = re.compile(r"(19[2-9]\d|200\d|201[0-2])$")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[ \u00a0]*[,(\-–]?[ \u00a0]*$")  # "Leblanc (17.03.1978)"


class NameDateRecognizer(FrenchRecognizer):
    """A full date of a past year right after a person's name is that person's birth date:
    "Salomé Rivière, 24 déc. 2003", "TCHAKOUNTE Brice 01/04/1983"."""

    def __init__(self) -> None:
        super().__init__("DATE_NAISSANCE", [], score=0.8)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for date in _DATE.finditer(text):
            value = date.group(0)
            if not _YEAR.search(value) or not _compact_date_ok(value):
                continue
            before = _WORD_BEFORE.search(text, max(0, date.start() - 40), date.start())
            if before is None:
                continue
            word = before.group(1)
            kind = word_kind(word)
            capitalised = word[:1].isupper() and fold(word) not in COMMON_WORDS
            opens = _LINE_OR_CLAUSE.search(text, 0, before.start()) is not None
            if kind in ("F", "S", "B") or (capitalised and not opens and kind != "P"):
                yield date.start(), date.end()


# --------------------------------------------------------------------------- names

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)
_PARTICLES = frozenset(
    "de du des da das do dos di del della van von der den ben bin bint ould el al ibn abou "
    "ait aït le la mac mc".split()
)
_INTRO = re.compile(
    r"(?<![\w'’])(?:je m['’ ]?ap+el+e?s?|j['’ ]?m['’ ]?ap+el+e?|jm['’ ]?ap+el+e?|je me nomme"
    r"|moi c['’ ]?est|moi c|moi cé|slt c(?: moi)?|bjr c(?: moi)?|c['’ ]?est|cé|ici|sign[ée]+"
    r"|je suis|j['’ ]?suis"
    r"|(?:hello|salut|coucou|yo|dsl|cc|hey|salam|bonsoir|bonjour|re)[ ,]+c(?:[ ]encore)?(?:[ ]moi)?"
    r"|jsuis|jsui|chui|chuis|de la part de|au nom de|cordialement,?|bien [àa] vous,?"
    r"|salutations,?|cdlt,?|cdt,?|bien cdlt,?|s['’ ]?ap+el+e?|c moi)"
    r"[ \u00a0]+(?=\w)",
    re.IGNORECASE,
)
_WEAK_INTRO = frozenset(
    {"c'est", "c’est", "c est", "cé", "ici", "je suis", "j suis", "jsuis", "jsui", "chuis"}
)
_CONTACT = re.compile(
    r"[ \t]*(?:[-–,:;/|(]\s*)?"
    r"(?:\S+@\S+\.[a-z]{2,}|\S+ arr?obase |(?:\+33|0)[1-9](?:[ .\-]?\d){8})",
    re.IGNORECASE,
)
_SAID = re.compile(
    # "Valérie de la CAF m'a dit", "Dupuis a la mairie m'a dit"
    r"(?:\s+(?:de|du|à|a|au)\s+(?:la\s+|l['’])?[\w\-]+)?"
    r"\s+(?:m['’ ]\s?a(?:vait)?|nous a|m['’ ]\s?ont|a dit|m['’ ]\s?a dit|m['’ ]\s?a conseill)",
    re.IGNORECASE,
)
_BEFORE_NAME = re.compile(r"(?<![\w])(?:de|d['’]|pour|avec|chez|à|a|et)\s+$", re.IGNORECASE)
_LINE_OR_CLAUSE = re.compile(r"(?:^|\n|[,!.:]\s+)$")


class CueNameRecognizer(FrenchRecognizer):
    def __init__(self) -> None:
        super().__init__("NOM", [], score=0.84)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        vocab = nlp_artifacts.tokens.vocab if nlp_artifacts is not None else None
        tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        kinds = [word_kind(w) for _, _, w in tokens]
        starts = {s: i for i, (s, _, _) in enumerate(tokens)}
        spans: set[tuple[int, int]] = set()

        def glued(i: int) -> bool:
            """Part of an e-mail or a code: "maelys" in "maelys39@x.fr"."""
            start, end, _ = tokens[i]
            after = text[end : end + 2]
            return bool(re.match(r"[\d@_]|[.%]\w", after)) or (
                start > 0 and text[start - 1] in "@._%"
            )

        def namelike(i: int, loose: bool = False) -> bool:
            word = tokens[i][2]
            lower = fold(word)
            if lower.rstrip(".") in _TITLE_WORDS or glued(i):
                return False
            if _ELIDED.match(lower) and not re.match(r"[ND]['’][A-Z]", word):
                return False
            if loose and kinds[i] not in "CP" and lower not in COMMON_WORDS and len(lower) > 2:
                return True
            if kinds[i] in "FSB":
                return True
            if kinds[i] in "CP" or lower in COMMON_WORDS or len(lower) < 2:
                return False
            if word[:1].isupper() and not word.isupper():
                return True
            return vocab is not None and not vocab.has_vector(word.lower())

        def rare(i: int) -> bool:
            return kinds[i] in "FSB" or (
                vocab is not None
                and kinds[i] not in "CP"
                and not vocab.has_vector(tokens[i][2].lower())
            )

        def run(i: int, most: int = 4, loose: bool = False) -> int:
            """Index after the name starting at token i (particles kept inside)."""
            j = i
            while j < len(tokens) and j - i < most:
                if j > i and not _adjacent(text, tokens[j - 1][1], tokens[j][0]):
                    break
                if fold(tokens[j][2]) in _PARTICLES and j > i:
                    k = j  # "van der berg": particles, then a name-like word
                    while k < len(tokens) and fold(tokens[k][2]) in _PARTICLES:
                        k += 1
                    if k < len(tokens) and namelike(k, loose=True) and k - j <= 2:
                        j = k + 1
                        continue
                    break
                if not namelike(j, loose and j == i):
                    break
                j += 1
            return j

        # 1. after an introduction: "moi c kofi hadjadj", "je m'apelle piotr karataş"
        for match in _INTRO.finditer(text):
            i = starts.get(match.end())
            if i is None or not namelike(i):
                continue
            j = run(i)
            cue = fold(match.group(0).strip().rstrip(","))
            if cue in _WEAK_INTRO and j - i < 2 and kinds[i] not in "FB":
                continue
            spans.add((tokens[i][0], tokens[j - 1][1]))
        # 2. right before an e-mail or a phone, at a line's start: "Thi Hoa Tounkara - x@y.fr"
        for i, (start, _, _) in enumerate(tokens):
            if not _LINE_OR_CLAUSE.search(text, max(0, start - 3), start) and start:
                continue
            j = run(i, loose=True)
            if (
                j - i >= 2
                and _CONTACT.match(text, tokens[j - 1][1])
                and any(rare(k) for k in range(i, j))
            ):
                spans.add((start, tokens[j - 1][1]))
        # 3. the message's last line or clause: "merci !\nines kowalczyk"
        tail = re.search(r"(?:^|\n|[,!.]\s+)([^\n,!.]+?)[\s.!]*$", text)
        if tail:
            i = starts.get(tail.start(1))
            if i is not None:
                j = run(i, loose=True)
                if (
                    2 <= j - i
                    and tokens[j - 1][1] == tail.end(1)
                    and any(rare(k) for k in range(i, j))
                ):
                    spans.add((tokens[i][0], tokens[j - 1][1]))
        # 4. "Catarina Dos Reis m'a conseillé": capitalised words, then "m'a dit"
        for i, (start, _, word) in enumerate(tokens):
            if not word[:1].isupper() or not _LINE_OR_CLAUSE.search(text, max(0, start - 3), start):
                continue
            j = run(i)
            if j - i >= 2 and _SAID.match(text, tokens[j - 1][1]):
                spans.add((start, tokens[j - 1][1]))
        # 5. "le dossier de Kofi Benjelloun": two capitalised words, one of them rare
        for i, (start, _, word) in enumerate(tokens):
            if not word[:1].isupper() or word.isupper():
                continue
            if not _BEFORE_NAME.search(text, max(0, start - 8), start):
                continue
            j = run(i, 3)
            words = [tokens[k][2] for k in range(i, j)]
            if (
                len(words) >= 2
                and all(w[:1].isupper() or fold(w) in _PARTICLES for w in words)
                and any(rare(k) for k in range(i, j) if fold(tokens[k][2]) not in _PARTICLES)
            ):
                spans.add((start, tokens[j - 1][1]))

        # 6. after "nom"/"prénom" ("mon nom c CISSE DJAMILA", "nom d'usage : PROVOST"), or
        # before "c mon nom" ("BERTHELOT c mon nom et jess mon prénom")
        def capitals(i: int) -> bool:
            word = tokens[i][2]
            return word.isupper() and len(word) >= 2 and kinds[i] != "C"

        def with_capitals(i: int, j: int) -> int:
            while (
                j < len(tokens) and capitals(j) and _adjacent(text, tokens[j - 1][1], tokens[j][0])
            ):
                j += 1
            return j

        for match in NAME_WORD.finditer(text):
            i = starts.get(match.end())
            if i is None:
                continue
            # "nom bailly", "nom : PROVOST" take any rare word; after "mon nom est" a
            # common-looking word is an adjective ("mon prénom est composé").
            verbal = re.search(r"(?:est|c)\s*$", match.group(0), re.IGNORECASE) is not None
            if capitals(i) or namelike(i, loose=not verbal):
                j = with_capitals(i, run(i, 3, loose=not verbal))
                spans.add((tokens[i][0], tokens[j - 1][1]))
        for match in IS_MY_NAME.finditer(text):
            i = next((k for k, t in enumerate(tokens) if t[1] == match.start()), None)
            if i is not None and namelike(i, loose=True):
                spans.add((tokens[i][0], tokens[i][1]))
        # 7. a word in capitals next to a first name ("COURTOIS Ludivine", "CISSE DJAMILA"),
        # or before "(mon conseiller ...)" / "m'a": a surname, not an acronym
        for i, (start, _, word) in enumerate(tokens):
            if not (word.isupper() and len(word) >= 2) or kinds[i] == "C":
                continue
            j = i + 1
            while (
                j < len(tokens)
                and tokens[j][2].isupper()
                and _adjacent(text, tokens[j - 1][1], tokens[j][0])
            ):
                j += 1
            before_first = (
                i > 0 and kinds[i - 1] in "FB" and _adjacent(text, tokens[i - 1][1], start)
            )
            after_first = (
                j < len(tokens)
                and kinds[j] in "FB"
                and _adjacent(text, tokens[j - 1][1], tokens[j][0])
            )
            if before_first:
                spans.add((tokens[i - 1][0], tokens[j - 1][1]))
            elif j - i >= 2 and any(kinds[k] in "FB" for k in range(i, j)):
                spans.add((start, tokens[j - 1][1]))  # "COURTOIS JEAN-BAPTISTE"
            elif after_first or (
                # "BAKAYOKO Aminata": a capitalised rare word right after the capitals
                j < len(tokens)
                and j - i == 1
                and tokens[j][2][:1].isupper()
                and not tokens[j][2].isupper()
                and namelike(j)
                and fold(word) not in ALLOWED_WORDS()
                and sum(c in "aeiouy" for c in fold(word)) >= 2  # not "SNCF Connect"
                and _adjacent(text, tokens[j - 1][1], tokens[j][0])
            ):
                spans.add((start, tokens[j][1]))
            elif ROLE_AFTER.match(text, tokens[j - 1][1]) and any(
                fold(tokens[k][2]) not in _PARTICLES for k in range(i, j)
            ):
                spans.add((start, tokens[j - 1][1]))
        # 8. after a relative or a role: "mon grand pere wassim sow", "et moi marine berger"
        for match in RELATIVE.finditer(text):
            i = starts.get(match.end())
            if i is None or glued(i):
                continue
            word = tokens[i][2]
            next_is_name = (
                i + 1 < len(tokens)
                and kinds[i + 1] in "FSB"
                and _adjacent(text, tokens[i][1], tokens[i + 1][0])
            )
            if (
                kinds[i] in "FB"
                or (word[:1].isupper() and namelike(i))
                or (next_is_name and namelike(i, loose=True))
            ):
                # the first name, and a surname-like word right after it, no more
                j = i + 1
                if j < len(tokens) and _adjacent(text, tokens[i][1], tokens[j][0]):
                    nxt = tokens[j][2]
                    if kinds[j] in "FSB" or (nxt[:1].isupper() and namelike(j)):
                        j += 1
                spans.add((tokens[i][0], tokens[j - 1][1]))
        # 9. one word signing off on its own line: "merci d'avance\nsabrina"
        sign = SIGN_OFF.search(text)
        if sign:
            i = starts.get(sign.start(1))
            if i is not None and namelike(i, loose=True) and tokens[i][1] == sign.end(1):
                spans.add((tokens[i][0], tokens[i][1]))
        kept = [s for s in spans if not SpacyPersonRecognizer._names_a_place(text, s[0])]
        return [RecognizerResult("NOM", s, e, self.base_score) for s, e in sorted(kept)]


def _adjacent(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return 0 < len(gap) <= 2 and gap.strip(" ") == ""


def build_cue_recognizers() -> list[FrenchRecognizer]:
    return [
        CueBirthDateRecognizer(),
        NameDateRecognizer(),
        GroupedNirRecognizer(),
        CueNameRecognizer(),
    ]
