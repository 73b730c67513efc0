"""What a pseudonymised question is about, without the personal parts around it.

Citizens introduce themselves, sign, and give numbers to be called back on: "Bonjour, je
m'appelle <NOM_1>, mon numéro allocataire est <CAF_1>. J'ai perdu ma carte vitale". Routing
and retrieval must see "J'ai perdu ma carte vitale": the placeholders mean nothing to them, and
the words that introduce them ("allocataire", "adresse", "né le") would pull the wrong fiche.
The same question with or without personal data gets the same fiche (DESIGN, invariant 8).

Each placeholder is removed together with the run of introducing words right before it, taken
from a closed list of words people use to give their details. Words of the question itself
("carte vitale", "passeport") are never in that list, so a question that mentions a detail in
passing ("mon fils <NOM_1> a besoin d'un passeport") keeps its subject.
"""

from __future__ import annotations

import re

# Words that only introduce, sign or frame a personal detail. Lower case; apostrophes written
# "'" (the typographic one is folded before matching).
_INTRODUCERS = """
    je j' jsuis jm'appelle jmappelle chui suis moi m' me c c' ici mon ma mes notre nos votre vos
    est sont c'est cest voici voila voilà s'appelle appelle m'appelle mappelle
    nom prénom prenom nommé nommée
    numéro numero numéros n° no num nr n ° # tel tél tél. téléphone telephone portable mobile
    fixe ligne whatsapp
    joindre joignable rappeler rappelez rappelez-moi recontacter recontactez contacter
    contactez appeler appelez répondre repondre répondez repondez réponse reponse réponses
    écrire ecrire écrivez écris envoyer envoyez répondez-moi repondez-moi écrivez-moi
    ecrivez-moi contactez-moi appelez-moi joignez-moi envoyez-moi
    au aux à a sur le la les l' de d' du des en par pour et ou
    mail e-mail email mél mel courriel adresse adresses domicile domicilié domiciliée
    habite j'habite jhabite vis réside reside demeurant demeure
    né née nés nee ne naissance date ddn
    identifiant id identifiants allocataire alloc caf cpam msa sécu secu sécurité securite
    sociale social nir insee iban rib fiscal fiscale impots impôts france travail pôle pole
    emploi ft matricule dossier référence reference ref réf
    mr m. mme mme. mlle monsieur madame mademoiselle dr docteur
    bonjour bonsoir salut bjr bsr hello coucou allo allô
    merci mci mrc bcp beaucoup d'avance davance avance cordialement cdlt cdt salutations
    sincères sinceres respectueusement bien bonne journée journee soirée soiree
    vous pouvez pourriez pouvez-vous veuillez svp stp s'il plaît plait please
    signé signe signée part info pour info infos précise precise indique
""".split()

_INTRODUCING = frozenset(_INTRODUCERS)
# Any placeholder of the gate ("<NOM_1>", "<FRANCE_TRAVAIL_2>"): written without the list of
# entity types, whose module loads Presidio and spaCy (this one serves the editors' page too).
_PLACEHOLDER = r"<\s*[A-Z][A-Z_]*_\d{1,4}\s*>"
# Words (with their elisions, hyphens and abbreviation dots: "m'appelle", "rappelez-moi",
# "tél.", "n°") and the placeholders, in one left-to-right scan.
_TOKEN = re.compile(_PLACEHOLDER + r"|[\w°#]+(?:['\-][\w°#]+)*['.]?")
_GAP = re.compile(r"[\s,:;.()\[\]\-—–!?/']*")
_BARE_PLACEHOLDER = re.compile(_PLACEHOLDER)
# The postcode and town that end an address ("<ADRESSE_1>, 69100 Villeurbanne"): not personal
# alone, so the gate keeps them, but they are part of the detail, not of the question.
_ADDRESS_TOWN = re.compile(
    r"(<\s*ADRESSE_\d{1,4}\s*>)[\s,]*\d{5}\s+[A-ZÀ-Ý][\w'-]*(?:[ -][A-ZÀ-Ý][\w'-]*){0,3}"
)
# A labelled field before a detail ("Identifiant France Travail de l'usager : <FRANCE_TRAVAIL_1>"):
# the label says what the detail is, and its free words are not the question's.
_FIELD_LABEL = re.compile(
    r"\b(?:identifiant|id|num[ée]ro|n°|adresse|r[ée]f[ée]rence|ref|nom|pr[ée]nom|date)\b"
    r"[^.:;!?\n<>]{0,40}:\s*(" + _PLACEHOLDER + ")",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t]{2,}")
_LOOSE_PUNCT = re.compile(r"(?:^|(?<=\s))[,:;.()\[\]\-—–/]+(?=\s|$)")


def _tidy(text: str) -> str:
    if text.count("(") != text.count(")"):  # a detail in brackets took one of them
        text = text.replace("(", " ").replace(")", " ")
    text = _LOOSE_PUNCT.sub(" ", text)
    text = _SPACES.sub(" ", text)
    return text.strip(" \t\n,:;.-—–")


# A closing formula and what follows it at the end of a message: a signature, even one the
# gate did not recognise as a name ("... mci bcp. aissatou barry").
_SIGN_OFF = re.compile(
    r"(?<=\S)[\s.,;!]+(?:merci|mci|mrc|cordialement|cdlt|cdt|bien à vous|salutations)\b"
    r"(?:(?![?]).){0,60}$",
    re.IGNORECASE | re.DOTALL,
)


def _without_details(text: str) -> str:
    """Each placeholder removed with the run of introducing words right before it. Linear:
    one scan, then a walk back from each placeholder (a regex with a repeated group before the
    placeholder backtracked for seconds on a message made of such words)."""
    tokens = list(_TOKEN.finditer(text))
    cuts: list[tuple[int, int]] = []
    for i, token in enumerate(tokens):
        if not token.group(0).startswith("<"):
            continue
        start = token.start()
        j = i - 1
        while j >= 0 and (not cuts or tokens[j].start() >= cuts[-1][1]):
            word = tokens[j].group(0).lower()
            gap = text[tokens[j].end() : start]
            if word.startswith("<") or not _GAP.fullmatch(gap):
                break
            if word not in _INTRODUCING and word.rstrip(".") not in _INTRODUCING:
                break
            start = tokens[j].start()
            j -= 1
        cuts.append((start, token.end()))
    parts, last = [], 0
    for start, end in cuts:
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return " ".join(parts)


def topic_of(text: str) -> str:
    """The question without its personal details; the text itself when nothing is left."""
    folded = _ADDRESS_TOWN.sub(r"\1", text.replace("’", "'"))
    folded = _FIELD_LABEL.sub(r"\1", folded)
    stripped = _tidy(_SIGN_OFF.sub(" ", _without_details(folded)))
    if re.search(r"\w", stripped):
        return stripped
    # Only a self-introduction ("Bonjour, je m'appelle <NOM_1>"): keep its words for routing.
    return _tidy(_SIGN_OFF.sub(" ", _BARE_PLACEHOLDER.sub(" ", folded))) or text
