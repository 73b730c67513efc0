"""Each French recognizer finds its identifier in a realistic sentence, and leaves alone what
must survive (administrations, service numbers, amounts, dates, form numbers)."""

from __future__ import annotations

import pytest

from chatbot.privacy import analyze


def found(text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon numero de secu c'est 1 85 05 78 006 084 91 merci", ("NIR", "1 85 05 78 006 084 91")),
        ("NIR : 185057800608491.", ("NIR", "185057800608491")),
        ("né en Corse, sécu 1 78 07 2A 454 646 85", ("NIR", "1 78 07 2A 454 646 85")),
        (
            "mon iban FR76 3000 6000 0112 3456 7890 189 svp",
            ("IBAN", "FR76 3000 6000 0112 3456 7890 189"),
        ),
        ("IBAN allemand DE89370400440532013000.", ("IBAN", "DE89370400440532013000")),
        ("appelez moi au 06 12 34 56 78", ("TEL", "06 12 34 56 78")),
        ("tel 06.12.34.56.78 ou", ("TEL", "06.12.34.56.78")),
        ("portable +33 6 12 34 56 78.", ("TEL", "+33 6 12 34 56 78")),
        ("joignable au 0033 6 12 34 56 78", ("TEL", "0033 6 12 34 56 78")),
        ("à la Réunion : 0262 45 67 89", ("TEL", "0262 45 67 89")),
        ("fixe 01-45-67-89-10", ("TEL", "01-45-67-89-10")),
        ("écrivez à jean.dupont@exemple.fr merci", ("EMAIL", "jean.dupont@exemple.fr")),
        ("mon numéro fiscal est 1234567890066", ("FISCAL", "1234567890066")),
        ("je suis auto-entrepreneur, SIRET 732 829 320 00074", ("SIRET", "732 829 320 00074")),
        ("mon siren c'est 732829320", ("SIREN", "732829320")),
        ("j'ai perdu mon passeport n° 12AB34567", ("PASSEPORT", "12AB34567")),
        ("ma carte d'identité numéro 880692310285 est périmée", ("CNI", "880692310285")),
        ("numéro de CNI : X4RTBPFW4", ("CNI", "X4RTBPFW4")),
        ("mon numéro allocataire CAF est 1234567", ("CAF", "1234567")),
        ("identifiant France Travail 1234567A", ("FRANCE_TRAVAIL", "1234567A")),
        ("ma voiture AB-123-CD est en fourrière", ("PLAQUE", "AB-123-CD")),
        ("véhicule immatriculé 1234 AB 56", ("PLAQUE", "1234 AB 56")),
        ("débité sur ma carte 4970 1000 0000 0006", ("CB", "4970 1000 0000 0006")),
        (
            "j'habite 12 bis rue des Lilas 69003 Lyon depuis",
            ("ADRESSE", "12 bis rue des Lilas 69003 Lyon"),
        ),
        (
            "au 3 avenue du Général de Gaulle, 75011 Paris.",
            ("ADRESSE", "3 avenue du Général de Gaulle, 75011 Paris"),
        ),
        ("je suis née le 12/03/1985 à Lille", ("DATE_NAISSANCE", "12/03/1985")),
        ("date de naissance : 1er janvier 1990", ("DATE_NAISSANCE", "1er janvier 1990")),
        ("Bonjour, je m'appelle Jean Dupont.", ("NOM", "Jean Dupont")),
        ("je m'appelle jean dupont et j'ai besoin d'aide", ("NOM", "jean dupont")),
        ("bonjour je suis marie durand allocataire", ("NOM", "marie durand")),
        ("mon nom est paul martin", ("NOM", "paul martin")),
        ("Mme Le Goff a appelé", ("NOM", "Le Goff")),
        ("rendez-vous avec M. Bernard demain", ("NOM", "Bernard")),
        ("madame durand de la mairie m'a dit", ("NOM", "durand")),
        ("Usager DUPONT Jean, dossier transmis.", ("NOM", "DUPONT Jean")),
        ("Ma fille Jade (12 ans) a besoin d'une bourse", ("NOM", "Jade")),
        ("bonne journée, tiphaine", ("NOM", "tiphaine")),
        ("je m appel nadia ziani et jai besoin d'aide", ("NOM", "nadia ziani")),
    ],
)
def test_recognizer_finds(text: str, expected: tuple[str, str]) -> None:
    assert expected in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "J'ai appelé le 39 39 puis le 3114 et le 115, rien.",
        "En cas d'urgence faites le 17 ou le 112, pour l'enfance le 119, violences le 3919.",
        "Le numéro vert 0 800 130 000 et le 08 00 13 00 00 sont gratuits.",
        "La CAF, la CPAM, la DGFiP, l'ANTS, l'URSSAF, France Travail, la MDPH et le CROUS.",
        "Pharos, France Services, Ameli, la MSA, Pôle emploi, la préfecture et la mairie.",
        "Le formulaire cerfa 13750*05 coûte 86 euros, à envoyer avant le 12 mars 2024.",
        "Selon l'article L. 262-2 du Code de l'action sociale et des familles, loi n° 2016-1321.",
        "Je vis à Marseille, dans les Bouches-du-Rhône, en Provence-Alpes-Côte d'Azur, en France.",
        "Mon loyer est de 1 234,56 € et mon RSA de 635,71 euros depuis 2023.",
        "Le rendez-vous est le 14/02/2025 à 9h30 au guichet 12.",
        "Le bordereau 1234567890123 est joint.",  # 13 digits, wrong fiscal key, no context
        "Bonjour Madame la Préfète, Monsieur le Maire a refusé mon permis.",
        "La rue Victor Hugo est fermée, le collège Jean Moulin aussi.",
        "Je suis Ukrainienne, réfugiée en France depuis 2022.",
        "Bonjour, pouvez-vous m'aider ? Je suis perdu.",
        "La CAF Lyon, l'URSSAF Alsace et la CPAM Paris ont répondu ; SNCF Connect aussi.",
        "Transférez le dossier. Reformulez la demande. Contenu : la fiche du Pacs.",
        "Indiquez votre adresse mail auprès du guichet et votre carte Vitale.",
    ],
)
def test_must_survive(text: str) -> None:
    assert found(text) == []


def test_identifier_needing_context_is_left_without_it() -> None:
    # Seven digits are a CAF number only when the message says so.
    assert found("commande 1234567 livrée") == []
    assert found("mon SIREN est 732829320") == [("SIREN", "732829320")]
    assert found("réf. 732829320") == []


def test_nearest_context_decides_between_caf_and_france_travail() -> None:
    text = "inscrit à France Travail depuis mars ; mon numéro allocataire CAF : 7654321"
    assert ("CAF", "7654321") in found(text)
    assert ("FRANCE_TRAVAIL", "1234567A") in found("identifiant France Travail 1234567A, CAF")


def test_locations_and_organisations_are_not_masked() -> None:
    text = "Je travaille chez Renault à Boulogne-Billancourt et je vais à Lyon."
    assert [t for t, _ in found(text)] == []
