"""French recognizers for the privacy gate, as Presidio ``EntityRecognizer`` objects.

Each one returns entity types from our own vocabulary (NIR, IBAN, TEL ...). Where a
checksum exists, a candidate must pass it; where the format alone is too common (CAF or
France Travail numbers, SIREN, passport), French context words must appear near the value.
Context is looked up on accent-folded, lower-case text so "Sécu", "secu" and "SÉCU" match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.fr.stop_words import STOP_WORDS
from spacy.vocab import Vocab

from chatbot.privacy import checksums
from chatbot.privacy.terms import FIRST_NAME_SET

LANGUAGE = "fr"
MIN_SCORE = 0.5


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[0]
    return base.lower() if len(base.lower()) == 1 else char


@lru_cache(maxsize=64)
def fold(text: str) -> str:
    """Lower case without accents, same length as ``text`` so offsets carry over."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(char) for char in text)


def _words(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted((fold(w) for w in words), key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


@dataclass(frozen=True)
class Rule:
    """One regular expression for a candidate; ``group`` names the part to mask."""

    pattern: str
    flags: int = re.IGNORECASE
    group: str | int = 0


class FrenchRecognizer(EntityRecognizer):
    """Regex candidates, optional checksum, optional context words before/after."""

    def __init__(
        self,
        entity: str,
        rules: list[Rule],
        *,
        validate: Callable[[str], bool] | None = None,
        context: Iterable[str] = (),
        require_context: bool = False,
        score: float = 0.85,
        unvalidated_score: float = 0.0,
        before: int = 70,
        after: int = 30,
    ) -> None:
        self.entity = entity
        self.rules = [(re.compile(r.pattern, r.flags), r.group) for r in rules]
        self.validate = validate
        self.context_words = list(context)
        self.context_re = _words(self.context_words) if self.context_words else None
        self.require_context = require_context
        self.base_score = score
        self.unvalidated_score = unvalidated_score
        self.before = before
        self.after = after
        super().__init__(
            supported_entities=[entity], supported_language=LANGUAGE, name=f"Fr{entity}"
        )

    def load(self) -> None:  # nothing to load: patterns are compiled in __init__
        pass

    def context_distance(self, text: str, start: int, end: int) -> int | None:
        """Characters between the value and the nearest context word, or None."""
        if self.context_re is None:
            return None
        folded = fold(text)
        best: int | None = None
        window_start = max(0, start - self.before)
        for match in self.context_re.finditer(folded, window_start, start):
            distance = start - match.end()
            best = distance if best is None else min(best, distance)
        for match in self.context_re.finditer(folded, end, min(len(text), end + self.after)):
            distance = match.start() - end + 10  # context after the value counts less
            best = distance if best is None else min(best, distance)
        return best

    def score_candidate(self, text: str, start: int, end: int) -> float:
        value = text[start:end]
        valid = self.validate(value) if self.validate else True
        distance = self.context_distance(text, start, end)
        if self.require_context and distance is None:
            return 0.0
        if not valid:
            # A mistyped identifier is still personal when its context says what it is.
            return self.unvalidated_score if distance is not None else 0.0
        score = self.base_score
        if distance is not None:
            # Nearest context wins when two types share a format (CAF vs France Travail).
            score = min(1.0, score + 0.1 - min(distance, 100) / 1000)
        return score

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for regex, group in self.rules:
            for match in regex.finditer(text):
                yield match.start(group), match.end(group)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        seen: set[tuple[int, int]] = set()
        for start, end in self.candidates(text):
            if (start, end) in seen or start == end:
                continue
            seen.add((start, end))
            score = self.score_candidate(text, start, end)
            if score >= MIN_SCORE:
                results.append(RecognizerResult(self.entity, start, end, score))
        return results


# No digit (or digit + separator) right before, no separator + digit right after: a value
# is never cut out of a longer number.
_B = r"(?<![\w])(?<!\d[ .\-\u00a0\u202f])"
_E = r"(?![ .\-\u00a0\u202f]?\d)(?!\w)"
_S = r"[ .\-\u00a0\u202f]?"  # copy-pasted numbers often hold no-break spaces


_IBAN_SEP = " -\u00a0\u202f"


class IbanRecognizer(FrenchRecognizer):
    """IBAN: the country gives the length, so the scan stops exactly at the last character."""

    START = re.compile(r"(?<![\w])([A-Z]{2}) ?(\d{2})", re.IGNORECASE)  # "FR 76 1820 ..."

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for match in self.START.finditer(text):
            length = checksums.IBAN_LENGTHS.get(match.group(1).upper())
            if not length:
                continue
            count, pos, end = 4, match.end(), match.end()
            while count < length and pos < len(text):
                char = text[pos]
                if char.isascii() and char.isalnum():
                    count += 1
                    end = pos + 1
                elif char in _IBAN_SEP:
                    # One or two separators ("FR76  1027") between groups, never more.
                    gap = 1 + (pos + 1 < len(text) and text[pos + 1] in _IBAN_SEP)
                    if pos + gap >= len(text) or not text[pos + gap].isalnum():
                        break
                    pos += gap - 1
                else:
                    break
                pos += 1
            if count == length and (end == len(text) or not text[end].isalnum()):
                yield match.start(), end


def _phone_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if value.lstrip().startswith("+"):
        digits = "+" + digits
    if digits.startswith("0"):
        # 08 numbers are companies' and services' numbers (numéros verts, spéciaux).
        return len(digits) == 10 and digits[1] != "8"
    return True


# Street types citizens and agents write, with common abbreviations.
STREET_TYPES = (
    "rue|r\\.|avenue|av\\.?|ave|boulevard|bd\\.?|bld\\.?|blvd|bvd\\.?|place|pl\\.|impasse|imp\\.?|"
    "allée|allee|all\\.|"
    "allées|chemin|ch\\.|chem\\.?|route|rte|quai|cours|square|sq\\.?|passage|résidence|"
    "residence|rés\\.?|lotissement|lot\\.|lieu-dit|lieu dit|cité|cite|voie|sentier|"
    "rond-point|esplanade|promenade|hameau|faubourg|fbg|montée|montee|parvis|villa|"
    "domaine|ruelle|traverse|chaussée|chaussee|clos|venelle|cour|côte|cote|corniche|"
    "parc|zone|za|zi|zac"
)

# Words that end a street or person name (besides French stop words).
COMMON_WORDS = frozenset(
    """
    bonjour bonsoir merci svp stp slt salut cordialement madame monsieur mademoiselle
    habite habites habitons habitez vis vit suis es est sommes etes êtes ai as avons avez
    voudrais voudrait veux veut souhaite souhaiterais souhaitons aimerais demande demandé
    cherche viens vient travaille dois doit peux peut pourrais ne n arrive arrivé arrivée
    allocataire retraité retraitée retraite étudiant étudiante etudiant etudiante salarié
    salariée chômage chomage né née nee ne ans an age âgé âgée agé agee marié mariée mariee
    divorcé divorcée célibataire celibataire veuf veuve enceinte malade handicapé handicapée
    perdu perdue inscrit inscrite désolé désolée desole desolee content contente inquiet
    inquiète pressé pressée ici là bien mal oui non ok okay alors donc voila voilà
    depuis pendant avec sans chez pour par sur sous dans vers contre entre selon
    appelle appel nom prénom prenom nommé nommée téléphone telephone tel tél mail email
    adresse numéro numero n° no dossier demande aide question problème probleme besoin
    rdv rendez-vous courrier lettre formulaire document documents papiers carte
    fils fille mari femme épouse epouse époux epoux conjoint conjointe père pere mère mere
    frère frere soeur sœur enfant enfants bébé bebe parents famille
    caf cpam urssaf msa ants mdph crous dgfip impots impôts préfecture prefecture mairie
    mon ma mes ton ta son sa notre votre leur
    et ou mais donc or ni car
    voiture vehicule véhicule logement maison appartement appart loyer
    agent agente fonctionnaire propriétaire locataire demandeur demandeuse bénéficiaire
    parent maman papa seul seule étranger étrangère français française résident résidente
    réfugié réfugiée apprenti apprentie stagiaire intérimaire infirmier infirmière artisan
    commerçant commerçante gérant gérante aidant aidante invalide sourd sourde aveugle
    bloqué bloquée coincé coincée obligé obligée sûr sûre certain certaine déjà encore
    toujours actuellement bientôt vraiment complètement totalement auto-entrepreneur
    micro-entrepreneur indépendant indépendante aîné aînée ainé ainée cadet cadette majeur
    majeure mineur mineure petit petite grand grande jumelle jumeau unique scolarisé
    scolarisée hospitalisé hospitalisée décédé décédée placé placée né-e
    g c jai j'ai pa ke ki koi sa ca bjr cc mr mrs tjs pk pq psk dc ds
    préfet préfète prefet prefete maire directeur directrice président présidente juge
    ministre député députée sénateur sénatrice procureur procureure commissaire médiateur
    médiatrice défenseur secrétaire chef cheffe responsable adjoint adjointe greffier
    d'avance d’avance passeport passport permis titre séjour sejour naissance alloc allocs
    identifiant iban rib
    at arobase arrobase point dot gmail hotmail orange free sfr wanadoo laposte
    veuillez pourriez pouvez objet pièce pièces jointe jointes ci-joint ci-jointe urgent
    urgence attention important rappel relance réclamation recours
    est-ce a-t-il a-t-elle peut-il peut-elle doit-il doit-elle
    distinguées distingués distinguee distingues respectueuses respectueux cordiales sincères
    aide-soignant aide-soignante auxiliaire ouvrier ouvrière vendeur vendeuse caissier caissière
    cuisinier cuisinière chauffeur livreur serveur serveuse nounou aide-ménagère éducateur
    éducatrice animateur animatrice enseignant enseignante professeur professeure intérim
    lundi mardi mercredi jeudi vendredi samedi dimanche
    """.split()
) | frozenset(STOP_WORDS)

PARTICLES = frozenset(
    {
        "de",
        "du",
        "des",
        "d'",
        "d’",
        "le",
        "la",
        "van",
        "von",
        "di",
        "da",
        "ben",
        "el",
        "al",
        "ibn",
        "del",
        "della",
        "dos",
        "das",
        "mac",
        "mc",
        "der",
        "den",
        "bin",
        "bint",
        "ould",
        "abou",
        "saint",
        "sainte",
    }
)

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?|[^\W\d_]\.", re.UNICODE)


# "l'adresse", "j'ai", "qu'il": an elided article or pronoun does not start a name.
_ELIDED = re.compile(r"^(?:l|j|qu|n|m|s|c|t|d|jusqu|lorsqu|puisqu)['’]")
_GLUED_NAME = re.compile(r"[NDnd]['’][A-ZÀ-Þ]")  # N'Diaye, D'Almeida: no elision


# "pouvez-vous", "est-il", "dites-moi": a verb with its pronoun is not a name.
_VERB_PRONOUN = re.compile(
    r"-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles|moi|toi|le|la|les|lui|y|en)$"
)


_TITLE_WORDS = frozenset(
    {
        "m",
        "mme",
        "mlle",
        "mr",
        "mrs",
        "dr",
        "pr",
        "madame",
        "monsieur",
        "mademoiselle",
        "docteur",
        "maître",
        "maitre",
        "professeur",
    }
)


# Particles that open a surname right after a title ("mme le bihan", "M. de Villiers").
_SURNAME_OPENERS = frozenset("le la de du da di van von ben el al ould".split())


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_tokens(
    text: str, pos: int, *, allow_lower: bool, max_tokens: int = 4, after_title: bool = False
) -> tuple[int, int] | None:
    """Span of the name starting at ``pos`` (after spaces), or None.

    Stops at punctuation, digits, stop words and common words. Particles (de, Le, van)
    are kept only inside a name, when a capitalised word follows.
    """
    tokens: list[tuple[int, int]] = []
    cursor = pos
    while len(tokens) < max_tokens:
        gap = 0
        while cursor + gap < len(text) and text[cursor + gap] == " ":
            gap += 1
        if tokens and gap == 0:
            break
        if gap > 2:
            break
        match = _TOKEN.match(text, cursor + gap)
        if not match:
            break
        word = match.group(0)
        bare = word.rstrip(".")
        lower = bare.lower()
        opens_after_title = after_title and not tokens and lower in _SURNAME_OPENERS
        if lower in PARTICLES and (tokens or opens_after_title):
            nxt = _TOKEN.match(text, match.end() + 1) if match.end() < len(text) else None
            if word.endswith(("'", "’")):
                nxt = _TOKEN.match(text, match.end())
            # "Mme Lopez du département": after a capitalised name, a lower-case word
            # is no part of it.
            lower_ok = allow_lower and not (tokens and _is_capitalised(text[tokens[0][0]]))
            if (
                nxt
                and (_is_capitalised(nxt.group(0)) or lower_ok)
                and nxt.group(0).lower() not in COMMON_WORDS
            ):
                tokens.append((match.start(), match.end()))
                cursor = match.end()
                continue
            break
        glued_name = re.match(r"[ND]['’][A-ZÀ-Þ]", word) is not None  # N'Diaye, D'Almeida
        if (_ELIDED.match(lower) and not glued_name) or _VERB_PRONOUN.search(lower):
            break
        if not tokens and lower in _TITLE_WORDS:
            cursor = match.end()  # "Contact : Mme Durand": the title is not the name
            continue
        is_initial = len(bare) == 1 and word.endswith(".") and bare.isupper()
        # "M. Petit", "Mme Blanc": right after a title, a capitalised word is a surname.
        surname_after_title = (
            after_title and not tokens and _is_capitalised(bare) and lower not in STOP_WORDS
        )
        if lower in COMMON_WORDS and not (
            is_initial or (bare.isupper() and len(bare) > 1) or surname_after_title
        ):
            break
        if not (_is_capitalised(bare) or allow_lower):
            break
        if after_title and tokens and _is_capitalised(text[tokens[0][0]]) and bare.islower():
            break  # "M. Bernard demain": the case changes, the name ends
        end = match.end() - (1 if word.endswith(".") and not is_initial else 0)
        tokens.append((match.start(), end))
        cursor = end
        if not is_initial and word.endswith("."):
            break
    # Trailing particles are not part of a name.
    while tokens and text[tokens[-1][0] : tokens[-1][1]].lower() in PARTICLES:
        tokens.pop()
    if not tokens:
        return None
    return tokens[0][0], tokens[-1][1]


def looks_like_name(value: str) -> bool:
    """Not empty, no digits, not only common words, not an acronym (RSA, APL, CAF)."""
    if not value.strip() or any(char.isdigit() for char in value) or "@" in value:
        return False
    words = value.split()
    if all(word.lower().strip(".,'’") in COMMON_WORDS for word in words):
        return False
    return not (len(words) == 1 and value.isupper() and len(value) <= 4)


class TitleNameRecognizer(FrenchRecognizer):
    """Names after a title: M. Dupont, Mme Le Goff, madame durand, Dr Martin."""

    TITLES = re.compile(
        r"(?<![\w])(?:(?i:monsieur|madame|mademoiselle|ma[iî]tre|docteur|professeur|mme|mlle|mr|mrs|ms)\.?"
        # "m. rousseau" typed on a phone; not after a number ("3 m. de haut")
        r"|M\.|(?<!\d )m\.|MM\.|Me|Dr\.?|Pr\.?|(?i:dr|pr)\.)(?=[ \u00a0])"
    )

    def __init__(self) -> None:
        super().__init__("NOM", [], score=0.9)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for match in self.TITLES.finditer(text):
            title = match.group(0)
            # "Me"/"Dr" in capitals only, followed by a capitalised name (not "me voici").
            # "Mr dupont", "Mme diallo": lower-case names after any title but "Me" ("me voici")
            allow_lower = title[:1].islower() or title.lower() in {
                "madame",
                "monsieur",
                "mademoiselle",
                "mr",
                "mme",
                "mlle",
                "m.",
            }
            span = _name_tokens(
                text, match.end(), allow_lower=allow_lower, max_tokens=4, after_title=True
            )
            if span:
                yield span


# Phrases after which citizens type their own (or a relative's) name, often in lower case.
STRONG_INTRO = (
    r"je m[' ’]?ap+el+e?s?|jm[' ’]?ap+el+e?|je m appel+e?|j[' ’]?m[' ’]?appel+e?"
    r"|je me nomme|mon nom est"
    r"|mon nom c[' ’]?est"
    r"|mon nom ?:|nom ?:|nom et pr[ée]nom ?:|pr[ée]nom et nom ?:|nom complet ?:|moi c[' ’]?est"
    r"|mon nom de famille est|nom de famille ?:|pr[ée]nom ?:|je soussign[ée]+e?|sign[ée]+ ?:?"
    r"|usag[eè]re? ?:|b[ée]n[ée]ficiaire ?:|demandeu(?:r|se) ?:|allocataire ?:|assur[ée]+ ?:"
    r"|patiente? ?:|titulaire ?:|contact ?:|de la part de|[ée]tudiante? ?:|locataire ?:"
    r"|propri[ée]taire ?:|conseill[eè]re? ?:|agent ?:|dossier suivi par"
)
# After these (and after family words and sign-offs), a name is taken when its first word
# is a known first name, capitalised, or a word spaCy has no vector for ("tiphaine").
PAIR_INTRO = r"je suis|j[' ’]?suis|jsuis|chui|c[' ’]?est|ici"
FAMILY_INTRO = (
    r"mon fils|ma fille|mon mari|ma femme|mon [ée]pouse?|mon conjoint|ma conjointe"
    r"|mon compagnon|ma compagne|mon p[èe]re|ma m[èe]re|mon fr[èe]re|ma s(?:œ|oe)ur|mon enfant"
    r"|ma grand-m[èe]re|mon grand-p[èe]re|mon voisin|ma voisine|mon ami|mon amie|mon oncle"
    r"|mon ex(?:-| )?mari|mon ex(?:-| )?femme|mon ex|mon ex(?:-| )?compagnon|ma belle-m[èe]re"
    r"|mon beau-p[èe]re|mon beau-fils|ma belle-fille"
    r"|ma tante|mon neveu|ma ni[èe]ce|mon petit-fils|ma petite-fille|mon b[ée]b[ée]"
    r"|le conseiller|la conseill[èe]re|mon conseiller|ma conseill[èe]re|mon comptable"
    r"|mon avocat|mon avocate|mon assistante sociale|mon assistant social|mon tuteur|ma tutrice"
)
# After these, only a known first name starts a name ("pour marie", not "pour info").
WEAK_INTRO = r"au nom de|pour le compte de|pour|avec|et"
SIGNOFF_INTRO = (
    r"bonjour,?|bonsoir,?|cordialement,?|bien [àa] vous,?|merci,?|merci beaucoup,?"
    r"|merci d['’]avance,?|bonne journ[ée]e,?|bonne soir[ée]e,?|salutations,?"
)


class IntroNameRecognizer(FrenchRecognizer):
    """Names introduced by a phrase: "je m'appelle jean dupont", "je suis Marie Durand"."""

    STRONG = re.compile(rf"(?<![\w])(?:{STRONG_INTRO})(?=[ \u00a0])", re.IGNORECASE)
    WEAK = re.compile(rf"(?<![\w])(?:{WEAK_INTRO})(?=[ \u00a0\n])", re.IGNORECASE)
    PAIR = re.compile(rf"(?<![\w])(?:{PAIR_INTRO})(?=[ \u00a0])", re.IGNORECASE)
    FAMILY = re.compile(rf"(?<![\w])(?:{FAMILY_INTRO})(?=[ \u00a0])", re.IGNORECASE)

    SIGNOFF = re.compile(rf"(?<![\w])(?:{SIGNOFF_INTRO})(?=[ \u00a0\n])", re.IGNORECASE)

    _UPPER = r"[A-ZÀ-Þ]{2,}(?:[-' ][A-ZÀ-Þ]{2,})?"
    _CAPITAL = r"[A-ZÀ-Þ][a-zà-ÿ]+(?:-[A-ZÀ-Þ][a-zà-ÿ]+)?"
    UPPER_FIRST = re.compile(rf"(?<![\w])(?P<upper>{_UPPER}) (?P<first>{_CAPITAL})(?![\w])")
    FIRST_UPPER = re.compile(rf"(?<![\w])(?P<first>{_CAPITAL}) (?P<upper>{_UPPER})(?![\w])")

    def __init__(self) -> None:
        super().__init__("NOM", [], score=0.85)

    @staticmethod
    def _surname(word: str) -> bool:
        # Acronyms (CAF, CPAM, RSA) are short or vowel-less; those in the allow list go later.
        letters = re.sub(r"[^A-ZÀ-Þ]", "", word)
        return (
            len(letters) >= 3
            and bool(re.search(r"[AEIOUYÀ-Ý]", letters))
            and (word.lower() not in COMMON_WORDS)
        )

    @staticmethod
    def _first_name(word: str, vocab: Vocab | None) -> bool:
        lower = word.lower()
        if lower in FIRST_NAME_SET:
            return True
        return lower not in COMMON_WORDS and vocab is not None and not vocab.has_vector(lower)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        vocab = nlp_artifacts.tokens.vocab if nlp_artifacts is not None else None
        spans = set(self._spans(text, vocab))
        return [RecognizerResult("NOM", s, e, self.base_score) for s, e in sorted(spans)]

    @staticmethod
    def _first_word(text: str, pos: int) -> tuple[int, str] | None:
        while pos < len(text) and text[pos] in " \u00a0\n":
            pos += 1
        match = _TOKEN.match(text, pos)
        return (pos, match.group(0)) if match else None

    @staticmethod
    def _starts_name(word: str, vocab: Vocab | None) -> bool:
        """A known first name, a capitalised word, or a word spaCy has no vector for."""
        lower = word.lower()
        elided = _ELIDED.match(lower) is not None and _GLUED_NAME.match(word) is None
        if lower in COMMON_WORDS or elided or _VERB_PRONOUN.search(lower):
            return False
        if lower in FIRST_NAME_SET or word[:1].isupper():
            return True
        return vocab is not None and not vocab.has_vector(lower)

    def _spans(self, text: str, vocab: Vocab | None) -> Iterable[tuple[int, int]]:
        for match in self.STRONG.finditer(text):
            span = _name_tokens(text, match.end(), allow_lower=True, max_tokens=3)
            if span:
                yield span
        for match in self.PAIR.finditer(text):
            # "je suis Ukrainienne", "je suis perdu": one known word is not a name; a known
            # first name, an unknown word, or two name-like words are.
            first = self._first_word(text, match.end())
            if first is None or not self._starts_name(first[1], vocab):
                continue
            span = _name_tokens(text, first[0], allow_lower=True, max_tokens=3)
            if span is None:
                continue
            words = text[span[0] : span[1]].split()
            known = vocab is not None and vocab.has_vector(first[1].lower())
            bare = first[1].rstrip(".")
            if len(words) == 1 and bare.islower() and _ADJECTIVE_END.search(bare):
                continue  # "c'est inadmissible", "je suis joignable": no first name
            if len(words) >= 2 or first[1].lower() in FIRST_NAME_SET or not known:
                yield span
        # Agents' notes: "DUPONT Jean", "Jean DUPONT" (surname in capitals).
        for match in self.UPPER_FIRST.finditer(text):
            first = match.group("first")
            if self._first_name(first, vocab) and self._surname(match.group("upper")):
                yield match.start(), match.end()
        for match in self.FIRST_UPPER.finditer(text):
            first = match.group("first")
            if first.lower() in FIRST_NAME_SET and self._surname(match.group("upper")):
                yield match.start(), match.end()
        for regex, test in (
            (self.WEAK, lambda w: w.lower() in FIRST_NAME_SET),
            (self.FAMILY, lambda w: self._starts_name(w, vocab)),
            (self.SIGNOFF, lambda w: self._starts_name(w, vocab)),
        ):
            for match in regex.finditer(text):
                first = self._first_word(text, match.end())
                if first is None or not test(first[1]):
                    continue
                span = _name_tokens(text, first[0], allow_lower=True, max_tokens=3)
                if span:
                    yield span


_ADJECTIVE_END = re.compile(r"(?:able|ible|eux|euse|ment|ique|if|ive|isme|ant|ante)$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n»]\s*|^\s*[#>*-]+\s*|\n\s*[#>*-]+\s*|\d\.\s*)$")
_PLACE_BEFORE = re.compile(
    r"(?:^|\W)(?:rue|avenue|av\.?|boulevard|bd|place|impasse|allee|chemin|route|quai|cours|square"
    r"|passage|residence|cite|lycee|college|ecole|groupe scolaire|hopital|chu|clinique|centre"
    r"|stade|gymnase|mediatheque|bibliotheque|universite|campus|salle|espace|maison|pont|parc"
    r"|station|gare|metro|fondation|institut|musee|theatre|prix|loi|reforme|plan|dispositif"
    r"|amendement|rapport|circulaire|caf|cpam|mairie|prefecture|sous-prefecture|ville|commune"
    r"|agence|urssaf|msa|tribunal|centre des impots|carsat)(?: (?:de|du|des|la|le|d'|l'))?$"
)


class SpacyPersonRecognizer(FrenchRecognizer):
    """spaCy's PER entities; LOC, ORG and MISC are never masked."""

    LEADING_TITLE = re.compile(
        r"^(?:(?i:monsieur|madame|mademoiselle|docteur|ma[iî]tre|mme|mlle|mr|dr|pr|me)\.?|M\.)\s+"
    )

    def __init__(self) -> None:
        super().__init__("NOM", [], score=0.85)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return []
        results = []
        for ent in nlp_artifacts.entities:
            if ent.label_ not in ("PERSON", "PER"):
                continue
            start, end = ent.start_char, ent.end_char
            value = text[start:end]
            title = self.LEADING_TITLE.match(value)
            if title:
                start += title.end()
                value = text[start:end]
            # "la Préfète", "le Maire": a lower-case article is not part of a name.
            determiner = re.match(r"(?:le|la|les|du|de|des)\s+|l['’]", value)
            if determiner:
                start += determiner.end()
                value = text[start:end]
            value = value.rstrip(" .,;:!?")
            end = start + len(value)
            if not self._plausible(value) or self._names_a_place(text, start):
                continue
            if self._capitalised_word_opening_a_sentence(text, start, value):
                continue
            results.append(RecognizerResult("NOM", start, end, self.base_score))
        return results

    @staticmethod
    def _capitalised_word_opening_a_sentence(text: str, start: int, value: str) -> bool:
        """ "Transférez le dossier", "Contenu": one capitalised word opening a sentence or a
        heading is usually a verb or a noun. First names stay; titles and intros still
        catch a lone surname ("M. Petit", "je suis Petit")."""
        if " " in value or "-" in value or value.lower() in FIRST_NAME_SET:
            return False
        return bool(_SENTENCE_START.search(text[max(0, start - 4) : start]))

    @staticmethod
    def _names_a_place(text: str, start: int) -> bool:
        """ "rue Victor Hugo", "collège Jean Moulin": a person's name given to a place."""
        # the same line only: "merci la CAF\nmaelle" signs off, it names no place
        before = fold(text[max(0, start - 30) : start]).rsplit("\n", 1)[-1].rstrip()
        return bool(_PLACE_BEFORE.search(before))

    @staticmethod
    def _plausible(value: str) -> bool:
        # spaCy learnt names from edited text: a lower-case "person" is a common noun.
        return looks_like_name(value) and any(w[:1].isupper() for w in value.split())


class BirthDateRecognizer(FrenchRecognizer):
    MONTHS = (
        "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|"
        "novembre|d[ée]cembre|janv\\.?|f[ée]vr?\\.?|avr\\.?|juil\\.?|sept\\.?|oct\\.?|nov\\.?|d[ée]c\\.?"
    )

    def __init__(self) -> None:
        date = (
            rf"\d{{1,2}}(?:er)?[/.\- ]\d{{1,2}}[/.\- ]\d{{2,4}}"
            rf"|\d{{1,2}}(?:er)?\s+(?:{self.MONTHS})\s+(?:\d{{4}}|\d{{2}}(?![\d:h]))"
            rf"|\d{{4}}-\d{{2}}-\d{{2}}"
        )
        cue = (
            r"n[ée]+s?(?:\(e\))?\s+le\s*:?"
            r"|(?:date|jour)\s+de\s+naissance(?:\s*(?::|est|c['’ ]?est|cest|c|=|le|au|du))*"
            r"|ddn\s*:?|naissance\s*:|n[ée]+\s*:|anniversaire\s*:?|n[ée]+\s+en\s+date\s+du"
        )
        super().__init__(
            "DATE_NAISSANCE",
            [
                Rule(
                    rf"(?<![\w])(?:{cue})\s*(?:le\s+)?(?P<date>{date})(?!\d)", re.IGNORECASE, "date"
                )
            ],
            score=0.9,
        )


# Contexts shared by recognizers.
NIR_CONTEXT = (
    "sécurité sociale",
    "securite sociale",
    "sécu",
    "secu",
    "nir",
    "insee",
    "carte vitale",
    "numéro social",
    "ss",
    "immatriculation",
    "assuré social",
    "ameli",
    "cpam",
)
CAF_CONTEXT = (
    "caf",
    "allocataire",
    "msa",
    "cnaf",
    "numéro d'allocataire",
    "n° allocataire",
    "num allocataire",
    "alloc",
    "allocation",
    "allocations",
    "allocs",
    # the benefits the CAF pays
    "apl",
    "als",
    "alf",
    "rsa",
    "aah",
    "paje",
    "ars",
    "prime d'activité",
    "prime d'activite",
    "allocations familiales",
    "aide au logement",
)
FT_CONTEXT = (
    "france travail",
    "id",
    "actualiser",
    "actualisation",
    "pôle emploi",
    "pole emploi",
    "demandeur d'emploi",
    "identifiant",
    "inscription",
    "chômage",
    "chomage",
    "francetravail",
    "pe",
    "ft",
)
SIREN_CONTEXT = (
    "siren",
    "siret",
    "auto-entrepreneur",
    "auto entrepreneur",
    "autoentrepreneur",
    "micro-entrepreneur",
    "micro entrepreneur",
    "micro-entreprise",
    "micro entreprise",
    "entreprise individuelle",
    "ei",
    "eirl",
    "entreprise",
    "auto-entreprise",
    "urssaf",
    "indépendant",
    "independant",
    "freelance",
    "artisan",
    "commerçant",
    "kbis",
    "société",
    "n° d'entreprise",
    "numéro d'entreprise",
)


def build_recognizers() -> list[EntityRecognizer]:
    nir_head = rf"{_B}[1-378]{_S}\d{{2}}{_S}\d{{2}}{_S}(?:\d{{2}}|2[AB]){_S}\d{{3}}{_S}\d{{3}}"
    digits15 = rf"{nir_head}{_S}\d{{2}}{_E}"
    nir13 = rf"{nir_head}{_E}"
    phone_national = rf"{_B}0[1-9](?:{_S}\d{{2}}){{4}}{_E}"
    phone_intl = (
        r"(?<![\w+])(?:\+|00)\s?(?:33|262|269|590|594|596|687|689|508|681|32|41|352)"
        rf"\s?(?:\(0\)\s?)?[1-9](?:{_S}\d{{2}}){{4}}{_E}"
    )
    return [
        FrenchRecognizer(
            "NIR",
            [Rule(digits15)],
            validate=checksums.nir_ok,
            context=NIR_CONTEXT,
            score=0.95,
            unvalidated_score=0.7,
        ),
        FrenchRecognizer(
            "NIR",
            [Rule(nir13)],
            context=NIR_CONTEXT,
            require_context=True,
            score=0.7,
        ),
        IbanRecognizer(
            "IBAN",
            [],
            validate=checksums.iban_ok,
            context=("iban", "rib", "compte", "virement"),
            score=0.95,
            unvalidated_score=0.7,
        ),
        FrenchRecognizer(
            "TEL",
            [Rule(phone_national), Rule(phone_intl)],
            validate=_phone_ok,
            context=(
                "tél",
                "tel",
                "téléphone",
                "telephone",
                "portable",
                "mobile",
                "fixe",
                "joindre",
                "appeler",
                "numéro",
                "numero",
                "whatsapp",
                "sms",
            ),
            score=0.85,
        ),
        FrenchRecognizer(
            "EMAIL",
            [
                Rule(
                    r"(?<![\w.+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_])?"
                    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?![\w\-])"
                )
            ],
            score=0.95,
        ),
        FrenchRecognizer(
            "FISCAL",
            [Rule(rf"{_B}[0-3]\d(?:[ .]?\d){{11}}{_E}")],
            validate=checksums.fiscal_ok,
            context=(
                "numéro fiscal",
                "numero fiscal",
                "n° fiscal",
                "spi",
                "identifiant fiscal",
                "impots",
                "impôts",
                "impot",
                "impôt",
                "dgfip",
                "avis d'imposition",
                "déclaration",
                "fiscal",
                "fiscaux",
            ),
            score=0.85,
            unvalidated_score=0.6,
        ),
        FrenchRecognizer(
            "SIRET",
            [Rule(rf"{_B}\d{{3}}{_S}\d{{3}}{_S}\d{{3}}{_S}\d{{5}}{_E}")],
            validate=checksums.siret_ok,
            context=SIREN_CONTEXT,
            require_context=True,
            score=0.85,
        ),
        FrenchRecognizer(
            "SIREN",
            [Rule(rf"{_B}\d{{3}}{_S}\d{{3}}{_S}\d{{3}}{_E}")],
            validate=checksums.siren_ok,
            context=SIREN_CONTEXT,
            require_context=True,
            score=0.8,
        ),
        FrenchRecognizer(
            "PASSEPORT",
            [Rule(r"(?<![\w])\d{2} ?[A-Z]{2} ?\d{5}(?![\w])")],
            context=("passeport", "passport"),
            require_context=True,
            score=0.85,
            before=90,
        ),
        FrenchRecognizer(
            "CNI",
            [
                Rule(r"(?<![\w])\d{4}[0-9A-Z]{3}\d{5}(?![\w])"),
                Rule(r"(?<![\w])(?=[0-9A-Z]*\d)(?=[0-9A-Z]*[A-Z])[0-9A-Z]{9}(?![\w])"),
            ],
            context=(
                "carte d'identité",
                "carte d'identite",
                "carte nationale d'identité",
                "carte nationale d'identite",
                "cni",
                "pièce d'identité",
                "piece d'identite",
                "carte d identite",
                "titre d'identité",
            ),
            require_context=True,
            score=0.85,
            before=90,
        ),
        FrenchRecognizer(
            "CAF",
            [Rule(r"(?<![\w])\d{7}[A-Z]?(?![\w])")],
            context=CAF_CONTEXT,
            require_context=True,
            score=0.8,
            before=80,
            after=60,  # "1363094 / 0696795503 / c pour une réclamation CAF"
        ),
        FrenchRecognizer(
            "FRANCE_TRAVAIL",
            [
                Rule(r"(?<![\w])(?:\d{7}[A-Z]|\d{7,8})(?![\w])"),
                Rule(r"(?<![\w])\d{7} [A-Z](?![\w'’])", 0),  # "5126638 S"
            ],
            context=FT_CONTEXT,
            require_context=True,
            score=0.8,
            before=80,
        ),
        FrenchRecognizer(
            "PLAQUE",
            [
                Rule(r"(?<![\w])[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}(?![\w])"),
                Rule(r"(?<![\w])[A-HJ-NP-TV-Z]{2}\d{3}[A-HJ-NP-TV-Z]{2}(?![\w])"),
                Rule(r"(?<![\w])[A-HJ-NP-TV-Z]{2} \d{3} [A-HJ-NP-TV-Z]{2}(?![\w])", 0),
                Rule(r"(?<![\w])\d{2,4}[ \-]?[A-Z]{2,3}[ \-]?(?:\d{2}|2A|2B|97[1-6])(?![\w])", 0),
            ],
            context=(
                "immatriculation",
                "immatriculé",
                "plaque",
                "véhicule",
                "vehicule",
                "voiture",
                "carte grise",
                "moto",
                "scooter",
                "fourrière",
                "fourriere",
                "amende",
                "radar",
                "auto",
                "camion",
                "certificat d'immatriculation",
            ),
            score=0.8,
        ),
        FrenchRecognizer(
            "CB",
            [
                Rule(rf"{_B}[2-6]\d{{3}}(?:[ \-]?\d{{4}}){{3}}{_E}"),
                Rule(rf"{_B}3[47]\d{{2}}[ \-]?\d{{6}}[ \-]?\d{{5}}{_E}"),
            ],
            validate=checksums.card_ok,
            context=(
                "carte bancaire",
                "carte bleue",
                "cb",
                "visa",
                "mastercard",
                "carte",
                "exp",
                "expiration",
                "crypto",
                "cryptogramme",
                "cvv",
                "cvc",
            ),  # fmt: skip
            score=0.9,
            unvalidated_score=0.7,  # a mistyped card next to its cue is still a card
        ),
        BirthDateRecognizer(),
        TitleNameRecognizer(),
        IntroNameRecognizer(),
        SpacyPersonRecognizer(),
    ]
