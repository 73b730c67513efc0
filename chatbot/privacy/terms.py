"""Word lists the gate relies on: terms that must survive, and first names.

Hand-written on purpose (nothing is downloaded). Operators extend the must-survive list
with ``GUICHET_PRIVACY_ALLOW_LIST``.
"""

from __future__ import annotations

ADMINISTRATIONS = """
CAF, CPAM, CNAF, CNAM, CNAV, CARSAT, DGFiP, DGFIP, ANTS, URSSAF, France Travail, Pôle emploi,
Pole emploi, MDPH, CROUS, Pharos, France Services, France Service, Ameli, MSA, préfecture,
sous-préfecture, mairie, Assurance maladie, Assurance retraite, Sécurité sociale, impots.gouv.fr,
impots.gouv, service-public.fr, Service Public, ameli.fr, caf.fr, ANAH, ADIL, CCAS, CMP, PMI,
Trésor public, Défenseur des droits, Cnil, CNIL, ARS, DREETS, DDETS, Agirc-Arrco, AGIRC, ARRCO,
La Poste, Banque de France, OFII, OFPRA, CNDA, Cour des comptes, Conseil d'État, Pass Culture,
Mon Compte Formation, Parcoursup, FranceConnect, France Connect, Ma Prime Rénov, MaPrimeRénov,
Info Retraite, info-retraite.fr, Lassurance retraite, Santé publique France, Education nationale,
Éducation nationale, Conseil départemental, Conseil régional, tribunal judiciaire,
tribunal administratif, conseil de prud'hommes, gendarmerie, police nationale, commissariat,
RSA, APL, ALS, ALF, AAH, ASPA, PCH, AEEH, CSS, C2S, CMU, PUMa, RIB, NIR, SIRET, SIREN,
Complémentaire santé solidaire, prime d'activité, allocations familiales, Allô Service Public,
Allo Service Public, ANTAI, Europe, Union européenne, État, Etat, République,
Guichet, Pacs, PACS, carte Vitale, Vitale, Navigo,
Légifrance, Legifrance, Journal officiel, Dossier Facile, DossierFacile, Démarches simplifiées,
prime de Noël, prime de noël, à Noël, avant Noël, après Noël, Pâques, lundi de Pâques, Pentecôte,
lundi de Pentecôte, Toussaint, jour de l'an, Ascension, logo Marianne, avec Marianne,
prime Ségur, Ségur de la santé, complément de traitement indiciaire
"""

SERVICE_NUMBERS = """
39 39, 3939, 3646, 3230, 3960, 3949, 3995, 3919, 3114, 3977, 3018, 3020, 3624, 3237, 3117,
119, 115, 114, 112, 116 000, 116000, 116 006, 15, 17, 18, 196, 191, 197
"""

REGIONS = """
Auvergne-Rhône-Alpes, Bourgogne-Franche-Comté, Bretagne, Centre-Val de Loire, Corse,
Grand Est, Hauts-de-France, Île-de-France, Ile-de-France, Normandie, Nouvelle-Aquitaine,
Occitanie, Pays de la Loire, Provence-Alpes-Côte d'Azur, PACA, Guadeloupe, Martinique, Guyane,
La Réunion, Réunion, Mayotte, Nouvelle-Calédonie, Polynésie française, Saint-Pierre-et-Miquelon,
Wallis-et-Futuna, Saint-Barthélemy, Saint-Martin, Alsace, Lorraine, Provence, Savoie
"""

DEPARTMENTS = """
Ain, Aisne, Allier, Alpes-de-Haute-Provence, Hautes-Alpes, Alpes-Maritimes, Ardèche, Ardennes,
Ariège, Aube, Aude, Aveyron, Bouches-du-Rhône, Calvados, Cantal, Charente, Charente-Maritime,
Cher, Corrèze, Corse-du-Sud, Haute-Corse, Côte-d'Or, Côtes-d'Armor, Creuse, Dordogne, Doubs,
Drôme, Eure, Eure-et-Loir, Finistère, Gard, Haute-Garonne, Gers, Gironde, Hérault,
Ille-et-Vilaine, Indre, Indre-et-Loire, Isère, Jura, Landes, Loir-et-Cher, Loire, Haute-Loire,
Loire-Atlantique, Loiret, Lot, Lot-et-Garonne, Lozère, Maine-et-Loire, Manche, Marne,
Haute-Marne, Mayenne, Meurthe-et-Moselle, Meuse, Morbihan, Moselle, Nièvre, Nord, Oise, Orne,
Pas-de-Calais, Puy-de-Dôme, Pyrénées-Atlantiques, Hautes-Pyrénées, Pyrénées-Orientales,
Bas-Rhin, Haut-Rhin, Rhône, Haute-Saône, Saône-et-Loire, Sarthe, Haute-Savoie, Paris,
Seine-Maritime, Seine-et-Marne, Yvelines, Deux-Sèvres, Somme, Tarn, Tarn-et-Garonne, Var,
Vaucluse, Vendée, Vienne, Haute-Vienne, Vosges, Yonne, Territoire de Belfort, Essonne,
Hauts-de-Seine, Seine-Saint-Denis, Val-de-Marne, Val-d'Oise
"""

CITIES = """
Paris, Marseille, Lyon, Toulouse, Nice, Nantes, Montpellier, Strasbourg, Bordeaux, Lille,
Rennes, Reims, Toulon, Saint-Étienne, Saint-Etienne, Le Havre, Grenoble, Dijon, Angers, Nîmes,
Villeurbanne, Clermont-Ferrand, Le Mans, Aix-en-Provence, Brest, Tours, Amiens, Limoges,
Annecy, Perpignan, Boulogne-Billancourt, Metz, Besançon, Orléans, Saint-Denis, Argenteuil,
Rouen, Mulhouse, Montreuil, Caen, Nancy, Saint-Paul, Roubaix, Tourcoing, Nanterre,
Vitry-sur-Seine, Avignon, Créteil, Poitiers, Aubervilliers, Versailles, Colombes, Asnières,
Aulnay-sous-Bois, Courbevoie, Rueil-Malmaison, Pau, La Rochelle, Calais, Cannes, Antibes,
Dunkerque, Ajaccio, Bastia, Béziers, Bourges, Cayenne, Fort-de-France, Pointe-à-Pitre,
Saint-Pierre, Le Tampon, Mamoudzou, Nouméa, Papeete, Quimper, Valence, Troyes, Chambéry,
Lorient, Niort, Vannes, Saint-Malo, Saint-Nazaire, Colmar, Belfort, Chartres, Évry, Evry,
Cergy, Bobigny, Pontoise, Melun, Meaux, Laval, Cholet, Blois, Châteauroux, Angoulême, Agen,
Albi, Tarbes, Bayonne, Biarritz, Carcassonne, Narbonne, Sète, Arles, Gap, Digne-les-Bains,
Charleville-Mézières, Épinal, Epinal, Vesoul, Auxerre, Nevers, Mâcon, Bourg-en-Bresse,
Roanne, Vichy, Aurillac, Rodez, Cahors, Montauban, Auch, Foix, Mende, Privas, Guéret, Tulle,
Périgueux, Mont-de-Marsan, Saintes, Cognac, La Roche-sur-Yon, Alençon, Évreux, Evreux,
Saint-Lô, Cherbourg, Beauvais, Compiègne, Soissons, Laon, Saint-Quentin, Arras, Lens, Douai,
Valenciennes, Maubeuge, Boulogne-sur-Mer, Thionville, Verdun, Bar-le-Duc, Chaumont,
Châlons-en-Champagne, Lons-le-Saunier, Montbéliard, Sarcelles, Vincennes, Ivry-sur-Seine
"""

COUNTRIES = """
France, Allemagne, Belgique, Suisse, Luxembourg, Italie, Espagne, Portugal, Royaume-Uni,
Angleterre, Irlande, Pays-Bas, Autriche, Pologne, Roumanie, Bulgarie, Grèce, Suède, Norvège,
Danemark, Finlande, Hongrie, Croatie, Slovénie, Slovaquie, Tchéquie, République tchèque,
Lituanie, Lettonie, Estonie, Chypre, Malte, Monaco, Andorre, Maroc, Algérie, Tunisie,
Sénégal, Mali, Côte d'Ivoire, Cameroun, Congo, Madagascar, Comores, Haïti, Turquie, Chine,
Japon, Inde, Vietnam, Canada, Québec, États-Unis, Etats-Unis, Brésil, Mexique, Ukraine,
Russie, Syrie, Afghanistan, Liban, Égypte, Egypte, Israël, Australie, Argentine, Colombie
"""

LAW_WORDS = """
Code civil, Code du travail, Code de la sécurité sociale, Code général des impôts,
Code de l'action sociale et des familles, Code pénal, Code de la route, RGPD, loi, décret,
arrêté, article, circulaire, cerfa, Cerfa, CERFA
"""

# Common French first names, lower case: lets the gate catch names typed in lower case
# ("je suis marie durand") where spaCy, trained on edited text, does not see them.
FIRST_NAMES = """
jean pierre michel andré philippe alain bernard jacques daniel christian patrick nicolas
françois francois henri louis paul marcel claude rené rene gérard gerard robert roger thomas
julien david stéphane stephane christophe sébastien sebastien frédéric frederic laurent
olivier eric éric pascal thierry vincent antoine maxime alexandre romain guillaume kevin
kévin jérôme jerome mathieu matthieu florian anthony julien cédric cedric fabrice franck
sylvain arnaud benjamin hugo lucas léo leo gabriel raphaël raphael arthur jules adam louis
nathan ethan noah mohamed mohammed ahmed ali karim mehdi yanis rayan samir youssef omar
bruno didier dominique serge yves gilles joël joel hervé herve denis georges guy jacky
marc luc lucien émile emile gaston raymond maurice albert fernand roland jean-pierre
jean-paul jean-claude jean-luc jean-marc jean-michel jean-françois jean-louis jean-jacques
marie jeanne françoise francoise monique catherine nathalie isabelle sylvie christine
martine anne valérie valerie sandrine stéphanie stephanie véronique veronique sophie
céline celine chantal nicole patricia caroline laurence julie aurélie aurelie émilie emilie
camille léa lea manon chloé chloe emma inès ines jade louise alice lina léna lena sarah
sara laura pauline marion lucie claire hélène helene élodie elodie audrey mélanie melanie
virginie delphine karine corinne brigitte danielle denise suzanne simone germaine yvette
josette ginette odette madeleine jacqueline colette paulette andrée andree annie christiane
mireille josiane nadine agnès agnes béatrice beatrice florence charlotte juliette zoé zoe
fatima fatou aïcha aicha amina nadia samia yasmine leïla leila myriam mariam khadija
océane oceane margaux anaïs anais clémence clemence justine mathilde elise élise eva
marine morgane noémie noemie ophélie ophelie estelle gaëlle gaelle solène solene lucille
anne-marie marie-claude marie-christine marie-france marie-thérèse marie-laure
"""


def split_terms(block: str) -> list[str]:
    return [term.strip() for term in block.replace("\n", " ").split(",") if term.strip()]


def builtin_allow_list() -> list[str]:
    terms: list[str] = []
    for block in (
        ADMINISTRATIONS,
        SERVICE_NUMBERS,
        REGIONS,
        DEPARTMENTS,
        CITIES,
        COUNTRIES,
        LAW_WORDS,
    ):
        terms.extend(split_terms(block))
    return terms


def _first_names() -> frozenset[str]:
    from chatbot.privacy.names import MORE_FIRST_NAMES, WORD_NAMES

    # Names that are everyday words ("aimé", "fleur") need more than a weak cue.
    return frozenset(FIRST_NAMES.split()) | (
        frozenset(MORE_FIRST_NAMES.split()) - frozenset(WORD_NAMES.split())
    )


FIRST_NAME_SET: frozenset[str] = _first_names()
