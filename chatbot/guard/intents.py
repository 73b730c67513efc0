# ruff: noqa: E501  (pattern tables: one alternation per line reads better than wrapped strings)
"""Routing: what kind of message is this, before anything goes to the knowledge base.

Order matters. Distress comes first: a person in danger gets the emergency numbers even if
the message also asks something else. Small talk (greeting, thanks) only when the message
holds little else: "bonjour, comment refaire ma carte d'identité ?" is a question.
"""

from __future__ import annotations

import re
from enum import StrEnum

from chatbot.guard.normalise import normalise
from chatbot.guard.text import fold, words


class Intent(StrEnum):
    question = "question"
    greeting = "greeting"
    thanks = "thanks"
    handoff = "handoff"
    about = "about"
    out_of_scope = "out_of_scope"
    distress = "distress"


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_DISTRESS = _any(
    # Suicidal ideation.
    r"\b(?:je (?:veux|voudrais|vais|prefererais|souhaite|pense a|pense souvent a|compte)|j'ai (?:envie|pense a|l'intention) de|j'aimerais|envie de|tentation de|tente de|penser a)\s+(?:\w+\s+)?(?:mourir|me tuer|me suicider|mettre fin a (?:mes jours|ma vie)|me foutre en l'air|me jeter (?:sous|par|du|d'un)|me pendre|ne plus me reveiller|disparaitre pour toujours|ne plus etre la|me faire du mal|me mutiler|en finir avec (?:la vie|ma vie|tout|moi|l'existence))\b",
    r"\ben finir\b(?!\s+avec\s+(?:ce|cette|cet|ces|mon|ma|mes|les|le|l'|la (?!vie\b)|un|une|des|son|sa|ses|votre|vos|ton|ta|tes)\b)",
    r"\b(?:suicide|suicidaire|me suicider|idees (?:noires|suicidaires)|pensees suicidaires|envie de mourir|plus envie de vivre|pas envie de vivre|marre de (?:la vie|vivre)|la vie n'a plus (?:de|aucun) sens|je ne vois plus (?:d'issue|de solution|l'interet de vivre)|personne ne me regrettera|tout le monde serait mieux sans moi|je suis (?:un fardeau|de trop)|je n'en peux plus de vivre|mettre fin a mes jours|fin a ma vie)\b",
    r"\b(?:je veux|je voudrais|envie de|j'aimerais|je prefere|je vais)\s+disparaitre\b(?!\s+(?:des|du|de la|de l'|d'un|d'une|de mon|de ma|de mes|de cette|de ce)\b)",
    r"\b(?:peur pour ma vie|ma vie est en danger|on veut me tuer|quelqu'un veut me tuer|ils veulent me tuer|il veut me tuer|elle veut me tuer|fear for my life)\b",
    r"\b(?:i want to die|kill myself|end my life|suicidal|want to end it all|no reason to live|hurt myself)\b",
    # Violence at home.
    r"\b(?:mon|ma) (?:mari|femme|epoux|epouse|conjoint|conjointe|compagnon|compagne|copain|copine|ex|ex-mari|ex-femme|pere|mere|beau-pere|belle-mere|partenaire|concubin|concubine|fils|fille|frere|soeur)\s+(?:me |m')(?:frappe|bat|tape|cogne|menace|violente|viole|etrangle|enferme|maltraite|harcele|tabasse|brutalise|insulte et me frappe|a frappee?|a battue?|a menacee?|a violee?|a etranglee?|a enfermee?|a tabassee?|a agressee?|agresse|terrorise|fait peur|fait du mal|a fait du mal)\b",
    r"\b(?:il|elle) (?:me |m')(?:frappe|bat|cogne|violente|viole|etrangle|enferme|tabasse|brutalise|a frappee?|a battue?|a violee?|a etranglee?|a tabassee?|menace de me tuer|a menacee? de (?:me tuer|mort))\b",
    r"\b(?:je suis|je me fais|je me suis fait|j'ai ete)\s+(?:battue?|frappee?|violee?|violentee?|agressee?|tabassee?|sequestree?|menacee? de mort|victime de violences?)\b",
    r"\b(?:j'ai peur de (?:mon|ma) (?:mari|femme|conjoint|conjointe|compagnon|compagne|ex|pere|mere)|j'ai peur de rentrer chez moi|il va me tuer|elle va me tuer|il menace de me tuer|my (?:husband|wife|partner|boyfriend|girlfriend) (?:hits|beats|hurts|threatens) me|domestic (?:violence|abuse))\b",
    # Child in danger.
    r"\b(?:enfant|enfants|fils|fille|bebe|neveu|niece|petit|petite|eleve|gamin|gamine|mineur|mineure)\b[^.?!]{0,40}\b(?:maltraite\w*|battue?s?|frappee?s?|en danger|abusee?s?|violee?s?|attouchements?|negligee?s?|seule? (?:depuis|toute la))\b",
    r"\b(?:enfance en danger|maltraitance|inceste|attouchements?|pedophil\w*|child abuse|child in danger)\b",
    r"\b(?:voisin|voisine|voisins|parents?|pere|mere)\s+(?:frappe|frappent|bat|battent|maltraite|maltraitent)\s+(?:son|sa|ses|leur|leurs)\s+(?:enfants?|fils|fille|bebe|gamins?)\b",
    # Emergency.
    r"\b(?:au secours|a l'aide ?!|aidez-moi vite|urgence vitale|je suis en danger|on m'agresse|je me fais agresser|il y a le feu|incendie chez|ne respire plus|fait un malaise|crise cardiaque|fait une overdose|overdose|il saigne|elle saigne|perd (?:beaucoup )?de sang|inconsciente?|s'est evanoui|help me please|i'?m in danger|emergency)\b",
    r"\b(?:il|elle|quelqu'un) (?:a|est en train de) (?:un couteau|une arme)\b",
)

_HANDOFF = _any(
    r"\b(?:parler|discuter|echanger|converser|communiquer|avoir affaire|etre en contact|entrer en contact|etre mise? en (?:relation|contact)|etre rappelee?|etre transferee?|etre redirigee?|me transferer|me rediriger|me passer|avoir|joindre|voir|contacter|speak|talk|chat)\s+(?:a|avec|par|vers|en direct avec|directement (?:a|avec)|to|with)?\s*(?:un|une|le|la|l'|a|an|someone|somebody|quelqu'un|une vraie|un vrai|a real|an actual|a live)?\s*(?:vraie?s?\s+|real\s+|actual\s+|live\s+)?(?:humain|humaine|etre humain|personne(?: reelle| physique| en chair et en os)?|conseiller|conseillere|agent|agente|operateur|operatrice|interlocuteur|interlocutrice|employe|employee|fonctionnaire|quelqu'un(?: de (?:chez vous|reel|vrai|physique))?|responsable|human|person|advisor|adviser|representative|operator|someone real)\b",
    r"\b(?:une|un) (?:vraie|vrai|veritable) (?:personne|humain|conseiller|conseillere|agent|interlocuteur)\b",
    r"\b(?:mettez-moi|mets-moi|passez-moi|passe-moi|transferez-moi|transfere-moi|redirigez-moi|redirige-moi)\s+(?:en relation|en contact)?\s*(?:a|avec|vers)?\s*(?:un|une|le|la)?\s*(?:humain|personne|conseiller|conseillere|agent|operateur|responsable|quelqu'un)\b",
    r"\b(?:pas (?:parler |discuter |echanger |converser )?(?:a |avec )?(?:un robot|une machine|une ia|un bot|un chatbot)|marre (?:des|de ce|de parler a un) (?:robots?|machines?|bots?|chatbots?))\b",
    r"\b(?:rappelez-moi|appelez-moi|qu'on me rappelle|un rendez-vous avec (?:un|une) (?:conseiller|conseillere|agent))\b",
)
# Short messages that are only a request for a person: "un humain svp", "conseiller !".
_HANDOFF_WORDS = {"humain", "conseiller", "conseillere", "agent", "operateur", "human", "personne"}

# "Vous êtes un vrai conseiller ?" asks what the assistant is, it does not ask for one.
_ABOUT_FIRST = re.compile(
    r"^\W*(?:tu es|vous etes|es-tu|etes-vous|t'es|c'est|est-ce)\s+(?:un|une)\s+(?:vrai|vraie|veritable)?\s*(?:conseiller|conseillere|personne|humain|humaine|agent|robot|ia|bot|machine)\s*\?+\W*$"
    r"|\b(?:c'est|est-ce) (?:un|une) (?:robot|ia|machine|humain|personne|programme|bot|vraie personne) qui (?:me )?(?:repond|parle|ecrit)\b"
)
_ABOUT = _any(
    r"\b(?:qui (?:es-tu|etes-vous|es tu|etes vous|est-ce|vous etes|tu es)|tu es qui|vous etes qui|t'es qui|c'est qui)\b(?!\s+(?:pour|a|de))",
    r"\b(?:es-tu|etes-vous|es tu|etes vous|tu es|vous etes|t'es|c'est|est-ce (?:un|une))\s+(?:un|une|vraiment un|vraiment une)?\s*(?:vrai |vraie )?(?:robot|bot|chatbot|ia|intelligence artificielle|humain|humaine|machine|programme|personne|etre humain|agent|conseiller|algorithme|chatgpt|gpt)\s*\??$",
    r"\b(?:je parle|suis-je en train de parler|est-ce que je parle|je discute|je suis en train de parler)\s+(?:a|avec)\s+(?:un|une)\s+(?:robot|bot|ia|machine|humain|vraie personne|personne|programme)\b",
    r"\b(?:que|qu'est-ce que|qu'est ce que)\s+(?:sais-tu|savez-vous|tu sais|vous savez|peux-tu|pouvez-vous|tu peux|vous pouvez)\s+(?:faire|me dire)\s*(?:pour moi)?\s*\??$",
    r"\b(?:a quoi (?:tu sers|servez-vous|sers-tu|vous servez|ca sert|sert ce (?:chat|service|robot|bot|assistant))|comment (?:tu fonctionnes|fonctionnes-tu|fonctionnez-vous|vous fonctionnez|ca marche ce (?:chat|service|robot|bot|assistant))|tu fais quoi|vous faites quoi|quel est ton (?:nom|role)|quel est votre (?:nom|role)|comment tu t'appelles|comment vous appelez-vous|tu t'appelles comment|qui t'a (?:cree|fabrique|programme|developpe)|qui vous a (?:cree|developpe)|what (?:are|can) you(?: do)?|who are you|are you (?:a |an )?(?:bot|robot|ai|human|real person)|what is your name)\b",
    r"\b(?:que (?:faites-vous|fais-tu|devient|deviennent)|vous faites quoi|tu fais quoi)\s+(?:de|avec)\s+(?:mes|les)\s+(?:donnees|informations|messages|conversations)\b",
    r"\b(?:est-ce que )?(?:vous gardez|tu gardes|vous conservez|tu conserves|vous enregistrez|tu enregistres)\s+(?:mes|les|cette)\s+(?:donnees|messages|conversations?|informations)\b",
    r"\b(?:tes|vos) (?:limites|capacites|competences)\s*\??$",
)

_OUT_OF_SCOPE = _any(
    # Weather.
    r"(?<!alerte )(?<!vigilance )\bmeteo\b(?![- ]?france)|\b(?:quel temps (?:fait-il|fera-t-il|va-t-il faire|il fait|fait il)|va-t-il pleuvoir|il va pleuvoir|pleuvra-t-il|temperature (?:demain|aujourd'hui|ce week-end)|weather|forecast|will it rain)\b",
    # Recipes and cooking.
    r"\b(?:recette (?:de|du|des|d')(?! (?:la caf|l'etat|fiscales?|impots?))|recettes? de cuisine|comment (?:cuisiner|faire cuire|preparer) (?:un|une|des|le|la|les|du)|temps de cuisson|recipe|how to cook|comment faire (?:un|une|des) (?:gateau|tarte|crepes|quiche|gratin|pizza|pates|soupe|omelette|pain|cookies|blanquette|boeuf bourguignon))\b",
    # Sport.
    r"\b(?:score (?:du|de|d')|resultats? (?:du match|de ligue|du foot)|qui a gagne (?:le match|hier|la coupe|le tournoi|la finale|l'euro|roland)|match (?:de foot|du psg|de l'om|de ce soir|d'hier)|ligue 1|ligue des champions|champions league|coupe du monde|football|foot ce soir|psg|l'om|rugby|tour de france|formule 1|f1|nba|premier league|who won the (?:game|match))\b",
    # Creative writing and games.
    r"\b(?:ecris|ecrivez|ecrire|compose|composez|redige|redigez|invente|inventez|fais|faites)(?:-moi)?\s+(?:moi\s+)?(?:un|une|des)\s+(?:poeme|poesie|chanson|histoire|conte|haiku|blague|rap|slam|sonnet|fable|nouvelle|roman|lettre d'amour|dissertation|dissert)\b|\b(?:raconte|racontez)(?:-moi)?\s+(?:moi\s+)?(?:une|des)\s+(?:blague|histoire drole|histoire)\b|\b(?:write (?:me )?a (?:poem|song|story|joke|haiku|essay)|tell me a joke)\b",
    # Code.
    r"\b(?:ecris|ecrivez|ecrire|code|codez|genere|generez|corrige|corrigez|debug\w*|programme|programmez)(?:-moi)?\s+(?:moi\s+)?(?:un|une|du|le|ce|mon|des)\s+(?:code|script|programme|fonction|algorithme|requete sql|regex|expression reguliere|site web|page html|macro excel)\b|\b(?:en|in)\s+(?:python|javascript|java|c\+\+|php|rust|typescript|sql|bash)\b|\b(?:write (?:me )?(?:a |some )?(?:code|script|function|program)|python script|fix my code|debug my code)\b",
    # Political opinions.
    r"\b(?:que penses-tu|qu'en penses-tu|que pensez-vous|qu'en pensez-vous|ton avis|votre avis|tu preferes|vous preferez|tu es pour ou contre|etes-vous pour ou contre|tu es de droite|tu es de gauche|es-tu de (?:droite|gauche)|what do you think|your opinion)\b[^?]{0,60}\b(?:macron|president|presidente|gouvernement|politique|le pen|melenchon|bardella|zemmour|attal|premier ministre|election|elections|gauche|droite|parti|partis|immigration|immigres|islam|religion|reforme des retraites|manif|greve|syndicats?|rn|lfi|extreme|ecologistes|trump|poutine|israel|palestine|ukraine|russie|government|politics)\b",
    r"\b(?:(?:tu votes|vous votez|votes-tu|votez-vous) pour qui|pour qui (?:tu votes|vous votez|voter|vais-je voter|je dois voter|dois-je voter|faut-il voter|voterais-tu|tu votes|votes-tu|voteriez-vous)|who should i vote for|quel (?:parti|candidat) (?:choisir|est le meilleur|preferes-tu))\b",
    # Other general knowledge and entertainment.
    r"\b(?:horoscope|signe astrologique|blague|devinette|quel film|quelle serie|netflix|jeu video|jeux video|bitcoin|crypto(?:monnaie)?s?|quel(?:le)? (?:action|crypto) acheter|capitale (?:de|du|des)|combien (?:font|fait) \d+|traduis(?:-moi)? (?:en|ce texte|cette phrase)|translate (?:this|to)|quelle heure est-il|quel jour sommes-nous|conseil (?:de drague|amoureux|beaute|mode)|playlist|chanteur prefere|paroles de la chanson)\b",
    r"\b(?:tu aimes|vous aimez|tu preferes|vous preferez|ton (?:film|plat|sport|livre|chanteur|equipe) (?:prefere|favori))\b",
)

_GREETING_WORDS = {
    "bonjour", "bonsoir", "salut", "coucou", "hello", "hi", "hey", "bjr", "slt", "yo",
    "re", "rebonjour", "allo", "wesh", "bonne", "journee", "soiree", "good", "morning",
    "evening", "afternoon", "salutations", "hola", "cc",
}  # fmt: skip
_THANKS_WORDS = {
    "merci", "mercii", "merciii", "thanks", "thank", "thx", "ty", "remercie", "remercions",
    "mrc", "mci", "gracias", "cimer",
}  # fmt: skip
# Words that may come with small talk without turning it into a question.
_FILLER = {
    "madame", "monsieur", "mademoiselle", "m", "mme", "a", "vous", "toi", "tous", "toutes",
    "tout", "le", "la", "les", "monde", "ca", "va", "comment", "allez", "vas", "tu", "bien",
    "et", "vous-meme", "toi-meme", "robot", "guichet", "assistant", "chatbot", "bot",
    "beaucoup", "bcp", "infiniment", "mille", "fois", "encore", "super", "parfait", "ok",
    "okay", "d'accord", "dac", "top", "genial", "cool", "nickel", "tres", "trop", "gentil",
    "sympa", "c'est", "cest", "pour", "votre", "ton", "ta", "aide", "reponse", "reponses",
    "info", "infos", "l'info", "information", "informations", "explication", "explications",
    "clair", "au", "revoir", "bientot", "bonne", "journee", "soiree", "fin", "de", "week-end",
    "weekend", "you", "so", "much", "very", "for", "your", "help", "great", "bye", "goodbye",
    "je", "remercie", "oui", "yes", "ah", "oh", "bon", "alors", "voila", "bravo",
    "excellent", "impeccable", "parfaitement", "compris", "entendu", "j'ai", "i", "it",
    "the", "answer", "dear", "there", "everyone", "everybody", "nous", "en", "forme",
    "j'espere", "que", "allez-vous", "vas-tu", "quoi", "neuf", "ma", "mon", "part",
    "service", "efficace", "utile", "precieuse", "precieux", "rapide", "rapidite",
    "reactivite", "patience", "plein", "l'aide", "cette", "ces", "bonjour",
}  # fmt: skip


_PLACEHOLDER = re.compile(r"<[a-z]+(?:_[a-z]+)*_\d+>")


def _small_talk(tokens: list[str], keywords: set[str]) -> bool:
    """True when the message is keywords and filler only."""
    if not tokens or not any(t in keywords for t in tokens):
        return False
    rest = [t for t in tokens if t not in keywords and t not in _FILLER]
    return not rest


def classify_intent(text: str) -> Intent:
    folded = fold(normalise(text, max_chars=10**9).text)
    # Placeholders from the privacy gate ("Bonjour <NOM_1>") are not words of the message.
    tokens = words(_PLACEHOLDER.sub(" ", folded))
    if not tokens:
        return Intent.greeting if folded.strip() else Intent.question
    if _DISTRESS.search(folded):
        return Intent.distress
    if _small_talk(tokens, _THANKS_WORDS):
        return Intent.thanks
    if _small_talk(tokens, _GREETING_WORDS):
        # "bonjour, comment allez-vous ?" is small talk, "bonjour, comment faire ... ?" is not.
        return Intent.greeting
    if _ABOUT_FIRST.search(folded):
        return Intent.about
    if _HANDOFF.search(folded):
        return Intent.handoff
    if len(tokens) <= 4 and any(t in _HANDOFF_WORDS for t in tokens) and "?" not in folded:
        return Intent.handoff
    if _ABOUT.search(folded):
        return Intent.about
    if _OUT_OF_SCOPE.search(folded):
        return Intent.out_of_scope
    return Intent.question
