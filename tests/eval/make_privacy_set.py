# ruff: noqa: E501  (hand-written French templates read best one per line)
"""Write tests/eval/privacy.jsonl, the labelled dev set of the privacy gate.

Deterministic (fixed seed). Every person, number and address is fictional; identifiers that
have a checksum get a valid one, so the gate is tested on what it must catch. Templates are
hand-written in citizens' style (lower case, typos, no punctuation) and agents' style;
``{TYPE}`` / ``{TYPE:variant}`` slots receive generated values and ``[[term]]`` marks a
must-survive term. Offsets are computed while the text is assembled.

    uv run python tests/eval/make_privacy_set.py
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).with_name("privacy.jsonl")
rng = random.Random(20261128)

# First names: about a third are NOT in the gate's own list, to keep the set honest.
FIRST = """Jean Marie Pierre Nathalie Isabelle Philippe Sophie Julien Camille Lucas Léa Nicolas
Céline Thomas Manon Hugo Chloé Antoine Sandrine Mohamed Fatima Karim Nadia Yannick Ludivine
Killian Maëlys Noé Timothée Aurore Baptiste Quentin Clément Axelle Gwendoline Tiphaine Enzo
Loïc Mathis Anthony Élodie Sylvie Bernard Gaëlle Youssef Aïcha Jean-Pierre Marie-Claude
Océane Rémi Perrine Corentin Soizic Malik Ophélie Bastien Jordan Kenza Ilyes Solène""".split()
LAST = """Dupont Durand Martin Bernard Moreau Lefebvre Garnier Rousseau Chevalier Le Goff
Nguyen Benali Diallo Traoré Da Silva Haddad Kowalski Lemoine Marchand Perrin Gauthier Morel
Fournier Girard Bonnet Lambert Faure Mercier Blanchard Guérin Boyer Caron Renaud Fabre Roussel
Le Bihan Kerjean Lacroix Meunier Colin Vidal Aubert Brunet Hoarau Payet Grondin Jean-Baptiste
Mbappé Ouedraogo Santos Ferreira Dubois Tessier Leclerc Charpentier Delattre Pasquier""".split()
LAST = [name.replace("_", " ") for name in LAST]
LAST = [n for n in LAST if n not in ("Le", "Da")] + ["Le Goff", "Da Silva", "Le Bihan"]
STREET_TYPES = [
    "rue",
    "avenue",
    "boulevard",
    "impasse",
    "allée",
    "chemin",
    "place",
    "route",
    "quai",
    "résidence",
    "cours",
    "square",
    "bd",
    "av.",
]
STREET_NAMES = [
    "des Lilas",
    "Victor Hugo",
    "Jean Jaurès",
    "de la République",
    "du Général de Gaulle",
    "Pasteur",
    "des Acacias",
    "de la Gare",
    "du Moulin",
    "Gambetta",
    "Émile Zola",
    "des Tilleuls",
    "de l'Église",
    "Saint-Exupéry",
    "du Stade",
    "des Rosiers",
    "Paul Vaillant-Couturier",
    "de Verdun",
    "Anatole France",
    "des Écoles",
    "du Château d'Eau",
    "Nelson Mandela",
    "Louise Michel",
    "des Peupliers",
    "du 8 Mai 1945",
]
CITIES = [
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("13005", "Marseille"),
    ("31000", "Toulouse"),
    ("59000", "Lille"),
    ("33800", "Bordeaux"),
    ("44000", "Nantes"),
    ("97400", "Saint-Denis"),
    ("20000", "Ajaccio"),
    ("67000", "Strasbourg"),
    ("35000", "Rennes"),
    ("29200", "Brest"),
    ("63000", "Clermont-Ferrand"),
    ("93200", "Saint-Denis"),
    ("76600", "Le Havre"),
    ("21000", "Dijon"),
    ("87000", "Limoges"),
    ("97200", "Fort-de-France"),
]
DOMAINS = [
    "gmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "hotmail.fr",
    "yahoo.fr",
    "wanadoo.fr",
    "sfr.fr",
    "outlook.fr",
    "icloud.com",
]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"


def digits(n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        d = int(char)
        if index % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def group(value: str, sizes: list[int], sep: str = " ") -> str:
    parts, pos = [], 0
    for size in sizes:
        parts.append(value[pos : pos + size])
        pos += size
    if pos < len(value):
        parts.append(value[pos:])
    return sep.join(p for p in parts if p)


def person() -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def gen_nom(variant: str) -> str:
    first, last = person()
    return {
        "": f"{first} {last}",
        "lower": f"{first} {last}".lower(),
        "upper": f"{last.upper()} {first}",
        "last": last,
        "last_lower": last.lower(),
        "first": first,
        "first_lower": first.lower(),
    }[variant]


def gen_nir(variant: str) -> str:
    sex = rng.choice("12")
    yy, mm = f"{rng.randint(40, 99):02d}", f"{rng.randint(1, 12):02d}"
    dept = rng.choice(["75", "69", "13", "2A", "2B", "59", "33", "93", "44", "97"])
    commune = f"{rng.randint(1, 899):03d}" if dept != "97" else f"{rng.randint(101, 499):03d}"
    order = f"{rng.randint(1, 999):03d}"
    body = f"{sex}{yy}{mm}{dept}{commune}{order}"
    numeric = body.replace("2A", "19").replace("2B", "18")
    key = f"{97 - int(numeric) % 97:02d}"
    full = body + key
    style = variant or rng.choice(["spaced", "spaced", "compact", "dotted"])
    if style == "compact":
        return full
    sep = "." if style == "dotted" else " "
    return sep.join([full[0], full[1:3], full[3:5], full[5:7], full[7:10], full[10:13], full[13:]])


IBAN_BBAN = {"FR": 23, "DE": 18, "BE": 12, "ES": 20, "IT": 23, "NL": 14, "LU": 16, "PT": 21}


def gen_iban(variant: str) -> str:
    country = variant.upper() if variant else rng.choice(["FR"] * 5 + list(IBAN_BBAN))
    length = IBAN_BBAN[country]
    if country == "NL":
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + digits(10)
    elif country == "IT":
        bban = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + digits(length - 1)
    else:
        bban = digits(length)
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = f"{98 - int(numeric) % 97:02d}"
    iban = country + check + bban
    style = rng.choice(["grouped", "grouped", "grouped", "compact", "lower"])
    if style == "compact":
        return iban
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return grouped.lower() if style == "lower" else grouped


def gen_tel(variant: str) -> str:
    kind = variant or rng.choice(["mobile", "mobile", "mobile", "fixe", "outremer", "box"])
    if kind == "mobile":
        number = rng.choice(["06", "07"]) + digits(8)
    elif kind == "fixe":
        number = f"0{rng.randint(1, 5)}" + digits(8)
    elif kind == "box":
        number = "09" + digits(8)
    else:
        number = rng.choice(["0262", "0692", "0590", "0690", "0596", "0594"]) + digits(6)
    style = rng.choice(
        ["spaced", "spaced", "compact", "dotted", "dashed", "plus33", "0033", "spaced4"]
    )
    pairs = [number[i : i + 2] for i in range(0, 10, 2)]
    if style == "compact":
        return number
    if style == "dotted":
        return ".".join(pairs)
    if style == "dashed":
        return "-".join(pairs)
    if style == "plus33":
        return (
            "+33 " + number[1] + " " + " ".join(pairs[1:])
            if rng.random() < 0.6
            else "+33" + number[1:]
        )
    if style == "0033":
        return "0033 " + number[1] + " " + " ".join(pairs[1:])
    if style == "spaced4":
        return number[:4] + " " + " ".join(pairs[2:])
    return " ".join(pairs)


def gen_email(variant: str) -> str:
    first, last = person()
    first = re.sub(
        r"[^a-z\-]", "", first.lower().translate(str.maketrans("éèëïîçöüâ", "eeeiicoua"))
    )
    last = re.sub(r"[^a-z]", "", last.lower().translate(str.maketrans("éèëïîçöüâ", "eeeiicoua")))
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}{last}{rng.randint(1, 99)}",
            f"{first}_{last}",
            f"{last}.{first}",
            f"{first}-{last}{rng.randint(60, 99)}",
        ]
    )
    return f"{local}@{rng.choice(DOMAINS)}"


def gen_fiscal(variant: str) -> str:
    head = str(rng.randint(0, 3)) + digits(9)
    value = head + f"{int(head) % 511:03d}"
    return group(value, [2, 2, 3, 3, 3]) if rng.random() < 0.5 else value


def gen_siren(variant: str) -> str:
    body = str(rng.randint(1, 9)) + digits(7)
    value = body + luhn_digit(body)
    return group(value, [3, 3, 3]) if rng.random() < 0.6 else value


def gen_siret(variant: str) -> str:
    body = str(rng.randint(1, 9)) + digits(7)
    siren = body + luhn_digit(body)
    nic = "0" + digits(3)
    value = siren + nic + luhn_digit(siren + nic)
    return group(value, [3, 3, 3, 5]) if rng.random() < 0.6 else value


def gen_passeport(variant: str) -> str:
    return digits(2) + "".join(rng.choice(PLATE_LETTERS) for _ in range(2)) + digits(5)


def gen_cni(variant: str) -> str:
    if (variant or rng.choice(["old", "new"])) == "old":
        return (
            f"{rng.randint(5, 20):02d}{rng.randint(1, 12):02d}"
            + rng.choice(["750", "691", "2A0", "130"])
            + digits(5)
        )
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    while True:
        value = "".join(rng.choice(chars) for _ in range(9))
        if re.search(r"\d", value) and re.search(r"[A-Z]", value):
            return value


def gen_caf(variant: str) -> str:
    return digits(7)


def gen_ft(variant: str) -> str:
    return digits(7) + rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")


def gen_plaque(variant: str) -> str:
    letters = lambda: "".join(rng.choice(PLATE_LETTERS) for _ in range(2))  # noqa: E731
    style = variant or rng.choice(["siv", "siv", "siv_space", "siv_lower", "old"])
    if style == "old":
        return f"{rng.randint(100, 9999)} {letters()} {rng.choice(['75', '69', '13', '2A', '59', '33'])}"
    value = f"{letters()}-{digits(3)}-{letters()}"
    if style == "siv_space":
        return value.replace("-", " ")
    return value.lower() if style == "siv_lower" else value


def gen_cb(variant: str) -> str:
    body = rng.choice(["4", "5"]) + digits(14)
    value = body + luhn_digit(body)
    return " ".join(value[i : i + 4] for i in range(0, 16, 4)) if rng.random() < 0.7 else value


def gen_dob(variant: str) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2005)
    style = rng.choice(["slash", "slash", "text", "dot", "text1"])
    if style == "slash":
        return f"{d:02d}/{m:02d}/{y}"
    if style == "dot":
        return f"{d:02d}.{m:02d}.{y}"
    if style == "text1":
        return f"1er {MONTHS[m - 1]} {y}"
    return f"{d} {MONTHS[m - 1]} {y}"


def gen_adresse(variant: str) -> str:
    number = rng.choice(
        [str(rng.randint(1, 180))] * 4
        + [f"{rng.randint(1, 60)} bis", f"{rng.randint(1, 60)} ter", f"{rng.randint(1, 40)}B"]
    )
    street = f"{number} {rng.choice(STREET_TYPES)} {rng.choice(STREET_NAMES)}"
    postcode, city = rng.choice(CITIES)
    if variant == "street":
        value = street
    elif variant == "nonumber":
        value = f"{rng.choice(STREET_TYPES)} {rng.choice(STREET_NAMES)}"
    else:
        value = f"{street}{rng.choice([', ', ' '])}{postcode} {city}"
    return value.lower() if variant == "lower" else value


GENERATORS = {
    "NOM": gen_nom, "NIR": gen_nir, "IBAN": gen_iban, "TEL": gen_tel, "EMAIL": gen_email,
    "FISCAL": gen_fiscal, "SIREN": gen_siren, "SIRET": gen_siret, "PASSEPORT": gen_passeport,
    "CNI": gen_cni, "CAF": gen_caf, "FRANCE_TRAVAIL": gen_ft, "PLAQUE": gen_plaque, "CB": gen_cb,
    "DATE_NAISSANCE": gen_dob, "ADRESSE": gen_adresse,
}  # fmt: skip

# --- templates with personal data: {TYPE} or {TYPE:variant}; [[term]] must survive ---------
TEMPLATES = """
Bonjour, je m'appelle {NOM} et je voudrais savoir où en est mon dossier de [[RSA]] à la [[CAF]].
bonjour je m'appelle {NOM:lower} j'ai pas reçu mes [[APL]] ce mois ci
je suis {NOM:lower} allocataire [[CAF]] numéro {CAF} et je comprend pas pourquoi ma prime a baissé
Bonjour, mon numéro allocataire est le {CAF}, pouvez-vous me dire quand sera versée l'[[AAH]] ?
slt mon num allocataire c {CAF} et la [[caf]] me demande un justificatif
Mon numéro de sécurité sociale est {NIR}, je n'ai pas encore reçu ma carte Vitale de la [[CPAM]].
mon numero de secu c'est {NIR} et [[ameli]] me dit que mon dossier est incomplet
NIR : {NIR}. L'usager demande le remboursement de ses soins à l'[[Assurance maladie]].
Bonjour je suis né en Corse, mon numéro de sécu est {NIR:spaced}, est-ce normal qu'il y ait un 2A ?
Usager : {NOM:upper}, NIR {NIR}, né le {DATE_NAISSANCE}, dossier transmis à la [[CPAM]] de [[Lyon]].
Vous pouvez me rappeler au {TEL} ? j'ai essayé le [[39 39]] mais ça sonne occupé
mon tel {TEL} merci de me rappeler rapidement
Je suis joignable au {TEL} ou par mail à {EMAIL}.
Contact de l'usager : tél. {TEL}, courriel {EMAIL}, suivi par [[France Services]] de [[Bourges]].
voici mon mail {EMAIL} pour recevoir le formulaire [[cerfa 13750]]
Pouvez-vous m'envoyer la réponse à {EMAIL} svp ?
Mon IBAN a changé, le nouveau est {IBAN}, pouvez-vous le transmettre à la [[CAF]] ?
iban {IBAN} pour le remboursement de la [[CPAM]] svp
Je travaille en Belgique, mon IBAN est {IBAN:BE}, la [[CPAM]] peut-elle y verser mes indemnités ?
J'habite en Allemagne et mon IBAN allemand est {IBAN:DE}, comment toucher ma retraite ?
RIB de l'usager : {IBAN:FR}. Merci de mettre à jour le dossier [[URSSAF]].
Mon numéro fiscal est {FISCAL}, je n'arrive pas à me connecter sur [[impots.gouv.fr]].
numéro fiscal {FISCAL} j'ai pas reçu mon avis d'imposition [[2024]]
L'usager communique son numéro fiscal ({FISCAL}) pour la [[DGFiP]].
Je suis auto-entrepreneur, mon SIRET est le {SIRET}, comment déclarer mon chiffre d'affaires à l'[[URSSAF]] ?
mon siren c'est {SIREN} je suis micro-entrepreneur depuis [[2021]]
Entreprise individuelle, SIREN {SIREN}, cotisations [[URSSAF]] en retard.
Mon siret : {SIRET}. Je voudrais fermer ma micro-entreprise.
J'ai perdu mon passeport numéro {PASSEPORT}, que faire auprès de l'[[ANTS]] ?
passeport n° {PASSEPORT} expiré le mois dernier, je pars en [[Espagne]] en juillet
Ma carte d'identité numéro {CNI:old} est périmée, faut-il prendre rendez-vous en [[mairie]] ?
Numéro de CNI : {CNI:new}. Je l'ai perdue hier à [[Marseille]].
j'ai perdu ma carte d'identite n {CNI} je dois faire quoi
Mon identifiant France Travail est {FRANCE_TRAVAIL}, je n'arrive pas à actualiser ma situation.
identifiant pole emploi {FRANCE_TRAVAIL} je suis radié depuis le [[3 février]]
Demandeur d'emploi inscrit sous l'identifiant {FRANCE_TRAVAIL} auprès de [[France Travail]] [[Nantes]].
Ma voiture immatriculée {PLAQUE} a été mise en fourrière, comment la récupérer ?
j'ai reçu une amende pour la voiture {PLAQUE} mais je l'avais vendue
Véhicule {PLAQUE:old} : l'usager veut refaire la carte grise sur le site de l'[[ANTS]].
plaque {PLAQUE} flashée par un radar alors que j'étais en [[Italie]]
On m'a débité ma carte {CB} pour un timbre fiscal que je n'ai pas eu
Ma carte bancaire {CB} a été refusée sur le site de l'[[ANTS]].
J'habite au {ADRESSE} et je voudrais changer d'adresse auprès de la [[CAF]].
mon adresse c'est {ADRESSE:lower}
Nouvelle adresse : {ADRESSE}. Merci de mettre à jour mon dossier [[CPAM]].
Usager domicilié {ADRESSE}, orienté vers la [[MDPH]] du [[Rhône]].
je vis au {ADRESSE:street} depuis [[2019]] et le propriétaire refuse de faire les travaux
Je déménage du {ADRESSE:street} au {ADRESSE}, que dois-je faire ?
j'habite {ADRESSE:nonumber} à côté de la mairie
Je suis née le {DATE_NAISSANCE} à [[Lille]], quand puis-je partir à la retraite ?
né le {DATE_NAISSANCE} j'ai droit à l'[[ASPA]] ?
Date de naissance : {DATE_NAISSANCE}. Demande de [[Complémentaire santé solidaire]].
ma date de naissance est le {DATE_NAISSANCE} et la [[CNAV]] a fait une erreur
Bonjour Madame {NOM:last}, votre dossier a bien été transmis à la [[préfecture]].
M. {NOM:last} a appelé le [[3939]] ce matin sans réponse.
Mme {NOM} souhaite un rendez-vous à [[France Services]] de [[Laval]].
Monsieur {NOM:last} demande le [[cerfa 12100*02]].
madame {NOM:last_lower} de la [[mairie]] m'a dit d'écrire ici
Dossier suivi par Me {NOM:last}, avocat, pour le recours devant le [[tribunal administratif]].
Le Dr {NOM:last} m'a prescrit un arrêt de travail de 15 jours.
mon fils {NOM:first} a 17 ans, peut-il avoir le [[Pass Culture]] ?
Ma fille {NOM:first_lower} est en terminale et veut demander une bourse au [[CROUS]].
Bonjour, moi c'est {NOM:lower}, je cherche un logement social à [[Toulouse]].
mon nom est {NOM:lower} et j'attends ma carte de séjour depuis 6 mois à la [[préfecture]] de [[Bobigny]]
Cordialement, {NOM}
merci beaucoup bonne journée {NOM:lower}
Je soussigné {NOM}, demeurant {ADRESSE}, atteste sur l'honneur être hébergé à titre gratuit.
Bonjour, je suis {NOM} et je ne comprends pas le courrier de l'[[URSSAF]] reçu le [[12 mars 2024]].
{NOM} a rappelé pour son dossier [[MDPH]], à traiter avant le [[15 juin]].
Agent : j'ai reçu {NOM} à l'accueil, il demande une aide au [[CCAS]] de [[Nancy]].
Mon mari {NOM:first} est décédé le mois dernier, comment demander la pension de réversion ?
Ma mère {NOM} est en [[EHPAD]] et j'aimerais demander l'[[APA]] pour elle.
C'est pour ma voisine {NOM}, elle n'a pas internet et ne peut pas faire sa déclaration.
Bonjour je m'appelle {NOM:lower}, je suis né le {DATE_NAISSANCE}, mon numéro de sécu est {NIR}.
je m'appelle {NOM:lower} mon tel {TEL} mon mail {EMAIL} rappelez moi svp
Mme {NOM}, {ADRESSE}, tél {TEL}, NIR {NIR}.
Je m'appelle {NOM}, j'habite {ADRESSE} et mon IBAN est {IBAN:FR}.
Nom : {NOM:upper} / Tél : {TEL} / Mail : {EMAIL}
bjr jsuis {NOM:lower} g pas recu mon virement [[CAF]] alors que mon iban c {IBAN}
Monsieur {NOM}, né le {DATE_NAISSANCE}, demeurant {ADRESSE}, sollicite l'[[AAH]] auprès de la [[MDPH]].
Le conseiller {NOM} de [[France Travail]] m'a dit d'appeler le [[3949]].
Pouvez-vous transmettre à {NOM} ({EMAIL}) la liste des pièces pour le [[RSA]] ?
Ma fille {NOM} a perdu sa carte d'identité n° {CNI:new} à [[Paris]].
j'ai déménagé au {ADRESSE}, mon numéro allocataire {CAF}
Je suis {NOM}, identifiant France Travail {FRANCE_TRAVAIL}, téléphone {TEL}.
Bonjour, je suis artisan, SIRET {SIRET}, et mon comptable {NOM} m'a dit de vous écrire.
Propriétaire du véhicule {PLAQUE} : {NOM}, {ADRESSE}.
Mon épouse {NOM:first} et moi habitons au {ADRESSE:street}, nous voulons une aide de l'[[ANAH]].
appelle moi au {TEL} stp c'est urgent pour l'[[APL]]
Numéro de téléphone : {TEL}
tel portable {TEL} ou fixe {TEL:fixe}
mon numéro c'est le {TEL} mais je suis à la Réunion donc attention à l'heure
e-mail de contact : {EMAIL}
je n'ai plus accès à mon adresse {EMAIL} pour [[FranceConnect]]
""".strip().splitlines()

# --- no personal data: must-survive terms only (hard negatives) ----------------------------
NEGATIVES = """
Comment faire une demande de [[RSA]] auprès de la [[CAF]] ?
Quel est le numéro de [[France Travail]] ? On m'a dit le [[3949]].
J'ai appelé le [[39 39]] mais personne ne répond, que faire ?
En cas de danger appelez le [[17]] ou le [[112]].
Le [[3919]] est le numéro pour les femmes victimes de violences.
Le [[119]] c'est pour l'enfance en danger c'est bien ça ?
J'ai des idées noires, on m'a parlé du [[3114]].
Le [[115]] ne répond pas et je dors dehors à [[Marseille]].
Où trouver le formulaire [[cerfa 13750]] pour la carte grise ?
Le [[cerfa n°12100*02]] est-il toujours valable ?
Combien coûte un passeport à l'[[ANTS]] ? J'ai lu [[86 euros]].
Ma prime d'activité est passée de [[250 €]] à [[180 €]], pourquoi ?
Le montant du [[RSA]] est de [[635,71 euros]] pour une personne seule en [[2024]].
Je suis allocataire et je voudrais savoir si j'ai droit aux [[APL]].
La [[MDPH]] de [[Seine-Saint-Denis]] ne répond pas depuis [[janvier]].
Est-ce que le [[CROUS]] de [[Bordeaux]] verse les bourses le [[5 septembre]] ?
J'ai signalé un contenu illicite sur [[Pharos]], combien de temps pour une réponse ?
Comment créer mon compte [[Ameli]] sans carte Vitale ?
La [[DGFiP]] m'a envoyé un avis d'imposition pour [[2023]], je ne comprends pas.
Quelles sont les démarches à la [[préfecture]] de [[Lyon]] pour un titre de séjour ?
Je veux m'inscrire sur les listes électorales à la [[mairie]] de [[Nantes]].
L'[[URSSAF]] me réclame [[1 200 euros]] de cotisations, est-ce normal ?
Que dit l'[[article L. 262-2]] du [[Code de l'action sociale et des familles]] ?
La [[loi n° 2016-1321]] pour une République numérique s'applique-t-elle ?
Est-ce que l'[[article 1240]] du [[Code civil]] s'applique à mon voisin ?
Je suis à [[Pôle emploi]] depuis [[2022]], est-ce que c'est devenu [[France Travail]] ?
Où se trouve l'espace [[France Services]] le plus proche de [[Quimper]] ?
Je pars vivre au [[Canada]], que faire de mon dossier [[CPAM]] ?
J'ai travaillé en [[Allemagne]] et en [[Belgique]], comment calculer ma retraite ?
Ma fille étudie en [[Espagne]], a-t-elle droit à la carte européenne d'assurance maladie ?
Les allocations familiales sont versées le [[5 du mois]] par la [[CAF]].
Depuis le [[1er janvier 2025]] le montant a changé ?
Mon rendez-vous à la [[préfecture]] est le [[14/02/2025]] à [[9h30]].
J'habite en [[Île-de-France]], quelle aide pour le passe Navigo ?
Le conseil départemental du [[Nord]] gère l'[[APA]] ?
La [[MSA]] est-elle compétente pour les salariés agricoles en [[Bretagne]] ?
Je suis en [[Guadeloupe]], les délais de la [[CAF]] sont-ils plus longs ?
J'ai reçu un SMS de l'[[Assurance maladie]] me demandant mes coordonnées bancaires, est-ce une arnaque ?
Combien de temps pour obtenir une carte d'identité à [[Toulouse]] ?
Quels documents pour un passeport en [[mairie]] ? Il faut une photo de moins de [[6 mois]].
Ma voiture est en fourrière à [[Lille]], les frais sont de [[150 euros]] ?
Le numéro vert [[0 800 130 000]] est-il gratuit ?
Le service public répond au [[39 39]] du lundi au vendredi de [[8h30]] à [[18h]].
Pour [[Allô Service Public]], composez le [[3939]].
La [[CNIL]] peut-elle m'aider si un site garde mes données ?
Je voudrais contester une amende de l'[[ANTAI]] de [[135 euros]].
Les impôts prélèvent [[10 %]] de mon salaire depuis [[octobre 2024]].
Bonjour, j'aimerais savoir comment renouveler ma carte de séjour.
Merci pour votre réponse, bonne journée !
je comprends rien au formulaire aidez moi svp
Est-ce que vous pouvez m'expliquer la différence entre l'[[ASPA]] et l'[[AAH]] ?
Le [[décret n° 2023-1234]] a-t-il modifié le calcul ?
Quelle est l'adresse de la [[CAF]] de [[Rennes]] ?
Je suis retraité depuis [[2020]] et je vis en [[Italie]].
Où déposer le [[cerfa 15186*03]] pour la demande d'[[AAH]] ?
La [[CPAM]] du [[Val-de-Marne]] est fermée le jeudi après-midi.
C'est quoi le [[3646]] ? C'est bien l'[[Assurance maladie]] ?
Il faut appeler le [[3230]] pour la [[CAF]] ?
Mon [[RIB]] doit-il être au nom des deux parents ?
Le [[Défenseur des droits]] peut-il intervenir contre la [[préfecture]] ?
Pour la rentrée de [[septembre 2025]], quand demander l'allocation de rentrée scolaire ?
Est-ce que [[France Travail]] rembourse les frais de transport pour un entretien à [[Paris]] ?
La [[Banque de France]] peut-elle m'aider pour un dossier de surendettement ?
j'ai 3 enfants de 4, 7 et 12 ans, combien je touche d'allocations ?
Mon loyer est de [[620 euros]] et je gagne [[1 450 euros]] par mois.
Le bâtiment B de la résidence a des moisissures, qui contacter ?
La rue est bloquée par les travaux depuis une semaine, la [[mairie]] ne fait rien.
Le [[tribunal judiciaire]] de [[Créteil]] m'a convoqué le [[3 avril]].
Est-ce que la [[PMI]] fait les vaccins gratuitement ?
Je veux déclarer la naissance de mon bébé à la [[mairie]], j'ai combien de jours ? [[5 jours]] ?
La [[Sécurité sociale]] rembourse-t-elle les lunettes à [[100 %]] ?
Un conseiller de [[France Travail]] à [[Saint-Denis]] m'a donné rendez-vous.
Puis-je payer mes impôts en [[3 fois]] ?
""".strip().splitlines()


# --- free-form messages, written one by one: {{TYPE|value}} marks a fixed fictional value --
FREE = r"""
slt jsuis {{NOM|kevin lebrun}} g besoin d'aide pr mon dossier [[caf]] svp
Bonjour,\nJe me permets de vous écrire au sujet de ma fille {{NOM|Inès}} qui doit passer son permis.\nCordialement,\n{{NOM|Sabrina Hadjadj}}
bonjour madame {{NOM|lecomte}} je vous ai appeler hier pour les [[apl]] mais personne
Je vous transmets les coordonnées de {{NOM|M. Olivier Brunel}}, il habite {{ADRESSE|4 impasse des Mésanges, 35700 Rennes}}.
L'assistante sociale {{NOM|Mme Catherine Vasseur}} m'a orienté vers vous.
mon ex mari {{NOM|rachid}} ne paie plus la pension alimentaire, la [[caf]] peut faire quoi ?
{{NOM|Dupuis Gérard}}, 74 ans, veuf, demande l'[[ASPA]]. Adresse : {{ADRESSE|18 rue du Four 29200 Brest}}.
jhabite {{ADRESSE|27 rue de la paix}} a [[nancy]] et mon proprio veut pas rendre la caution
bonjour mon mari {{NOM|Stéphane}} est hospitalisé et je dois remplir la demande pour la [[CPAM]]
Je suis {{NOM|Hélène Marchetti}}, j'ai rendez-vous le [[4 juin]] à la [[préfecture]] pour mon titre de séjour.
c'est {{NOM|Yasmina}} je vous ai écrit hier
Merci de répondre à ma compagne {{NOM|Laetitia}}, elle s'occupe du dossier.
A l'attention de {{NOM|Monsieur Jacques Ferrand}}, service urbanisme de la [[mairie]].
Nom de famille : {{NOM|Abdallah}}\nPrénom : {{NOM|Samir}}\nNé le {{DATE_NAISSANCE|02/11/1988}}
je suis {{NOM|jean-luc petitjean}} et je touche le [[RSA]] depuis [[2020]]
Bonjour, je m'appelle {{NOM|Aurélien}} et j'ai 19 ans, je voudrais une aide pour passer mon permis.
De la part de {{NOM|Mme Rolland}} : merci de rappeler l'usager au {{TEL|06 45 12 78 90}}.
rappelez moi au {{TEL|07.81.22.45.09}} svp je suis dispo apres 17h
mon portable c {{TEL|0758963214}}
Tél. domicile : {{TEL|02 97 45 12 33}} ; portable : {{TEL|+33 7 12 45 88 10}}.
Contact : {{EMAIL|m.benhamou@laposte.net}} — merci de ne pas appeler le [[3939]].
je vous envoie un mail depuis {{EMAIL|kevin.lebrun93@hotmail.fr}}
{{EMAIL|famille.rossi@free.fr}} c'est l'adresse de mon père pour le dossier [[MDPH]]
Je suis né le {{DATE_NAISSANCE|5 avril 1957}} à [[Oran]] ([[Algérie]]), comment obtenir ma retraite ?
date de naissance {{DATE_NAISSANCE|14/07/1999}}, je suis étudiant boursier du [[CROUS]]
Né(e) le : {{DATE_NAISSANCE|30/09/1962}}
L'usager réside au {{ADRESSE|5 bis chemin des Vignes, 84000 Avignon}} depuis [[2015]].
Adresse actuelle : {{ADRESSE|Résidence Les Pins, 2 allée Camille Claudel 31400 Toulouse}}
le logement au {{ADRESSE|11 rue Saint-Michel}} est insalubre, la [[mairie]] peut agir ?
Le colis a été livré au {{ADRESSE|140 avenue Jean Médecin, 06000 Nice}} au lieu de chez moi.
Vous pouvez m'écrire au {{ADRESSE|3 place du Marché 59800 Lille}}.
Je m'appelle {{NOM|Nadège Fontaine}} et j'habite au {{ADRESSE|9 rue des Fleurs}} à [[Dijon]].
Bonjour Monsieur, je suis la fille de {{NOM|Mme Paulette Girard}} et je gère ses papiers.
{{NOM|M. et Mme Lopez}} demandent une aide au logement pour leur fils.
Mme {{NOM|Nguyen Thi Hoa}} ne parle pas bien français, elle vient avec son fils {{NOM|Minh}}.
bonjour je suis {{NOM|fatoumata keita}} je voudrais faire venir mes enfants du [[Mali]]
j'ai un rdv avec {{NOM|Mr Hamidi}} de [[France Travail]] le [[12 mai]]
Signé : {{NOM|Christophe Lemaire}}
Bien à vous, {{NOM|Éric Vallée}}
bonne journée, {{NOM|Josiane}}
Le dossier de {{NOM|Mlle Sarah Cohen}} est complet.
Bonjour {{NOM|Emma}}, votre demande a été enregistrée.
Est-ce que {{NOM|Lucie Marchal}} peut venir à ma place au rendez-vous [[France Services]] ?
Il faut envoyer le [[cerfa 11423]] à la [[préfecture]] de [[Haute-Garonne]] avant le [[30 juin]].
j'ai appelé le [[3646]] et on m'a dit d'envoyer un courrier à la [[CPAM]] de [[Créteil]]
Mon avis d'imposition [[2024]] indique [[1 830 €]] à payer, c'est une erreur ?
La [[CAF]] du [[Nord]] a suspendu mes droits le [[1er mars]].
le numero de la [[caf]] c'est bien le [[3230]] ?
J'ai déposé ma demande de logement social en [[2019]] à [[Montreuil]], toujours rien.
Est-ce que la [[MDPH]] accepte les certificats médicaux de plus de [[6 mois]] ?
Mon loyer de [[540 euros]] est-il éligible à l'[[APL]] à [[Poitiers]] ?
Je vis en [[Martinique]] et je voudrais m'inscrire à [[France Travail]].
La [[préfecture]] de [[Seine-Saint-Denis]] ne donne plus de rendez-vous.
Pourquoi la [[DGFiP]] me demande-t-elle une déclaration [[2042]] ?
Que faire si l'[[URSSAF]] ne répond pas depuis [[3 semaines]] ?
J'ai été victime d'une arnaque sur internet, dois-je aller à la [[gendarmerie]] ou sur [[Pharos]] ?
Mon enfant est né à [[Bruxelles]], comment le déclarer en [[France]] ?
Bonjour, je suis en arrêt maladie depuis le [[2 octobre]], mon n° de sécu : {NIR}. Merci.
Objet : changement de RIB\nMadame, Monsieur,\nVeuillez trouver mon nouvel IBAN : {IBAN:FR}.\n{NOM}
ALERTE : quelqu'un a utilisé ma carte {CB} sur un faux site [[ANTS]]
mon fils de [[16 ans]] {{NOM|Théo}} veut travailler cet été, faut-il une autorisation ?
Mme {{NOM|Garcia}} ({TEL}) attend un retour de la [[CPAM]] depuis [[3 semaines]].
M. {{NOM|Bertrand}}, SIRET {SIRET}, conteste la taxation d'office de la [[DGFiP]].
le garage m'a donné la carte grise de la {PLAQUE} mais elle est au nom de l'ancien propriétaire
Passeport : {PASSEPORT} — date d'expiration : [[12/08/2031]]
ma carte nationale d'identité ({CNI:new}) a été volée à [[Lyon]], j'ai porté plainte
numéro d'allocataire : {CAF} / identifiant France Travail : {FRANCE_TRAVAIL}
Je suis {{NOM|Amélie Roche}}, née le {{DATE_NAISSANCE|17 février 1991}}, joignable au {TEL}.
le [[17]] m'a dit d'appeler le [[3919]] pour ma soeur
Le code postal de la [[mairie]] est [[75011]] ?
Ma demande n° [[2024-0012345]] est en attente depuis le [[06/12/2024]].
Je travaille de [[9h]] à [[17h]] du lundi au vendredi, [[35 heures]] par semaine.
Le bâtiment [[C]] de ma résidence n'a plus d'ascenseur depuis [[2 mois]].
J'ai payé [[1 250,00 €]] le [[15/01/2025]] mais l'[[URSSAF]] dit ne rien avoir reçu.
L'[[article R. 351-1]] du [[Code de la sécurité sociale]] fixe l'âge de départ.
Envoyez-moi le [[cerfa 14011*03]] à l'adresse indiquée sur le site.
Je dois renouveler mon titre de séjour à la [[préfecture]] du [[Val-d'Oise]] avant le [[28 février]].
écrire à {{EMAIL|contact.famille-dubreuil@orange.fr}} ou appeler {{TEL|09 72 14 58 36}}
Pour joindre mon assistante sociale {{NOM|Mme Benoît}} : {{TEL|01 48 96 22 70}}.
Mon père {{NOM|Ahmed}} a travaillé en [[France]] de [[1975]] à [[2010]], comment récupérer ses trimestres ?
Je suis {{NOM|Lina Bouzid}}, 22 ans, étudiante à [[Grenoble]], et j'ai perdu ma carte Vitale.
Monsieur {{NOM|DELMAS}} Patrick est passé à l'accueil ce matin.
Rendez-vous pris pour {{NOM|Mme Aline Perret}} le [[12 juin]] à [[14h]].
je m appel {{NOM|nadia ziani}} et jai besoin dun logement d'urgence
Mon compte [[Ameli]] est bloqué, mon adresse mail {EMAIL} ne reçoit rien.
""".strip().splitlines()


def fill(template: str) -> tuple[str, list[dict], list[str]]:
    text = ""
    entities: list[dict] = []
    survive: list[str] = []
    template = template.replace("\\n", "\n")
    for token in re.split(
        r"(\{\{[A-Z_]+\|.+?\}\}|\{[A-Z_]+(?::[a-zA-Z_]+)?\}|\[\[.+?\]\])", template
    ):
        if token.startswith("{{"):
            kind, _, value = token[2:-2].partition("|")
            # A title before a name is kept in the text; only the name is personal.
            title = re.match(r"(?:M\.|Mme|Mlle|Mr|Monsieur|Madame) (?:et Mme )?", value)
            if title and kind == "NOM":
                text += value[: title.end()]
                value = value[title.end() :]
            entities.append({"type": kind, "start": len(text), "end": len(text) + len(value)})
            text += value
        elif token.startswith("{"):
            kind, _, variant = token[1:-1].partition(":")
            value = GENERATORS[kind](variant)
            entities.append({"type": kind, "start": len(text), "end": len(text) + len(value)})
            text += value
        elif token.startswith("[["):
            term = token[2:-2]
            survive.append(term)
            text += term
        else:
            text += token
    return text, entities, survive


def main() -> None:
    lines = []
    for index, template in enumerate(TEMPLATES):
        copies = 3 if "{" in template else 1
        for copy in range(copies):
            text, entities, survive = fill(template)
            lines.append(
                {
                    "id": f"pii-{index:03d}-{copy}",
                    "text": text,
                    "entities": entities,
                    "must_survive": survive,
                }
            )
    for index, template in enumerate(NEGATIVES):
        text, entities, survive = fill(template)
        lines.append(
            {"id": f"neg-{index:03d}", "text": text, "entities": entities, "must_survive": survive}
        )
    for index, template in enumerate(FREE):
        text, entities, survive = fill(template)
        lines.append(
            {"id": f"free-{index:03d}", "text": text, "entities": entities, "must_survive": survive}
        )
    with OUT.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} messages to {OUT}")


if __name__ == "__main__":
    main()
