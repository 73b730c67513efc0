"""One case per family of personal data recognised in round 3: the value is masked with its
type, and a neighbour that must survive in the same sentence is left alone."""

from __future__ import annotations

import pytest

from chatbot.privacy import analyze


def masked(text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in analyze(text)]


def covered(text: str, expected: tuple[str, str]) -> bool:
    """The value is inside one entity of its type (a name may take a word more)."""
    kind, value = expected
    start = text.index(value)
    end = start + len(value)
    return any(e.type == kind and e.start <= start and end <= e.end for e in analyze(text))


def survives(text: str, term: str) -> bool:
    start = text.index(term)
    end = start + len(term)
    return not any(e.start < end and start < e.end for e in analyze(text))


@pytest.mark.parametrize(
    ("text", "expected", "survivor"),
    [
        # identifiers named by their cue word, in any grouping, checksum or not
        (
            "ma carte visa 4532-1100-2233-4455 a été débitée deux fois de 49 €",
            ("CB", "4532-1100-2233-4455"),
            "49 €",
        ),
        (
            "paiement refusé avec 49 70 10 12 34 56 78 93 pourtant valide, appelez le 3939",
            ("CB", "49 70 10 12 34 56 78 93"),
            "3939",
        ),
        (
            "mon identifiant fiscal c 3 02 45 678 901 23 pour l'avis 2024",
            ("FISCAL", "3 02 45 678 901 23"),
            "2024",
        ),
        (
            "passeport marocain n° TK4481207, rdv en préfecture le 12 mai",
            ("PASSEPORT", "TK4481207"),
            "12 mai",
        ),
        (
            "la cni de ma mère porte le numéro 1211 7530 9864, cerfa 12100*02",
            ("CNI", "1211 7530 9864"),
            "cerfa 12100*02",
        ),
        ("num allocataire : 23 45 671 depuis 2019", ("CAF", "23 45 671"), "2019"),
        ("5512348\n0612345678\nc pour un souci avec la CAF", ("CAF", "5512348"), "CAF"),
        ("DIALLO Awa 22/05/1990 09RK44170 pour l'ANTS", ("PASSEPORT", "09RK44170"), "ANTS"),
        ("ma voiture immatriculée gh 512 kt, amende de 68 €", ("PLAQUE", "gh 512 kt"), "68 €"),
        ("ma carte 4000 1234 5678 9010 a été avalée", ("CB", "4000 1234 5678 9010"), "avalée"),
        # birth dates spelled out, compact, corrected, next to a name
        (
            "je suis née le trois octobre mille neuf cent soixante-dix, j'ai 54 ans",
            ("DATE_NAISSANCE", "trois octobre mille neuf cent soixante-dix"),
            "54 ans",
        ),
        (
            "ma date de naissance : 19840712, le dossier date du 3 juin",
            ("DATE_NAISSANCE", "19840712"),
            "3 juin",
        ),
        (
            "date de naissance c 02/11/1977 et pas 03/11/1977 sur l'attestation",
            ("DATE_NAISSANCE", "03/11/1977"),
            "attestation",
        ),
        (
            "Inès Carvalho, 7 févr. 1992, demande de RSA",
            ("DATE_NAISSANCE", "7 févr. 1992"),
            "RSA",
        ),
        # a birthday of someone else without its year is no identifier
        ("mon fils est né le 9 avril, je le déclare à la CAF ?", None, "9 avril"),
        # addresses: bare abbreviations, Grande Rue, building first, lower-case city
        (
            "j'habite 8 r des tilleuls 49300 cholet depuis 2 ans",
            ("ADRESSE", "8 r des tilleuls 49300 cholet"),
            "2 ans",
        ),
        (
            "courrier au 3 Grande Rue 70000 Vesoul, la mairie l'a perdu",
            ("ADRESSE", "3 Grande Rue 70000 Vesoul"),
            "mairie",
        ),
        (
            "bât D appt 12, 5 avenue Jean Jaurès, 69007 Lyon pour la CAF",
            ("ADRESSE", "bât D appt 12, 5 avenue Jean Jaurès, 69007 Lyon"),
            "CAF",
        ),
        # addresses with no street type, held by their postcode; an office's address stays
        (
            "j'habite lieu-dit Les Granges, 46100 Figeac depuis 2 ans",
            ("ADRESSE", "lieu-dit Les Granges, 46100 Figeac"),
            "2 ans",
        ),
        (
            "17 le Clos des Vignes 21000 Dijon, courrier de la préfecture de Dijon",
            ("ADRESSE", "17 le Clos des Vignes 21000 Dijon"),
            "préfecture de Dijon",
        ),
        ("écrivez à la CAF du Rhône, 69003 Lyon", None, "CAF du Rhône, 69003 Lyon"),
        # phones dictated in digits and words, any country code, middle dots
        (
            "rappelez le 06 douze 45 trente-huit 90 avant 17 h",
            ("TEL", "06 douze 45 trente-huit 90"),
            "17 h",
        ),
        ("mon whatsapp +216 22 345 678 depuis Tunis", ("TEL", "+216 22 345 678"), "Tunis"),
        ("tel 07·61·22·83·40 pour France Travail", ("TEL", "07·61·22·83·40"), "France Travail"),
        # e-mails: (a), arobaz, tiret du bas, one letter at a time
        ("écrivez à lea.b(a)free.fr pour la CPAM", ("EMAIL", "lea.b(a)free.fr"), "CPAM"),
        (
            "mon mail c tom tiret du bas roy arobaz gmail point com pour l'ANTS",
            ("EMAIL", "tom tiret du bas roy arobaz gmail point com"),
            "ANTS",
        ),
        (
            "mail : a n n a @ s f r . f r, pour la MSA",
            ("EMAIL", "a n n a @ s f r . f r"),
            "MSA",
        ),
        # names after "nom", in capitals next to a first name, after a relative, signing off
        ("nom de famille : LEBRETON, pour l'URSSAF", ("NOM", "LEBRETON"), "URSSAF"),
        ("BAKAYOKO Aminata, allocataire à la CAF", ("NOM", "BAKAYOKO Aminata"), "CAF"),
        (
            "FERRAND (ma conseillère à la CAF) ne répond plus",
            ("NOM", "FERRAND"),
            "CAF",
        ),
        (
            "mon beau-père youssef benali touche l'ASPA",
            ("NOM", "youssef benali"),
            "ASPA",
        ),
        ("Merci beaucoup pour la CAF\nmaelle", ("NOM", "maelle"), "CAF"),
        ("coucou c encore inès, je rappelle pour la CAF", ("NOM", "inès"), "CAF"),
        (
            "mon RIB : FR 76 3000 4000 0312 3456 7890 143 pour la CAF",
            ("IBAN", "FR 76 3000 4000 0312 3456 7890 143"),
            "CAF",
        ),
        # round 4: birth dates with the day after the year, far after their cue, "du"
        (
            "née en juin 1983 le 9, à Dakar, pour ma nationalité",
            ("DATE_NAISSANCE", "juin 1983 le 9"),
            "Dakar",
        ),
        (
            "né en 1962 le 3 mai, j'ai droit à la retraite ?",
            ("DATE_NAISSANCE", "1962 le 3 mai"),
            "retraite",
        ),
        (
            "ma date de naissance est mal écrite sur mon attestation CAF, c'est le 4 juin 1979",
            ("DATE_NAISSANCE", "4 juin 1979"),
            "CAF",
        ),
        ("je suis né le 3 du 11 1990 et je vis à Metz", ("DATE_NAISSANCE", "3 du 11 1990"), "Metz"),
        ("je suis de 1961, quand partir en retraite ?", ("DATE_NAISSANCE", "1961"), "retraite"),
        ("Paul Girard (05.06.1971) pour l'ASPA", ("DATE_NAISSANCE", "05.06.1971"), "ASPA"),
        ("ma date de naissance est bonne, le rdv est le 12/03/2025", None, "12/03/2025"),
        ("le 04/05/1992 c'est ma date de naissance", ("DATE_NAISSANCE", "04/05/1992"), "c'est"),
        ("née à Lyon en 1978, je veux ma retraite", ("DATE_NAISSANCE", "1978"), "Lyon"),
        ("rdv le 12/03/2025, ma date de naissance est fausse", None, "12/03/2025"),
        ("je suis allé à Paris en 2019 pour le travail", None, "2019"),
        # round 4: identifiers with plural or benefit cues, a key named, in brackets
        (
            "nos numeros fiscaux : lui 1234567890123, moi 2234567890123 pour la déclaration",
            ("FISCAL", "2234567890123"),
            "déclaration",
        ),
        ("dossier 4567123, l'apl a baissé de 30 euros", ("CAF", "4567123"), "30 euros"),
        ("Ali Kaci 6543219T absent au rdv de lundi", ("FRANCE_TRAVAIL", "6543219T"), "lundi"),
        ("num allocataire 7963772A pour le RSA", ("CAF", "7963772A"), "RSA"),
        ("secu 1 84 03 75 112 345 clé 07 merci", ("NIR", "1 84 03 75 112 345 clé 07"), "merci"),
        ("mon passeport (AB1234567) expire en mai", ("PASSEPORT", "AB1234567"), "mai"),
        (
            "4970 1012 3456 7891 exp 11/27 crypto 321 pour l'amende",
            ("CB", "4970 1012 3456 7891"),
            "11/27",
        ),
        # words that are holidays, not people
        ("la prime de Noël est versée quand ?", None, "prime de Noël"),
        ("c'est Pâques lundi, la CAF paie quand ?", None, "Pâques"),
    ],
)
def test_family_is_masked_and_its_neighbour_survives(
    text: str, expected: tuple[str, str] | None, survivor: str
) -> None:
    if expected is not None:
        assert covered(text, expected), masked(text)
    assert survives(text, survivor)


def test_a_cue_word_alone_masks_no_date_or_phone_as_an_identifier() -> None:
    text = "ma carte d'identité expire le 12/03/2027, passeport tel 06 12 34 56 78"
    types = {t for t, _ in masked(text)}
    assert not types & {"CNI", "PASSEPORT"}


def test_street_abbreviation_alone_is_not_an_address() -> None:
    assert masked("j'ai 3 r de retard et 2 pl libres au parking") == []
