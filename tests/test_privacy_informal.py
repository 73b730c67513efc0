"""Personal data as people type it on a phone, and its disguised forms: each form is masked
in a sentence, while words that only look like names, service numbers, dates and amounts
survive. A phone number typed over two messages is masked in both."""

from __future__ import annotations

import pytest

from chatbot.privacy import Pseudonymiser, analyze
from chatbot.privacy.evaluate import run
from chatbot.privacy.informal import normalise


def found(text: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names in lower case, surname first, signed, bare surname after a cue
        ("bjr c paul moreau jai perdu ma carte vitale", ("NOM", "paul moreau")),
        ("moreau paul, je voudrais un rdv svp", ("NOM", "moreau paul")),
        ("le dossier de youssef da silva est bloqué", ("NOM", "youssef da silva")),
        ("n'diaye jean-claude, allocataire depuis 2019", ("NOM", "n'diaye jean-claude")),
        ("Merci de votre aide.\nMARTIN Jean", ("NOM", "MARTIN Jean")),
        ("Cordialement, mme Lefèvre", ("NOM", "Lefèvre")),
        ("Durand m'a dit que mon dossier était complet", ("NOM", "Durand")),
        ("mon conseiller M. Petit ne répond plus", ("NOM", "Petit")),
        ("Bien à vous, M. PONS", ("NOM", "PONS")),
        ("Mme DURAND épouse TRAORÉ demande une pension", ("NOM", "TRAORÉ")),
        ("c léa, je vous écris pour ma mère", ("NOM", "léa")),
        ("mon fils lucas a 12 ans", ("NOM", "lucas")),
        # e-mails spelled out, spaced, disguised: the whole span
        (
            "mail : jean point dupont arobase gmail point com merci",
            ("EMAIL", "jean point dupont arobase gmail point com"),
        ),
        ("écrivez à g.lemaire @ sfr . fr svp", ("EMAIL", "g.lemaire @ sfr . fr")),
        ("mon mail jean.dupont at free.fr", ("EMAIL", "jean.dupont at free.fr")),
        ("contact x_y(at)icloud.com", ("EMAIL", "x_y(at)icloud.com")),
        ("c paul.roux[at]wanadoo[dot]fr", ("EMAIL", "paul.roux[at]wanadoo[dot]fr")),
        ("mail jean_kerbrat%40laposte.net", ("EMAIL", "jean_kerbrat%40laposte.net")),
        # phones: any one separator, digits one at a time, in words, other scripts
        ("tel 07/05/45/75/98 merci", ("TEL", "07/05/45/75/98")),
        ("rappelez moi 0 6 2 9 8 3 6 5 2 0", ("TEL", "0 6 2 9 8 3 6 5 2 0")),
        ("mon portable 06 654 280 38", ("TEL", "06 654 280 38")),
        ("tel +33 (0)6 49 54 65 67", ("TEL", "+33 (0)6 49 54 65 67")),
        (
            "tel zéro six douze trente-quatre cinquante-six soixante-dix-huit merci",
            ("TEL", "zéro six douze trente-quatre cinquante-six soixante-dix-huit"),
        ),
        ("mon numero ٠٧٦٦٨٤١٧٩٣ merci", ("TEL", "٠٧٦٦٨٤١٧٩٣")),
        ("mon numero ۰۶ ۰۲ ۲۵ ۵۳ ۱۵", ("TEL", "۰۶ ۰۲ ۲۵ ۵۳ ۱۵")),
        ("tel ０７ ７７ ８９ １８ ５８", ("TEL", "０７ ７７ ８９ １８ ５８")),
        # identifiers with odd spacing or in SMS context
        ("mon nir 1-85-05-78-006-084-36", ("NIR", "1-85-05-78-006-084-36")),
        ("rib FR76  1027 8464  13682033 7527785", ("IBAN", "FR76  1027 8464  13682033 7527785")),
        ("mon num alloc c 5741702 c normal ?", ("CAF", "5741702")),
        # cue-window birth dates, NIR in any grouping, names from cues and word shape
        ("né au Maroc le 20/09/1997, je veux une carte", ("DATE_NAISSANCE", "20/09/1997")),
        ("née 1 octobre 78 a Lyon", ("DATE_NAISSANCE", "1 octobre 78")),
        ("DN: 28/2/55", ("DATE_NAISSANCE", "28/2/55")),
        ("je suis né en 1971, à quel âge la retraite ?", ("DATE_NAISSANCE", "1971")),
        ("numéro INSEE : 161 0613 3404 19 55", ("NIR", "161 0613 3404 19 55")),
        ("secu 1610613340419 clé 55", ("NIR", "1610613340419 clé 55")),
        ("moi c kofi hadjadj jai perdu mon titre", ("NOM", "kofi hadjadj")),
        ("je m'apelle piotr karataş", ("NOM", "piotr karataş")),
        ("merci beaucoup !\nines kowalczyk", ("NOM", "ines kowalczyk")),
        ("Thi Hoa Tounkara - t.h@mail.com", ("NOM", "Thi Hoa Tounkara")),
        ("Catarina Dos Reis m'a conseillé de faire une demande", ("NOM", "Catarina Dos Reis")),
        ("le dossier de Kofi Benjelloun, ma voisine.", ("NOM", "Kofi Benjelloun")),
        (
            "mail oumou76 arrobase famille point paris",
            ("EMAIL", "oumou76 arrobase famille point paris"),
        ),
        (
            "adresse: résidence Bellevue bât A appt 45",
            ("ADRESSE", "résidence Bellevue bât A appt 45"),
        ),
        ("j'habite lieu-dit les Granges à la campagne", ("ADRESSE", "lieu-dit les Granges")),
        ("inscrit a France Travail sous le numero 5126638 S", ("FRANCE_TRAVAIL", "5126638 S")),
        ("mon passeport n° 18 YB 21843 expire", ("PASSEPORT", "18 YB 21843")),
        # loose addresses and birth dates
        ("au 4 bis av jean jaures on a rien recu", ("ADRESSE", "4 bis av jean jaures")),
        ("au 50 ter r. pasteur", ("ADRESSE", "50 ter r. pasteur")),
        ("au 48 bis bvd de la liberte", ("ADRESSE", "48 bis bvd de la liberte")),
        ("ma date de naissance c 3 avril 85", ("DATE_NAISSANCE", "3 avril 85")),
        ("DDN 12.05.1990", ("DATE_NAISSANCE", "12.05.1990")),
        ("ma date de naissance c 20/03/1976", ("DATE_NAISSANCE", "20/03/1976")),
        # round 4: a lower-case "m." title, a particle opening the surname after a title
        ("mon proprietaire m. Garnier ne repond plus", ("NOM", "Garnier")),
        ("c'est pour madame le guen, ma voisine", ("NOM", "le guen")),
        # round 4: cities typed in lower case or with an elision, flats before the number
        (
            "adresse : 8 rue des Lilas, 59491 Villeneuve d'Ascq merci",
            ("ADRESSE", "8 rue des Lilas, 59491 Villeneuve d'Ascq"),
        ),
        (
            "j'habite 3 av foch 62200 boulogne sur mer depuis mai",
            ("ADRESSE", "3 av foch 62200 boulogne sur mer"),
        ),
        (
            "au 9 rue du port 93200 saint denis le facteur passe pas",
            ("ADRESSE", "9 rue du port 93200 saint denis"),
        ),
        (
            "esc 2 porte 41 cité Lumière 13014 marseille",
            ("ADRESSE", "esc 2 porte 41 cité Lumière 13014 marseille"),
        ),
        (
            "adresse : 7 allée des Pins, 3e étage porte droite",
            ("ADRESSE", "7 allée des Pins, 3e étage porte droite"),
        ),
        ("on vit lieu-dit Les Essarts depuis 10 ans", ("ADRESSE", "lieu-dit Les Essarts")),
        ("je loge chez ma tante, 14 grande rue", ("ADRESSE", "14 grande rue")),
        # round 4: first names signing off, introduced, in apposition, after "de"
        ("ok j'ai compris, bonne journée. rachida", ("NOM", "rachida")),
        ("rappelez moi au 07 12 45 78 96. Nathalie", ("NOM", "Nathalie")),
        ("c'est réglé :) sabrina", ("NOM", "sabrina")),
        ("slt nono ici jai une question sur la prime", ("NOM", "nono")),
        ("karine ma conseillère est partie, qui suit mon dossier ?", ("NOM", "karine")),
        ("pour l'inscription de Timéo a la creche, on doit fournir quoi ?", ("NOM", "Timéo")),
        ("bonjour la famille Ozturk a besoin d'un logement social", ("NOM", "Ozturk")),
        ("Garnier a la caf m'a dit de rappeler", ("NOM", "Garnier")),
        ("ma référente qui s'appelle Nadège est absente", ("NOM", "Nadège")),
        ("jsui ibrahima et g perdu mon titre", ("NOM", "ibrahima")),
        ("cdlt, m. roussel", ("NOM", "roussel")),
        # round 4: a first name after a phone, a name before its own e-mail, short capitals
        # after "épouse" or "nom", an e-mail with a comma for its last dot
        ("rappelez svp 07-12-45-78-96 Sofiane", ("NOM", "Sofiane")),
        ("Julie Garnier julie.garnier@free.fr 06 11 22 33 44", ("NOM", "Julie Garnier")),
        ("Mme TRAN Thi Mai, épouse VU", ("NOM", "VU")),
        ("sur l'avis mon nom LY est mal écrit", ("NOM", "LY")),
        ("mon mail k.traore@yahoo,fr svp", ("EMAIL", "k.traore@yahoo,fr")),
        # round 4: kin and pet names, a name in brackets, a couple, "X c mon fils"
        ("c sonia (la maman de kylian), on a rien reçu", ("NOM", "kylian")),
        ("gros bisous tata nini", ("NOM", "nini")),
        ("re moi (mathis) j'ai oublié un papier", ("NOM", "mathis")),
        ("merci à vous, Solange et Marc Fauvel", ("NOM", "Solange et Marc Fauvel")),
        ("jean-baptiste c mon fils, il est né en Italie", ("NOM", "jean-baptiste")),
        ("mon mari s'appelle Pierre, il est au chômage", ("NOM", "Pierre")),
        ("slt c moi bilal haddou jai perdu ma carte", ("NOM", "bilal haddou")),
        # round 4: a lower-case name after "Mr", a two-digit year after "né en", "ptit fils"
        ("Mr girard n'a jamais répondu", ("NOM", "girard")),
        ("je suis née en 72 au Maroc", ("DATE_NAISSANCE", "72")),
        ("ma ptite fille lina a besoin d'une bourse", ("NOM", "lina")),
        # round 4: a first name opening the message with an age, even an everyday word's
        ("claire, 19 ans, je cherche une alternance", ("NOM", "claire")),
        # round 4: the letter O typed for a zero in a phone
        ("mon tel 07 61 22 83 4O merci", ("TEL", "07 61 22 83 4O")),
        # round 4: a first name with an initial, a name in brackets before a comma
        ("Bonne journée, Kevin D.", ("NOM", "Kevin D")),
        ("ma fille (Lina, 4 ans) est malade", ("NOM", "Lina")),
        # round 4: a street named after a common word, capitalised
        ("mon adresse 1 place de la Mairie, merci", ("ADRESSE", "1 place de la Mairie")),
    ],
)
def test_informal_form_is_masked(text: str, expected: tuple[str, str]) -> None:
    assert expected in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "le formulaire rose pour la carte grise ça existe encore ?",
        "ma maison est en pierre, j'ai droit a MaPrimeRénov ?",
        "mon fils veut entrer dans la marine nationale",
        "j'aurais aimé savoir si la claire fontaine est une source",
        "on se marie le 2 juin, faut il un extrait d'acte ?",
        "la prime de Noël arrive quand ?",
        "une olive, la France et la CPAM d'Albert dans la Somme",
        "appelez le 39 39 ou le 3949, la CAF, la CPAM, l'URSSAF, la MDPH et France Travail",
        "le numéro 0 809 401 401 des impots est payant ?",
        "cerfa 13750*05 envoyé le 12/03/2024, 1 850 euros, loi n° 2023-270 du 14 avril 2023",
        "je suis en arret depuis le 3 janvier 2025 a la préfecture de Lyon",
        "j'ai demandé l'acte de naissance le 12/03/2024 à la mairie",
        "je ne sais pas, le 12/03/2024 j'ai envoyé le dossier",
        "rdv le 05/06/2025 à la CAF, merci beaucoup",
        "il faut une carte d'identite de moins de 5 ans",
        "le mur fait 3 m. de haut, il faut un permis ?",
        "madame la directrice de la CAF ne répond pas",
        "c'est inadmissible, trois mois sans réponse",
        "la prime de Noël et les aides de France Travail",
        "la famille nombreuse a droit à quoi ?",
        "je vais à Lyon la semaine prochaine. Merci",
        "merci d'envoyer le formulaire par courrier",
        "Veuillez agréer, Madame, Monsieur, mes salutations distinguées.",
        "je suis aide-soignante de nuit, ça compte pour la retraite ?",
        "la prime Ségur est versée aux infirmières ?",
        "c'est Pâques lundi, la CAF paie quand ?",
        "je peux quand meme partir en Tunisie ?",
        "ça s'appelle comment le formulaire pour la CAF ?",
        "la mère de famille touche le RSA",
        "tonton et tata viennent à Noël",
        "la prime est de 200 Noel",
        "je suis né en 85 ans ?",
        "le formulaire (Cerfa, page 2) pour la CAF",
        "bonjour bonsoir, oooo 12 34 56 78 ?",
        "jeune, 23 ans, je cherche une formation",
        "Mr est absent aujourd'hui, la directrice aussi",
        "la commande 1234567A n'est jamais arrivée",
        "ma référence client est 7654321B chez EDF",
    ],
)
def test_must_survive(text: str) -> None:
    assert found(text) == []


def test_comma_for_a_dot_ends_no_well_formed_email() -> None:
    text = "écrivez à contact@caf.fr, com d'habitude"
    assert found(text) == [("EMAIL", "contact@caf.fr")]


def test_phone_split_over_two_messages_is_masked() -> None:
    gate = Pseudonymiser()
    first = str(gate.clear("mon numéro c'est 06 12 34"))
    second = str(gate.clear("56 78"))
    assert "12 34" not in first and first.startswith("mon numéro c'est <TEL_")
    assert "56" not in second and second.startswith("<TEL_")
    assert str(gate.clear("merci, 12 euros")) == "merci, 12 euros"  # the run ended


def test_split_digits_not_completing_a_phone_survive() -> None:
    gate = Pseudonymiser()
    gate.clear("j'ai payé 06")
    assert str(gate.clear("12 euros de plus")) == "12 euros de plus"


def test_normalise_keeps_offsets() -> None:
    text = "tel ٠٦١٢ ０７\u00a0x"
    assert len(normalise(text)) == len(text)
    assert normalise(text) == "tel 0612 07 x"


def test_eval_reports_both_sets(capsys: pytest.CaptureFixture[str]) -> None:
    run()
    out = capsys.readouterr().out
    assert "(formal, privacy.jsonl)" in out and "(informal, privacy-informal.jsonl)" in out
