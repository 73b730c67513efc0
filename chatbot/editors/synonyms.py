"""Administrative French said in other words: paraphrases that share no word.

Offline grouping compares words; "tapage nocturne" and "nuisances sonores" share none, and
the word vectors place them only loosely together. This table names, for common public-service
subjects, the everyday or technical words and acronyms citizens use, and the one word they are
about. A question that holds one of them gets that word added before it is embedded, so two
paraphrases meet on it. General administrative vocabulary written by hand (service-public.fr's
themes), not taken from an evaluation set; one line per subject, ``word: variant | variant``,
variants written folded (lower case, no accent, apostrophes as spaces; long lines go on indented
with "|"), a trailing "s" or "x" is matched too (four letters or more).
"""

from __future__ import annotations

import re
from functools import lru_cache

from chatbot.knowledge.text import fold

TABLE = """
bruit: tapage | nuisance sonore | nuisances sonores | vacarme | tapage nocturne | boucan
    | tintamarre
dechet: ordure | ordures | poubelle | encombrant | encombrants | dechetterie | decheterie
    | tri selectif | collecte des dechets | recyclage | compost | teom
logement social: hlm | habitation a loyer modere | office hlm | bailleur social | logement aide
    | sne
handicap: mdph | cmi | carte mobilite inclusion | invalidite | aah | handicape | handicapee
    | handicapes | personne a mobilite reduite | pmr | rqth
stationnement: se garer | garer | parking | place de parking | macaron | carte de stationnement
    | stationner
pollution: crit air | critair | vignette pollution | pastille | pastille verte | zfe
    | zone a faibles emissions | qualite de l air | antipollution | anti pollution
    | circulation differenciee
nationalite: cnf | certificat de nationalite | naturalisation | francais de naissance
    | nationalite francaise
divorce: separation | separer | se separer | divorcer | divorcee
    | divorce par consentement mutuel | rupture du mariage | pension alimentaire
    | garde alternee
succession: heritage | heriter | herite | heritier | heritiers | defunt | deces | decede
    | decedee | notaire | testament | leg | legs | donation | droits de succession
adoption: adopter | adoptif | adoptive | agrement d adoption | pupille de l etat | kafala
ecole: scolaire | scolarite | maternelle | primaire | college | lycee | petite section | rentree
    | eleve | carte scolaire | secteur scolaire | instruction en famille
cantine: restauration scolaire | repas scolaire | demi pension | self | periscolaire
    | cantine scolaire
chasse: chasser | chasseur | permis de chasser | federation des chasseurs | gibier
peche: pecher | pecheur | carte de peche | aappma | canne a peche
bateau: plaisance | navigation | naviguer | permis cotier | permis fluvial | hauturier | voilier
    | jet ski | scooter des mers | embarcation
chien: chiens | pitbull | rottweiler | chien dangereux | chien de categorie | muselier
    | museliere | canin | fourriere | chat | animal | animaux
impot: impots | fisc | fiscal | taxe | taxes | impot sur le revenu | avis d imposition
    | declaration de revenus | prelevement a la source | tresor public | sip | exoneration
    | degrevement
foncier: taxe fonciere | fonciere | cadastre | proprietaire | propriete | terrain
    | bien immobilier
habitation: taxe d habitation | residence secondaire | logement vacant
volontariat: service civique | volontaire | engagement civique | mission d interet general | snu
    | service national universel | benevolat | benevole
retraite: pension de retraite | retraite | depart a la retraite | carsat | trimestres
    | age legal | retraite anticipee | minimum vieillesse | aspa
chomage: france travail | pole emploi | allocation chomage | are | demandeur d emploi
    | perte d emploi | licenciement | rupture conventionnelle | indemnisation chomage
emploi: travail | salarie | employeur | contrat de travail | cdd | cdi | interim | embauche
    | boulot
sante: medecin | maladie | hopital | soins | carte vitale | assurance maladie | cpam | ameli
    | mutuelle | complementaire sante | css | remboursement de soins
arret maladie: arret de travail | arret maladie | indemnites journalieres | ij
famille: caf | allocations familiales | prestations familiales | paje | naissance
    | enfant a charge | quotient familial
aide logement: apl | als | alf | aide au logement | allocation logement
loyer: bail | locataire | bailleur | proprietaire bailleur | caution | depot de garantie
    | etat des lieux | expulsion | preavis
identite: carte d identite | cni | carte nationale d identite | passeport | titre d identite
    | piece d identite
sejour: titre de sejour | carte de sejour | prefecture | visa | etranger | etrangers | ofii
    | recepisse | naturalise
vehicule: voiture | auto | automobile | carte grise | certificat d immatriculation
    | immatriculation | vehicule | moto | scooter | diesel | essence
permis de conduire: permis de conduire | auto ecole | code de la route | points du permis
    | retrait de permis | suspension de permis
amende: contravention | pv | proces verbal | amende forfaitaire | antai | radar
    | exces de vitesse
justice: tribunal | juge | avocat | aide juridictionnelle | plainte | greffe | proces
    | prud hommes | mediateur | conciliateur
police: gendarmerie | commissariat | porter plainte | main courante | vol | cambriolage
    | agression
mariage: se marier | marier | pacs | pacser | union civile | concubinage | conjoint | epoux
    | epouse | mari | femme
etat civil: acte de naissance | acte de mariage | acte de deces | livret de famille
    | changement de nom | changement de prenom
urbanisme: permis de construire | declaration prealable | travaux | plu | cadastre
    | agrandissement | extension | cloture | abri de jardin | piscine
energie: electricite | gaz | cheque energie | chauffage | facture d energie
    | renovation energetique | maprimerenov | isolation
eau: facture d eau | compteur d eau | assainissement | fuite d eau
vote: elections | election | liste electorale | listes electorales | voter | procuration
    | bureau de vote
etudes: etudiant | etudiante | bourse | crous | universite | parcoursup | diplome
    | baccalaureat | apprentissage | alternance
jeunesse: mineur | mineure | adolescent | jeune | jeunes | moins de 18 ans
voisinage: voisin | voisins | voisine | voisinage | mitoyen | copropriete | syndic
    | trouble de voisinage | troubles du voisinage
transport: bus | train | sncf | metro | transports en commun | abonnement de transport | navigo
consommation: arnaque | escroquerie | litige | remboursement | retractation | garantie
    | reclamation | dgccrf | signal conso
numerique: franceconnect | mot de passe | compte en ligne | identifiant | espace personnel
    | ants
garde d enfant: creche | assistante maternelle | assistant maternel | nounou | halte garderie
    | mode de garde | garde d enfants | micro creche | cmg | complement de libre choix
tutelle: curatelle | sauvegarde de justice | mesure de protection | habilitation familiale
    | mandat de protection future | majeur protege | tuteur | curateur
surendettement: dettes | dette | endettement | credit a la consommation | banque de france
    | commission de surendettement | fichage bancaire | ficp | interdit bancaire | huissier
    | commissaire de justice | saisie sur salaire
dependance: ehpad | maison de retraite | apa | allocation personnalisee d autonomie
    | aide a domicile | auxiliaire de vie | perte d autonomie | aidant | aidant familial
    | personne agee
obseques: enterrement | funerailles | inhumation | cremation | concession funeraire | cimetiere
    | pompes funebres | urne funeraire
entreprise: auto entrepreneur | autoentrepreneur | micro entreprise | microentreprise | siret
    | siren | urssaf | creer une entreprise | creation d entreprise | kbis | registre du commerce
    | sarl
    | sas | eurl | independant | freelance
location meublee: airbnb | location saisonniere | meuble de tourisme | chambre d hote | gite
    | location de courte duree
arbre: arbres | haie | haies | elagage | elaguer | branches | plantation | racines
fourriere: enlevement de vehicule | mise en fourriere | vehicule enleve | voiture enlevee
vehicule hors d usage: epave | vehicule abandonne | voiture ventouse | casse auto
controle technique: controle technique | contre visite | centre de controle
assurance: assureur | sinistre | constat amiable | franchise | indemnisation | bris de glace
    | degat des eaux | degats des eaux | responsabilite civile | multirisque
accident: accident de la route | accident de voiture | collision | accrochage | blesse | blessure
accident du travail: at mp | maladie professionnelle | accident de trajet | accident du travail
vaccination: vaccin | vaccins | vacciner | vaccinal | carnet de vaccination | rappel de vaccin
    | carnet de sante
violence: violences conjugales | violence conjugale | maltraitance | harcelement | harcele
    | harcelee | menace | menaces | coups | 3919 | femme battue | cyberharcelement
parentalite: conge parental | conge de naissance | reconnaissance de paternite
    | reconnaitre un enfant | autorite parentale | filiation | garde des enfants
nom: changement de nom | nom d usage | nom de famille | changer de nom | porter le nom
    | double nom
jury: jure | jures | cour d assises | jury d assises | tirage au sort
defense: jdc | journee defense et citoyennete | journee d appel | armee | militaire
    | reserviste | service militaire | engagement militaire
arme: armes | fusil | carabine | detention d arme | port d arme | sia | armurier
drone: drones | telepilote | aeronef | survol | alphatango
association: associations | association loi 1901 | loi 1901 | statuts | rna | subvention
    | assemblee generale | bureau de l association
brocante: vide grenier | vide greniers | brocantes | marche aux puces | videgrenier | braderie
    | deballage
debit de boissons: licence iv | licence 4 | debit de boisson | bar | buvette | permis d exploitation
    | alcool | vente d alcool
stage: stagiaire | gratification | convention de stage | stages
transport scolaire: car scolaire | ramassage scolaire | bus scolaire | carte de transport scolaire
handicap enfant: aeeh | allocation d education de l enfant handicape | aesh | avs
    | auxiliaire de vie scolaire | pps | ulis
banque: compte bancaire | compte en banque | droit au compte | livret a | carte bancaire | cheque
    | cheques | decouvert | frais bancaires | fraude a la carte
don: don du sang | donner son sang | don d organes | don de moelle | efs | donneur
cimetiere: tombe | caveau | sepulture | columbarium
animal perdu: chat perdu | chien perdu | animal perdu | puce electronique
    | tatouage | icad | puce | pucer
eau potable: eau du robinet | coupure d eau | eau potable | qualite de l eau
copropriete: syndic de copropriete | charges de copropriete | assemblee generale de copropriete
    | coproprietaire | coproprietaires | reglement de copropriete
""".strip()


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], dict[str, str]]:
    concept_of: dict[str, str] = {}
    # A subject starts a line ("word:"); its variants may go on over indented lines.
    for entry in re.split(r"\n(?=\S)", TABLE):
        concept, _, variants = entry.partition(":")
        for variant in variants.split("|"):
            variant = " ".join(fold(variant).split())
            if variant:
                concept_of.setdefault(variant, concept.strip())
    # Longest variants first, so "taxe fonciere" wins over "taxe".
    alternatives = sorted(concept_of, key=len, reverse=True)
    # Words may be split by spaces or hyphens ("vide-grenier"); a plural "s"/"x" is allowed
    # after variants of four letters or more only ("plu" must not match "plus").
    pattern = re.compile(
        r"\b("
        + "|".join(
            re.escape(v).replace(r"\ ", r"[\s\-]+") + ("[sx]?" if len(v) >= 4 else "")
            for v in alternatives
        )
        + r")\b"
    )
    return pattern, concept_of


def concepts(text: str) -> list[str]:
    """The subjects named in a text (folded words), in order, once each."""
    pattern, concept_of = _patterns()
    found: dict[str, None] = {}
    for match in pattern.finditer(fold(text)):
        key = " ".join(match.group(1).replace("-", " ").split())
        concept = concept_of.get(key) or concept_of.get(key[:-1])  # plural
        if concept:
            found.setdefault(concept, None)
    return list(found)


def with_concepts(text: str) -> str:
    """The text followed by the subjects it names in other words."""
    named = concepts(text)
    return f"{text} {' '.join(named)}" if named else text
