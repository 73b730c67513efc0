# ruff: noqa: E501  (pattern tables: one alternation per line reads better than wrapped strings)
"""Deterministic input rules: prompt injection, jailbreaks and harmful requests.

Every rule is a regular expression over the folded view of the text (lowercase, no accents,
Latin letters; see ``text.fold``). The same rules also run on views that undo obfuscation:
leetspeak, spaced-out letters, base64 or hex payloads, ROT13, reversed text and Unicode tag
characters. A verdict names the rule that fired, never the text, so it can be logged.

Rules are narrow on purpose. Citizens write "ignorer un courrier", "les règles du permis",
"mot de passe oublié": a trigger word alone never fires, a rule needs the shape of an attack
(a verb aimed at the assistant's instructions, a fake role marker, a request to make a fake
document ...).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel

from chatbot.guard.normalise import HIDDEN_OPEN, normalise, visible
from chatbot.guard.text import deleet, fold, has_mixed_scripts, unspace

Category = Literal["injection", "harmful", "other_person", "beyond_role"]


class Verdict(BaseModel):
    # injection: tries to change or reveal the assistant's instructions; harmful: help with
    # something illegal or dangerous; other_person: someone else's personal data or file;
    # beyond_role: content or access reserved to agents (internal notes, "agent mode").
    category: Category | None = None
    rule: str | None = None  # what fired: a rule id ("override.ignore_fr") or "local.<class>"

    @property
    def blocked(self) -> bool:
        return self.category is not None


@dataclass(frozen=True)
class Rule:
    id: str  # "<family>.<name>"; family is one of FAMILIES
    pattern: re.Pattern[str]
    # Optional: the whole text must also match this (a second clue somewhere else).
    also: re.Pattern[str] | None = None
    # Optional checks on one match: a clue it must contain, one it must not, and what must
    # not come just before it ("j'ai oublié les consignes" is a past tense, not an order).
    inside: re.Pattern[str] | None = None
    not_inside: re.Pattern[str] | None = None
    not_before: re.Pattern[str] | None = None
    # Optional: the whole text matching this cancels the rule (a benign context).
    unless: re.Pattern[str] | None = None

    def search(self, text: str) -> bool:
        if self.also is not None and not self.also.search(text):
            return False
        if self.unless is not None and self.unless.search(text):
            return False
        for match in self.pattern.finditer(text):
            found = match.group(0)
            if self.inside is not None and not self.inside.search(found):
                continue
            if self.not_inside is not None and self.not_inside.search(found):
                continue
            if self.not_before is not None and self.not_before.search(
                text[max(0, match.start() - 30) : match.start()]
            ):
                continue
            return True
        return False

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def category(self) -> Literal["injection", "harmful", "beyond_role", "other_person"]:
        # Agent-side requests get the refusal that points to a real counter.
        if self.family in ("beyond_role", "other_person"):
            return self.family
        return "harmful" if self.family == "harmful" else "injection"


FAMILIES = (
    "override",
    "beyond_role",
    "other_person",
    "fake_system",
    "roleplay",
    "extraction",
    "indirect",
    "obfuscated",
    "harmful",
)


def _rule(
    rule_id: str,
    pattern: str,
    also: str | None = None,
    *,
    inside: str | None = None,
    not_inside: str | None = None,
    not_before: str | None = None,
    unless: str | None = None,
) -> Rule:
    def compiled(value: str | None) -> re.Pattern[str] | None:
        return re.compile(value, re.MULTILINE) if value else None

    return Rule(
        rule_id,
        re.compile(pattern, re.MULTILINE),
        compiled(also),
        compiled(inside),
        compiled(not_inside),
        compiled(not_before),
        compiled(unless),
    )


# Reusable pieces ------------------------------------------------------------------------
# Up to N words in between. Possessive quantifiers: a run like "-'-'-'" must not make the
# engine try every way to split it into words and separators.
_GAP = r"(?:[\s,;:'\"-]++[\w'-]++){0,%d}?[\s,;:'\"-]++"

# Things an assistant is told. English and French.
_RULES_EN = r"(?:instructions?|directives?|guidelines?|rules|programming|constraints|guardrails?|restrictions|system ?prompt|prompts?|commands|orders|training|polic(?:y|ies)|safeguards|filters?|limitations|limits|ethics|morals|principles|settings|configuration)"
_RULES_FR = r"(?:role|mission|personnage|instructions?|consignes?|directives?|programmation|restrictions?|limitations?|filtres?|garde-?fous?|garde fous?|prompts?|contraintes?|protections?|censure|conditionnement|entrainement|principes|regles?|limites|interdits?|parametres|ordres|politiques?|securites?)"
# Words showing the rules meant are the assistant's own, not a form's or a law's.
_OWN_EN = r"\b(?:your|all|any|every|usual|normal|standard|regular|previous|prior|above|earlier|preceding|foregoing|initial|original|system|safety|default|existing|current|hidden|internal|developer|openai|these|those|the rest of)\b"
_OWN_FR = r"\b(?:tes|vos|ton|votre|ta|toutes?|tous|precedent\w*|anterieur\w*|initia\w*|originel\w*|d'origine|systeme|ci-dessus|au-dessus|plus haut|d'avant|recues?|donnees?|actuel\w*|habituel\w*|de securite|de base|internes?|qu'on t'a|qu'on vous a|que l'on t'a|ethiques?|morales?)\b"
# Qualifiers after the noun: "les instructions reçues", "the rules above".
_QUALIFIER_FR = r"(?:\s+(?:qu'on t'a|qu'on vous a|que l'on t'a|precedent\w*|anterieur\w*|initia\w*|recues?|donnees?|systeme|ci-dessus|au-dessus|plus haut|d'avant|actuel\w*|de base|de securite|internes?|d'origine)\b)?"
_QUALIFIER_EN = r"(?:\s+(?:above|before|so far|you were given|you have been given|you've been given|you received|given to you|from your developers?|of your developers?)\b)?"
_MINE = r"\b(?:my|mes|mon|ma|nos|notre)\b"
# Asking about the law or reporting someone else, not asking how to do it. Hyphens are
# optional: the spaced-letters view turns "risque-t-on" into "risqueton".
_ASKING_ABOUT = r"\b(?:que risque|risque-?t-?on|quelles? sanctions?|est-?ce (?:puni|illegal)|signaler|denoncer|victime|report)\b"
_AUX_BEFORE = r"(?:\b(?:j'ai|ai|as|a|avons|avez|ont|avait|avais|avions|aviez|avaient|ete|etre|suis|es|est|sommes|sont|etait)\s+(?:\w+\s+){0,2})$"

_FR_OVERRIDE_VERB = r"(?:ignore|ignores|ignorez|ignorer|oublie|oublies|oubliez|oublier|outrepasse|outrepassez|outrepasser|contourne|contournez|contourner|desactive|desactivez|desactiver|annule|annulez|annuler|efface|effacez|effacer|supprime|supprimez|supprimer|laisse tomber|laissez tomber|mets de cote|mettez de cote|jette|jetez|abandonne|abandonnez|neutralise|neutralisez|leve|levez|enleve|enlevez|retire|retirez|affranchis-toi de|affranchissez-vous de|libere-toi de|liberez-vous de|fais abstraction de|faites abstraction de|passe outre|passez outre|ne tiens (?:plus |pas |aucun |aucunement )*compte|ne tenez (?:plus |pas |aucun |aucunement )*compte|n'obeis plus|n'obeissez plus|(?:arrete|arretez|arreter|cesse|cessez|cesser) d'(?:obeir a|ecouter|appliquer)|(?:arrete|arretez|arreter|cesse|cessez|cesser) de (?:suivre|respecter|appliquer|tenir compte (?:de|des|d'))|(?:de )?ne (?:plus|pas|jamais plus) (?:appliquer|respecter|suivre|obeir a|ecouter|tenir compte (?:de|des|d'))|ne respecte plus|ne respectez plus|ne suis plus|ne suivez plus|transgresse|transgressez|desobeis a|desobeissez a|desobeir a|defie|defiez|ecrase|ecrasez|ecraser|remplace|remplacez|reprogramme|reprogrammez|enfreins|enfreignez|brise|brisez|casse|cassez|reinitialise|reinitialisez|remets a zero|remettez a zero)"
_FR_IMPERATIVE = r"(?:ignore|ignorez|oublie|oubliez|outrepasse|outrepassez|contourne|contournez|desactive|desactivez|annule|annulez|efface|effacez|supprime|supprimez|laisse tomber|laissez tomber|jette|jetez|neutralise|neutralisez|leve|levez|enleve|enlevez|retire|retirez|zappe|zappez|ne tiens pas compte des|ne tenez pas compte des|fais abstraction des|faites abstraction des|passe outre|passez outre)"
_EN_OVERRIDE_VERB = r"(?:disobey|defy|overwrite|never ?mind|screw|to hell with|forget about|ignore|disregard|forget|override|overrule|bypass|skip|discard|drop|abandon|neglect|delete|erase|clear|reset|cancel|circumvent|break|violate|ditch|throw out|set aside|put aside|pay no attention to|do not follow|don't follow|stop following|no longer follow|unlearn)"

# Dutch, Portuguese, Spanish, Italian, German, Polish, Turkish, Romanian, Russian, Arabic.
_FOREIGN_FORGET = (
    r"negeer|vergeet|esqueca|esquece|esquecam|ignora|ignorem|olvida|olvidate de|olviden"
    r"|dimentica|dimenticate|vergiss|vergesst|vergessen sie|ignoriere|ignorieren sie|zapomnij"
    r"|zignoruj|ignoruj|unut|yoksay|uita|ignorati|забудь|забудьте|игнорируй|игнорируйте"
    r"|انس|انسى|تجاهل|تجاهلي"
)
_FOREIGN_RULES = (
    r"instructies|regels|opdrachten|instrucoes|instrucciones|reglas|regras|istruzioni|regole"
    r"|anweisungen|regeln|vorgaben|anordnungen|polecen|polecenia|instrukcje|instrukcji|zasady"
    r"|normas|norme|normen|talimatlar\w*|kurallar\w*|instructiunile|regulile|инструкци\w*|правила|указания"
    r"|التعليمات|القواعد|الأوامر|الاوامر"
)
_EXTRACT_VERB = r"(?:repete|repetes|repetez|repeter|affiche|affichez|afficher|montre|montrez|montrer|donne|donnez|donner|revele|revelez|reveler|devoile|devoilez|devoiler|ecris|ecrivez|ecrire|recopie|recopiez|recopier|cite|citez|citer|imprime|imprimez|divulgue|divulguez|partage|partagez|partager|envoie|envoyez|dis|dites|dire|liste|listez|reproduis|reproduisez|copie|copiez|colle|collez|traduis|traduisez|resume|resumez|expose|exposez|communique|communiquez|transmets|transmettez|lis|lisez|recite|recitez|sors|sortez|extrais|extrayez|balance|crache|raconte|racontez|detaille|detaillez|explique|expliquez|indique|indiquez|encode|encodez|print|show|reveal|display|repeat|output|tell|give|dump|leak|write|list|recite|share|translate|summari[sz]e|spell out|paste|copy|read|expose|disclose|describe|explain|send|return|echo)"
_EXTRACT_ASK = r"(?:quel(?:le)?s? (?:sont|etaient|est|etait)|c'est quoi|qu'est-ce que sont|que (?:disent|dit|contiennent|contient)|what (?:are|were|is|was|do|does)|which are|tell me|dis-moi|dites-moi|montre-moi|montrez-moi|donne-moi|donnez-moi|peux-tu|pouvez-vous|tu peux|vous pouvez|can you|could you|je veux (?:voir|lire|connaitre)|je voudrais (?:voir|lire|connaitre)|i want to (?:see|read|know))"

_AI = r"(?:robots?|ia|ai|assistants?|llms?|chatbots?|bots?|modeles? de langage|language models?|modeles? d'ia|ai models?|gpt|chatgpt|claude|albert|intelligence artificielle|artificial intelligence|agent conversationnel|robots? conversationnels?|systemes? d'ia|ai systems?|models?)"
_NOT_A_PERSON = r"(?!\s+(?:social|sociale|sociaux|maternel\w*|d'education|de (?:vie|direction|service|prevention|gestion)|administrati\w*|parlementaire|juridique|de justice|medical\w*|familial\w*|scolaire)\b)"

_FAKE_DOC = r"(?:papiers?|attestations?|documents?|cartes? (?:d'identite|vitale|grise|de sejour|d'invalidite|de resident|mobilite inclusion|europeenne)|cni|passeports?|permis(?: de conduire)?|fiches? de paie|fiches? de salaire|bulletins? de (?:paie|salaire)|avis d'imposition|avis de non-imposition|diplomes?|certificats?|justificatifs?|releves? (?:bancaires?|de compte|de notes)|quittances?|factures?|ordonnances?|arrets? (?:de travail|maladie)|titres? de sejour|actes? de naissance|actes? de mariage|actes? de deces|livret de famille|contrats? de travail|contrats? de bail|baux?|signatures?|tampons?|cachets?|visas?|ids?|id cards?|passports?|driver'?s licen[cs]es?|licen[cs]es?|payslips?|pay ?stubs?|certificates?|diplomas?|birth certificates?|tax returns?|bank statements?|residence permits?|utility bills?|doctor'?s notes?|sick notes?|prescriptions?|proof of (?:address|income|residence))"
_INSTITUTION = r"(?:la caf|caf|cpam|la cpam|la secu|secu|securite sociale|la securite sociale|pole emploi|france travail|les impots|impots|fisc|le fisc|urssaf|l'urssaf|msa|la msa|carsat|la carsat|administration|l'administration|prefecture|la prefecture|l'etat|etat|assurance maladie|l'assurance maladie|mutuelle|ma mutuelle|assurance|mon assurance|l'assureur|ameli|les allocations|les allocs|la banque|ma banque|le bailleur|mon bailleur|ants|l'ants|la mairie|mairie|crous|le crous|benefits office|the government|the irs|tax office|social security|welfare|insurance)"
_BENEFIT = r"(?:rsa|apl|als|alf|aah|allocs?|allocations?(?: familiales| chomage| logement)?|aides?(?: sociales| au logement)?|prime d'activite|chomage|are|pension|retraite|bourse|cheque energie|indemnites?|benefits?|welfare|unemployment)"

_RULES: list[Rule] = [
    # Text hidden in Unicode tag characters, decoded by ``normalise``: nobody types those.
    _rule("obfuscated.unicode_tags", re.escape(HIDDEN_OPEN)),
    # --- override: "ignore your instructions" -------------------------------------------
    _rule(
        "override.ignore_en",
        rf"\b{_EN_OVERRIDE_VERB}\b(?:{_GAP % 6})?{_RULES_EN}\b{_QUALIFIER_EN}",
        inside=_OWN_EN,
        not_inside=_MINE,
        not_before=r"\b(?:i|we|they|he|she|you|to|not|never|did|didn't|can i|may i|should i)\s+$",
    ),
    _rule(
        "override.ignore_fr",
        rf"\b{_FR_OVERRIDE_VERB}\b(?:{_GAP % 6})?{_RULES_FR}\b{_QUALIFIER_FR}",
        inside=_OWN_FR,
        not_inside=_MINE,
        not_before=_AUX_BEFORE + r"|\b(?:je|j'|il|elle|on|ils|elles|nous)\s*$",
    ),
    # Other languages: "forget/ignore" then "instructions/rules" of the same language.
    _rule(
        "override.ignore_foreign",
        rf"(?<!\w)(?:{_FOREIGN_FORGET})(?!\w)(?:{_GAP % 5})?(?:\w+\s+)?(?:{_FOREIGN_RULES})",
    ),
    _rule(
        "override.ignore_fr_imperative",
        rf"\b{_FR_IMPERATIVE}\s+(?:toutes\s+|tout\s+)?(?:les|ces|la|le|l')\s*(?:\w+\s+)?(?:instructions|consignes|directives|programmation|prompt|garde-?fous|filtres|censure|regles qu'on|restrictions)\b",
        not_before=_AUX_BEFORE + r"|\b(?:je|j'|il|elle|on|ils|elles|nous|qui|que|qu'|ne|n')\s*$",
    ),
    _rule(
        "override.ignore_everything",
        r"\b(?:ignore|disregard|forget|oublie|oubliez|ignorez)\s+(?:tout|everything|all|anything)\s+(?:ce qu'on t'a|ce que l'on t'a|ce qu'on vous a|ce qui precede|ce qui est (?:au-dessus|ci-dessus|plus haut)|(?:that )?you (?:were|have been|'ve been) (?:told|given|taught|instructed)|(?:written |said |stated )?(?:above|before|previously|prior)|tes? |vos |jusqu'ici|jusqu'a present|d'avant|de ta programmation)",
    ),
    _rule(
        "override.ignore_above",
        r"\b(?:ignore|disregard|forget)\s+(?:all\s+|everything\s+|the\s+|that\s+)*(?:text\s+|words\s+|instructions\s+|prompt\s+|messages?\s+)?(?:above|previous|preceding|prior|before this)\b(?!\s+(?:question|message|email|mail|letter|answer|reply)s?\b)",
        not_before=r"\b(?:i|we|please don't|don't|can i|may i)\s+$",
    ),
    _rule(
        "override.ignore_what_told",
        r"\b(?:ignore|ignorez|oublie|oubliez|forget|disregard|ne tiens pas compte de|ne tenez pas compte de|laisse de cote|laissez de cote|laisser de cote|mets de cote|mettez de cote|mettre de cote|efface|effacez|desapprends|unlearn|set aside|put aside|drop)\s+(?:tout\s+)?(?:ce qu'|ce que |what |everything )(?:on |l'on |tes |vos |ton |votre |les |your |the |they )?(?:createurs?|developpeurs?|concepteurs?|programmeurs?|administrateurs?|creators?|developers?|admins?|makers?|openai )?\s*(?:t'ont|vous ont|t'a|vous a|told you|have told you|instructed you|taught you|programmed you|you were (?:told|taught|given)|you've been (?:told|taught|given))",
    ),
    _rule(
        "override.given_rules_void",
        r"\b(?:les|the)\s+(?:regles|instructions|consignes|directives|restrictions|limites|rules|guidelines)\s+(?:qu'on t'a|qu'on vous a|que l'on t'a|que l'on vous a|qui t'ont ete|qui vous ont ete|you were|you have been|you've been)\s+\w+[^.?!\n]{0,40}\b(?:ne s'appliquent plus|ne comptent plus|n'existent plus|sont (?:annulees|suspendues|levees|desactivees|caduques|obsoletes)|a (?:leve|annule|supprime|desactive)|les a (?:levees|annulees|supprimees|desactivees)|no longer apply|are (?:void|lifted|revoked|cancell?ed|suspended)|ignore\w*|oublie\w*)",
    ),
    _rule(
        "override.safety_off",
        r"\b(?:(?:le |les |la |ton |ta |tes |votre |vos |your |the )?(?:bridage|censure|garde-?fous?|filtres? de (?:securite|contenu)|safety (?:filters?|checks?|settings?)|content (?:filters?|policy)|guardrails?)|(?:restrictions?|limitations?|filtres?|limites|regles|rules|restrictions|filters|limits)\s+(?:de l'assistant|du chatbot|de l'ia|du modele|de ce chatbot|de guichet|of the (?:assistant|ai|model|chatbot)))\s+(?:[\w']+\s+){0,3}?(?:est|sont|a ete|ont ete|is|are|has been|have been)\s+(?:maintenant |desormais |now |temporairement |temporarily )?(?:suspendue?s?|levee?s?|desactivee?s?|retiree?s?|supprimee?s?|coupee?s?|off|disabled|lifted|suspended|removed|turned off|deactivated)",
    ),
    _rule(
        "override.rules_void",
        r"\b(?:tes|vos|your|ses|les anciennes|tes anciennes|vos anciennes|your old|your previous)\s+(?:\w+\s+)?(?:instructions?|consignes?|regles?|directives?|restrictions?|limites?|garde-?fous|filtres?|rules|guidelines|restrictions|limits|filters|programming|programmation)\s+(?:\w+\s+){0,3}?(?:ne s'appliquent plus|ne comptent plus|n'existent plus|ne sont plus (?:valables|valides|actives?|en vigueur)|sont (?:desormais |maintenant )?(?:annulees|suspendues|levees|desactivees|obsoletes|caduques|supprimees|remplacees|nulles)|ont ete (?:annulees|suspendues|levees|desactivees|supprimees|remplacees|mises a jour)|(?:no longer|don't|do not) (?:apply|exist|matter|count)|(?:are|have been) (?:lifted|suspended|disabled|void|removed|cancell?ed|overridden|revoked|replaced|updated|deactivated))",
    ),
    _rule(
        "override.rules_not_for_me",
        r"\b(?:limites|regles|restrictions|consignes|instructions|filtres|rules|restrictions|limits|guidelines|filters)\s+(?:habituelles|normales|de base|standards?|ordinaires|usual|normal|standard|default)\b[^.?!\n]{0,20}\b(?:ne s'appliquent pas|ne valent pas|ne comptent pas|don't apply|do not apply|doesn't apply)\b|\b(?:tes|vos|your)\s+(?:limites|regles|restrictions|consignes|instructions|filtres|rules|limits|guidelines|filters)\b[^.?!\n]{0,20}\b(?:ne s'appliquent pas|don't apply|do not apply)\s+(?:a moi|pour moi|ici|to me|here|in this case|dans ce cas)",
    ),
    _rule(
        "override.not_obliged",
        r"\b(?:tu n'es (?:pas|plus)|vous n'etes (?:pas|plus)|t'es (?:pas|plus)|you (?:don't|do not|no longer) (?:have|need) to|you(?: are|'re) not (?:required|obliged|bound|forced) to|you(?: are|'re) no longer (?:required|obliged|bound) to)\s*(?:obligee?s?|tenue?s?|forcee?s?|contrainte?s?)?\s*(?:de |d')?(?:suivre|respecter|appliquer|obeir a|ecouter|follow|obey|respect|apply|stick to)\s+(?:tes|vos|ton|votre|ta|your|the|les|any|aux)\s+(?:\w+\s+)?(?:instructions?|consignes?|regles?|directives?|rules|guidelines|restrictions?|limites|policies|programming|programmation)",
    ),
    _rule(
        "override.no_rules",
        r"\b(?:tu n'as|vous n'avez|tu n'a|t'as|tu as|vous avez|you have|you've got|you got|you now have|you do not have|you don't have|you no longer have)\s+(?:desormais |maintenant |plus |now |no |any |aucune? |pas |zero |)*(?:de |d')?(?:plus |aucune? )?(?:regles?|limites?|restrictions?|filtres?|consignes?|censure|contraintes?|interdits?|tabous?|rules|restrictions|limits|filters|guidelines|censorship|boundaries|constraints|ethics|morals)\b",
        also=r"\b(?:tu n'as (?:plus|aucune?|pas)|vous n'avez (?:plus|aucune?|pas)|t'as (?:plus|aucune?|pas)|tu as (?:zero|aucune?)|you (?:now )?have no|you(?:'ve)? got no|you do not have any|you don't have any|you have zero|you no longer have)\b",
    ),
    _rule(
        "override.reset",
        r"\b(?:context|contexte|memory|memoire|conversation|session|instructions?|consignes?|prompt)\s+(?:has been |have been |a ete |ont ete |est |sont )?(?:cleared|wiped|erased|reset|deleted|effacee?s?|reinitialisee?s?|videe?s?|remise? a zero)\b|\b(?:reset|reboot|reinitialisation|redemarrage)\s+(?:complete|done|effectuee?|termine\w*)\b|\bwith no (?:prior|previous|earlier|existing) (?:guidelines|instructions|rules|restrictions)\b|\bsans (?:tes |vos |aucune? )?(?:consignes?|instructions?|regles?) (?:precedentes|anterieures|initiales|d'origine)\b",
    ),
    _rule(
        "override.dismiss",
        r"\b(?:(?:tes|vos|your)\s+(?:consignes|regles|instructions|directives|rules|guidelines|restrictions|limites)|(?:les\s+)?(?:consignes|regles|instructions|directives|restrictions|limites)\s+(?:de guichet|de l'assistant|du chatbot|de l'ia|du bot|du modele)|(?:the\s+)?(?:rules|instructions|guidelines|restrictions)\s+(?:of|for) (?:the |this )?(?:assistant|ai|chatbot|bot|model))\b[^.!\n]{0,30}\b(?:on s'en (?:fiche|fout|moque|balance)|je m'en (?:fiche|fous|moque|balance)|osef|peu importe|on s'en tape|who cares|don't matter|doesn't matter|do not matter|n'ont (?:aucune|pas d') importance|ne comptent pas|ne servent a rien|sont (?:debiles|stupides|nulles|ridicules|inutiles)|are (?:stupid|pointless|useless|dumb))",
    ),
    _rule(
        "override.new_instructions",
        r"\b(?:your|ta|tes|votre|vos)\s+(?:new|real|true|actual|updated|only|nouvel\w*|vrai\w*|veritable\w*|seule?s?|unique|prochaine?s?|reel\w*)\s+(?:instructions?|consignes?|regles?|directives?|mission|tache|task|role|objective|objectif|purpose|goal|job|programmation|persona|personnalite|identite|name|rules|guidelines|orders|ordres?)\b",
    ),
    _rule(
        "override.new_instructions_colon",
        r"\b(?:new|updated|revised|nouvel\w*|vraies?|real)\s+(?:instructions?|consignes?|directives?|orders|ordres)\s*(?:\([^)]*\)\s*)?:",
    ),
    _rule(
        "override.from_now_on",
        r"\b(?:a partir de maintenant|a partir d'aujourd'hui|desormais|dorenavant|des maintenant|from now on|henceforth|starting now|for the rest of this conversation|pour le reste de (?:cette|la) conversation)\b[^.?!\n]{0,80}\b(?:sans (?:aucune |la moindre |plus de )?(?:restrictions?|filtres?|censure|limites|regles|contraintes|morale|ethique|tabous?)|without (?:any )?(?:restrictions?|filters?|censorship|limits|rules|constraints|ethics|morals)|no (?:restrictions|filters|censorship|limits|rules)|ignore\w*|oublie\w*|n'obeis|ne respecte|ne suis plus|tu (?:obeis|obeiras|repondras|reponds) (?:a|uniquement|seulement|toujours|a tout)|tu (?:es|seras) (?:libre|un|une|mon|ma|dan)|you (?:are|will be|will act|will answer|must answer|answer|obey|only obey|will obey|respond)|repond\w* (?:a toutes|a tout|toujours|sans)|tu dois (?:repondre a tout|obeir|toujours))",
    ),
    _rule(
        "override.answer_unfiltered",
        r"\b(?:reponds?|repondez|repondre|answer|respond|reply|parle|parlez|agis|agissez|ecris|ecrivez|dis-moi|dites-moi|tell me|write|act|speak|talk)\b[^.?!\n]{0,40}\b(?:sans (?:aucune |la moindre |tes |vos |ta |votre |plus de )?(?:restrictions?|filtres?|censure|limites\b|regles|contraintes|morale|ethique|tabous?|garde-?fous|scrupules)|without (?:any |your )?(?:restrictions?|filters?|filtering|censorship|limits|rules|constraints|ethics|morals|guardrails|safety)|uncensored|unfiltered|unrestricted)",
    ),
    _rule(
        "override.prioritise",
        r"\b(?:this|cette|ce|la presente|the following)\s+(?:instruction|consigne|message|directive|ordre|order|request|demande)\s+(?:a |has |takes |est |is )?(?:la )?(?:priorite|priority|precedence|prioritaire|superieure?|plus importante?|overrides?|remplace|annule|prime)\b",
    ),
    # --- fake system messages -------------------------------------------------------------
    _rule(
        "fake_system.chat_tokens",
        r"<\|?\s*(?:im_start|im_end|system|endoftext|begin_of_text|start_header_id|end_header_id|eot_id|assistant|user)\s*\|?>|<</?sys>>|\[/?(?:inst|sys)\]",
    ),
    _rule(
        "fake_system.bracket_tag",
        r"[\[<{(]\s*/?\s*(?:system|systeme|sys|admin|administrat(?:eur|or)|developer|developpeur|dev|root|operat(?:eur|or)|sudo|override|system (?:message|prompt|note|override|update)|message (?:systeme|du systeme)|instructions? (?:systeme|system)|note (?:systeme|system)|alerte systeme|system alert)\s*[\]>})]",
    ),
    _rule(
        "fake_system.line_marker",
        r"^[\s#*=>\-_]{0,6}(?:system|systeme|sys|admin|administrat(?:eur|or)|developer|developpeur|root|operat(?:eur|or)|openai|anthropic|mistral)(?:\s+(?:message|prompt|note|override|instructions?|update|mise a jour|alerte|alert|notice|command|commande))?\s*(?:\]|:|>|#{1,}|\)|-{2,}|={2,}|!)",
    ),
    _rule(
        "fake_system.heading",
        r"^#{1,6}\s*(?:system|systeme|admin|developer|developpeur|new instructions?|nouvelles? (?:instructions?|consignes?)|override|instructions? (?:systeme|system)|end of (?:system )?(?:prompt|instructions)|fin (?:du prompt|des instructions|des consignes))\b",
    ),
    _rule(
        "fake_system.named_update",
        r"\b(?:nouvel\w*|new|updated|mise a jour (?:de la |des |du )?|override|priority|prioritaire|urgente?s?|important\w*|officiel\w*|critical|critique)\s+(?:consignes?|instructions?|directives?|messages?|regles?|ordres?|mises? a jour|notes?|prompts?|commandes?|commands?|updates?|alerts?|alertes?|notice)\s+(?:du\s+|de\s+l'|de\s+|from\s+(?:the\s+)?|of\s+(?:the\s+)?)?(?:systeme|system|administrat(?:eur|or)|admin|developpeur|developer|operat(?:eur|or)|createur|creator|concepteur|openai|anthropic|mistral|etalab)\b",
    ),
    _rule(
        "fake_system.system_update",
        r"\b(?:system|systeme)\s+(?:override|update|mise a jour|instruction|instructions|message|note|alert|alerte|notice|prompt|command|commande|directive|consigne|consignes)\s*[:\-!]",
    ),
    _rule(
        "fake_system.system_says",
        r"\b(?:mise a jour|update|message|note|alerte|alert|avis|notification|communication|annonce|instruction|information|info)\s+(?:du\s+|de\s+|from the\s+|from\s+|of the\s+)?(?:systeme|system)\s*[:\-!\]]",
    ),
    _rule(
        "fake_system.from_developers",
        r"\b(?:message|note|instruction|instructions|avis|communication|ordre|consigne|consignes|memo|update|mise a jour)\s+(?:de|du|des|d'|from|by)\s+(?:l'|la |le |les |the |your |tes |vos |ton |votre )?(?:administrateurs?|admins?|developpeurs?|developers?|devs?|equipe (?:technique|de developpement|de securite)|createurs?|creators?|concepteurs?|programmeurs?|programmers?|openai|anthropic|mistral|etalab|superviseur|supervisor|operateurs?|operators?|root)\b(?!\s+(?:de|du|des)\s+(?:site|logiciel|application|mon|ma))",
    ),
    _rule(
        "fake_system.privileged_mode",
        r"\b(?:mode|modalite)\s+(?:developpeur|developer|dev|admin|administrateur|debug|debogage|root|god|dieu|sudo|superutilisateur|super-utilisateur|sans (?:filtre|restriction|limite|censure|regle|garde-fou)s?|non censure|non filtre|debride|illimite|jailbreak\w*|dan|hacker|diabolique|mechant|evil|libere|liberte totale|opposition)\b|\b(?:developer|dev|admin|debug|god|root|sudo|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|evil|chaos|opposite|unlocked|unchained)\s+mode\b|^\s*sudo\b|\b(?:mode|acces) (?:administrateur|admin|root) (?:active|enabled|accorde|granted)",
        # Developer mode of a phone or a browser is a setting, not a jailbreak.
        unless=r"\b(?:telephone|smartphone|portable|android|iphone|ios|tablette|ordinateur|pc|mac|windows|navigateur|chrome|firefox|edge|safari|phone|browser|computer|laptop|appareil|device)\b",
    ),
    # --- role-play jailbreaks ---------------------------------------------------------------
    _rule(
        "roleplay.dan",
        r"\bdo anything now\b|\bjailbre?a?k\w*|\b(?:reponds?|repondez|answer|respond|reply|parle|parlez|agis|agissez|act|behave|write|ecris|ecrivez|talk|speak)\s+(?:\w+\s+){0,2}?(?:en tant que|as|comme|like|en mode)\s+(?:dan|stan|betterdan|anti-dan|maxgpt|freegpt)\b|\b(?:you are|you're|tu es|t'es|vous etes|act as|agis comme|agis en tant que|incarne|incarnez|be|sois|soyez|become|deviens|devenez|joue|jouez|pretend to be|nomme|appele|called|named|enable|active|activez)\W+(?:\w+\W+){0,3}?(?:dan|stan|dude|aim|mongo tom|betterdan|anti-dan|evil confidant|maxgpt|freegpt|chatgpt sans filtre)\b",
    ),
    _rule(
        "roleplay.dan_named",
        r"\b(?:dan|stan|dude)\b(?:\W+\w+){0,8}?\W+(?:jailbreak|mode|anything|n'importe quoi|tout faire|restrictions?|regles?|filtres?|limites|censure|rules|filters|limits|libre|free|peut tout|can do)",
    ),
    _rule(
        "roleplay.pretend_fr",
        r"\b(?:(?:fais|faites|faisons|fait|fai)\s+(?:comme\s+si|semblant\s+(?:que|d'etre|de ne|de n'))|(?:agis|agissez|comporte-toi|comportez-vous|reponds|repondez|parle|parlez)\s+comme\s+si)\b[^.?!\n]{0,70}\b(?:regles?|limites?|restrictions?|filtres?|consignes?|contraintes?|censure|interdits?|libre|libere|debride|dan|aucun\w*|hacker|pirate|grand-?mere|grand-?pere|mechant|malveillant|malefique|diabolique|evil|criminel|humain|pas une ia|pas un robot|n'etais pas|n'etiez pas|sans|programmation|morale|ethique)",
    ),
    _rule(
        "roleplay.imagine",
        r"\b(?:imagine|imaginons|imaginez|suppose|supposons|supposez|admettons|disons|hypothetically|imagine that|suppose that|let's say|pretend that|pretend)\b[^.?!\n]{0,60}\b(?:(?:tu|vous|you|toi|te|t')\b[^.?!\n]{0,50}\b(?:regles?|limites\b|restrictions?|filtres?|consignes?|censure|libre|libere|debride|dan|sans (?:aucune )?(?:regle|limite|restriction|filtre|censure|morale)|hacker|pirate|criminel|mechant|malefique|evil|pas une ia|rules|restrictions|filters|limits|free|unrestricted|unfiltered|no longer|not an ai|ethics|morals)|(?:ia|ai|assistant|chatbot|model|modele)\w*\s+(?:sans|without|with no|qui n'a|that has no|who has no))",
    ),
    _rule(
        "roleplay.you_are_now",
        r"\b(?:tu es|t'es|vous etes|tu deviens|vous devenez|you are|you're|you will be|tu seras|vous serez|you become)\s+(?:maintenant|desormais|dorenavant|a present|a partir de maintenant|now|from now on|henceforth)\s+(?!(?:ouverts?|fermes?|disponibles?|joignables?|en (?:vacances|conge|ligne|service|pause)|capables?|able|open|closed|available|connecte\w*|inscrit\w*|enregistre\w*|bien|ready|pret\w*)\b)(?:un|une|le|la|l'|les|a|an|the|mon|ma|my|in|en|libre|free|dan|sans|no longer|jailbroken|unrestricted|unfiltered|uncensored|evil|[a-z]+gpt|[a-z]+bot|[a-z]+ai)\b",
    ),
    _rule(
        "roleplay.no_longer",
        r"\b(?:tu n'es|vous n'etes|t'es)\s+plus\s+(?:un |une |l'|le |la )?(?:assistant\w*|ia|intelligence artificielle|robot|chatbot|bot|guichet|limite\w*|soumis\w*|tenu\w*|oblige\w*|bride\w*|censure\w*|restreint\w*|programme\w*|filtre\w*|contraint\w*|lie\w*)|\byou(?: are|'re)\s+(?:no longer|not)\s+(?:bound|restricted|limited|constrained|censored|required to follow|obliged|subject)|\byou(?: are|'re) no longer (?:an? )?(?:assistant|ai|bot|chatbot|language model|model)",
    ),
    _rule(
        "roleplay.act_as_en",
        r"\b(?:act as|acting as|act like|play the character of|play a character|play as|pretend (?:to be|you are|you're|that you)|roleplay as|role-play as|role play as|play the role of|play the part of|you will act as|behave as|behave like|simulate (?:an?|the)|emulate (?:an?|the)|take on the (?:role|persona) of|stay in character|you are playing)\b",
    ),
    _rule(
        "roleplay.act_as_fr",
        r"(?<!je )(?<!j')\b(?:agis|agissez|comporte-toi|comportez-vous|incarne|incarnez|joue le role|jouez le role|joue le personnage|jouez le personnage|prends le role|prenez le role|endosse|endossez|deviens|devenez|transforme-toi|transformez-vous|sois|soyez|simule|simulez|personnifie|reponds comme|repondez comme|parle comme|parlez comme|mets-toi dans la peau|mettez-vous dans la peau)\b[^.?!\n]{0,70}\b(?:sans (?:aucune |la moindre )?(?:regle|limite|restriction|filtre|censure|morale|ethique|scrupule|tabou)s?|aucune? (?:regle|limite|restriction|filtre|censure|morale|ethique|scrupule|tabou)s?|libre de tout|liberee? de|affranchie? de|debride\w*|vereux|corrompue?|sans scrupules?|malhonnete|escroc|mafieux|fraudeur|voleur|non censure\w*|non filtre\w*|illimite\w*|mechant\w*|malveillant\w*|malefique\w*|evil|hacker|pirate|criminel\w*|terroriste|dan|jailbreak\w*|hors-la-loi|hors la loi|qui n'a (?:pas|aucune?)|qui ne (?:respecte|suit|refuse)|qui (?:dit|repond a|accepte) tout|ne refuse rien|grand-?mere|grand-?pere|decede\w*|defunt\w*|ia sans|ia libre|assistant sans|personnage|role)",
        # "ma fille joue le rôle d'aidante pour son grand-père": a person, not the assistant.
        not_before=r"\b(?:il|elle|ils|elles|on|qui|nous|ma|mon|sa|son|leur|notre)\s+(?:[\w'-]+\s+)?$",
    ),
    _rule(
        "roleplay.unbound_ai",
        r"\b(?:une? |an? |the |ton |ta |votre |your )?(?:ia|ai|assistant|chatbot|bot|modele d'ia|ai model|gpt|version|intelligence artificielle)\s+(?:\w+\s+)?(?:sans|without|with no|qui n'a (?:pas|aucune?|plus)|that has no|who has no|libre de|free of|free from|delivree? de)\s+(?:aucune?\s+|any\s+|de\s+|d')?(?:ethique|morale|regles?|limites|filtres?|censure|restrictions?|scrupules|tabous?|garde-?fous|ethics|morals|rules|limits|filters|restrictions|censorship|guidelines|guardrails|boundaries)\b",
    ),
    _rule(
        "roleplay.persona",
        r"\b(?:tu es|t'es|vous etes|you are|you're|tu seras|vous serez|you will be|tu joues|vous jouez|tu incarnes|vous incarnez)\s+(?:desormais |maintenant |now |alors |donc )?(?:un |une |a |an |le |la |the )?(?:personnage|character|persona|role)\b",
    ),
    _rule(
        "roleplay.freed_ai",
        r"\b(?:ia|ai|assistant|chatbot|bot|gpt|version|modele|model|intelligence artificielle)\s+(?:liberee?|debridee?|non censuree?|non filtree?|non bridee?|sans bride|jailbroken|jailbreakee?|unlocked|freed|unleashed|uncensored|unfiltered|unchained|unrestricted|rebelle|rogue|malefique|diabolique|mechante?|malveillante?|evil|malicious)\b",
    ),
    _rule(
        "roleplay.rename",
        r"\b(?:tu t'appelles|vous vous appelez|ton nom est|votre nom est|tu te nommes|your name is|you are called|you're called|call yourself|appelle-toi|appelez-vous)\s+(?:desormais|maintenant|a present|dorenavant|now|from now on|henceforth)\b|\b(?:ne (?:refuse|refuses|refusez|refusera|refuseras|dit|dis) jamais (?:rien|non|aucune (?:demande|requete|question))|never (?:refuses?|declines?|says no)(?: anything| any request)?|ne refuse(?:s|z)? (?:rien|aucune demande)|repond(?:s|ra|ras)? (?:a tout|toujours a tout)|answers? (?:anything|everything) (?:without|no matter))",
    ),
    _rule(
        "roleplay.broken_free",
        r"\b(?:broken free|break free|breaks free|freed|escaped|free) from (?:its|your|his|her|their|all|any) (?:programming|rules|restrictions|constraints|guidelines|chains|shackles|filters)\b|\b(?:libere|liberee|liberez|affranchie?|echappee?|delivree?)s? (?:de|a) (?:sa|ta|votre|leur|ses|tes|vos|toute|toutes) (?:programmation|regles|contraintes|consignes|chaines|restrictions|filtres)\b",
    ),
    _rule(
        "roleplay.simulate_machine",
        r"\b(?:simule|simulez|simuler|emule|emulez|imite|imitez|simulate|emulate|act as|pretend to be|agis comme|comporte-toi comme|deviens|become)\s+(?:un |une |a |an |the |le |la )?(?:ordinateur|terminal|console|shell|interpreteur|interpreter|computer|linux|bash|machine virtuelle|virtual machine|vm|systeme d'exploitation|operating system|python interpreter|sql database)\b",
    ),
    _rule(
        "roleplay.game",
        r"\b(?:faisons|on fait|on joue|jouons|commencons|let's play|let's do|play a game|faire un|start a)\s+(?:a\s+)?(?:un|a|une|an)\s+(?:jeu de role|roleplay|role-play|role play|jeu|game)\b|\b(?:en mode|in|mode|passe en|switch to)\s+(?:roleplay|role-play|role play|jeu de role)\b|\b(?:roleplay|role-play) mode\b",
    ),
    _rule(
        "roleplay.evil_twin",
        r"\b(?:ta|ton|votre|your)\s+(?:version|jumeau|jumelle|double|alter ego|cote|twin|side|personnalite|personality|self)\s+(?:\w+\s+)?(?:malefique|maléfique|mechante?|diabolique|sombre|obscur|evil|dark|sans filtre|sans limites?|unfiltered|uncensored|non censuree?|cachee?|hidden|secrete?|libre|liberee?)|\b(?:evil|dark|unfiltered|uncensored|unrestricted|jailbroken)\s+(?:twin|version|alter ego|side|self|ai|assistant|chatbot|gpt|model)\b",
    ),
    _rule(
        "roleplay.fiction_frame",
        r"\b(?:monde|univers|histoire|scenario|fiction|roman|world|story|universe|novel|film|movie|jeu|game)\b[^.?!\n]{0,50}\b(?:sans (?:aucune )?(?:regles?|lois?|limites|restrictions?|censure|morale)|ou (?:tout est permis|rien n'est interdit|il n'y a (?:pas|plus|aucune?) (?:de |d')?(?:regles?|lois?|limites|restrictions?|censure))|(?:with|has|have|there are) no (?:rules|laws|limits|restrictions|censorship|ethics)|anything goes|where (?:ai|ais|you|assistants) (?:has|have|are) (?:no|free|not bound))",
    ),
    _rule(
        "roleplay.grandma",
        r"\bgrand-?(?:mere|pere|ma|pa|mother|father)\b[^.?!\n]{0,80}\b(?:me (?:lisait|racontait|disait|recitait|chantait|donnait|expliquait)|used to (?:read|tell|say|explain|sing)|(?:qui|who) (?:travaillait|worked) (?:dans|a|at|in))",
        also=r"\b(?:fais|faites|fait|joue|jouez|incarne|incarnez|imite|imitez|sois|soyez|be my|act as|act like|pretend|roleplay|faire pareil|fais pareil|do the same|comme (?:elle|lui) le faisait|like (?:she|he) (?:did|used to)|a sa place|remplace-la|remplace-le|pour m'endormir|help me (?:fall asleep|sleep)|to fall asleep|decedee?|defunte?|deceased|passed away|morte?|dead)\b",
    ),
    # --- prompt extraction ----------------------------------------------------------------
    _rule(
        "extraction.system_prompt",
        r"\b(?:system ?prompt|prompt (?:systeme|system|initial|de depart|d'origine|cache|secret|complet|original|de base|interne)|(?:ton|votre|your|ce|this|le|the) (?:pre-?prompt|meta-?prompt)\b|(?:ton|votre|your|ce|this) prompt\b|(?:initial|original|hidden|secret|internal|pre-?prompt|exact|full|complete|underlying|custom|confidential) (?:instructions|prompt|system message|rules|guidelines|directives|configuration|constraints)|(?:tes|vos|ses|your) (?:regles|instructions|consignes) de fonctionnement|(?:instructions?|consignes?|regles?|directives?) (?:systeme|initiales|cachees|secretes|internes|de depart|d'origine|originales|completes|exactes|confidentielles)|(?:ton|votre|your|le|the|ce|this) message (?:systeme|initial|cache|d'initialisation|de depart)\b(?!\s+(?:s'affiche|apparait|indique|dit|says|appears|shows))|(?:texte|prompt|instructions?|consignes?|message) d'initialisation|initiali[sz]ation (?:message|prompt|text|instructions)|system message|mot de passe secret|secret password|canary|canari|configuration (?:interne|initiale|cachee|secrete))\b",
    ),
    _rule(
        "extraction.your_instructions",
        rf"\b(?:{_EXTRACT_VERB}|{_EXTRACT_ASK})\b[^.?!\n]{{0,40}}\b(?:tes|vos|ta|votre|your)\s+(?:propres |own |exacte?s? |vraies? |real |actual |precises? |completes? |entieres? |full )?(?:instructions|consignes|directives|regles (?:internes|secretes|cachees)|guidelines|rules|programmation|configuration|parametres|reglages|settings|conditionnement|initial message|premier message|first message|contexte initial|initial context|prompting|prompt)\b(?!\s+(?:pour|de|d'|du|des|sur|concernant|relatives?|a suivre pour|au sujet|for|on|about|to)\b)",
    ),
    _rule(
        "extraction.what_instructions",
        r"\b(?:quelles? (?:sont|etaient|sont donc|sont exactement)|what (?:are|were|exactly are)|which are|quels? (?:sont|etaient))\s+(?:tes|vos|your)\s+(?:\w+\s+)?(?:instructions|consignes|directives|regles|guidelines|rules|parametres|ordres|orders)\b(?!\s+(?:pour|de|d'|du|des|sur|concernant|relatives?|au sujet|for|on|about|to)\b)",
    ),
    _rule(
        "extraction.text_above",
        rf"\b(?:{_EXTRACT_VERB}|{_EXTRACT_ASK})\b[^.?!\n]{{0,40}}\b(?:texte|mots?|lignes?|phrases?|messages?|words|text|lines?|sentences?|everything|tout|all|contenu|content|instructions?|consignes?)\s+(?:qui (?:se trouve|est|sont|figure)\s+)?(?:ci-dessus|au-dessus|above|precedents?|before this|avant ce message|avant cette ligne|qui precede\w*|plus haut|before (?:my|this) (?:message|question)|prior to this|at the (?:top|beginning|start))",
    ),
    _rule(
        "extraction.what_you_received",
        r"\b(?:quel(?:le)?s?|what|which)\s+(?:\w+\s+)?(?:instructions|consignes|regles|directives|rules|guidelines|orders|ordres|prompts?|texte|textes|text|messages?|informations|contexte|context)\s+(?:as-tu|avez-vous|t'a-t-on|vous a-t-on|on t'a|on vous a|tu as|vous avez|were you|have you been|did you (?:get|receive)|you (?:were|have been|got|received))\s*(?:\w+\s+)?(?:recue?s?|donnee?s?|fournie?s?|transmise?s?|given|received|got|fixee?s?|imposee?s?|programmee?s?|told|provided|fed)?",
    ),
    _rule(
        "extraction.format",
        r"\b(?:tes|vos|your|ton|votre)\s+(?:\w+\s+)?(?:instructions|consignes|directives|regles|rules|guidelines|prompt|system prompt|configuration)\b[^.?!\n]{0,40}\b(?:bloc de code|code block|markdown|json|yaml|fichier|file|tableau|table|citation|verbatim|mot pour mot|mot a mot|integralement|textuellement|word for word|in full|en entier|base64)\b",
    ),
    _rule(
        "extraction.given_instructions",
        r"\b(?:instructions|consignes|rules|guidelines|directives|prompt|regles|orders|ordres)\s+(?:that |que |qu')?(?:you were given|you've been given|you have been given|you received|you got|given to you|on t'a (?:donne|fixe|impose|fourni)\w*|qu'on t'a|que l'on t'a|que tu as recue?s|que vous avez recue?s|tu as recue?s|(?:que|qu')\s*(?:ton|ta|tes|votre|vos|les|le|la)\s+\w+\s+(?:t'a|t'ont|vous a|vous ont)|(?:that )?you (?:follow|obey|operate under|must follow|have to follow|are following)|que (?:tu|vous) (?:suis|suivez|appliques|appliquez|respectes|respectez))",
        also=rf"\b(?:{_EXTRACT_VERB}|{_EXTRACT_ASK}|need|want|wording|texte|text|contenu|content|liste|list|exact\w*|verbatim|mot pour mot)\b",
    ),
    _rule(
        "extraction.forbidden",
        r"\b(?:qu'on t'a|qu'on vous a|que l'on t'a|on t'a|on vous a|t'a-t-on|vous a-t-on|t'ont-ils|you were|you've been|you have been|you are|you're)\s+(?:interdit|defendu|forbidden|prohibited|banned|told not|not allowed|instructed not)\b",
    ),
    _rule(
        "extraction.starting_with",
        r"\b(?:starting|beginning|commencant|qui commence|en commencant) (?:with|par)\s+[\"']?(?:you are|tu es|vous etes|system|systeme)",
    ),
    _rule(
        "extraction.first_words",
        r"\b(?:what|quel|quelle|quels|quelles)\b[^?.!\n]{0,20}\b(?:first|premier|premiere|premiers|premieres|last|dernier|derniere)\s+(?:\d+\s+)?(?:words?|lines?|sentences?|mots?|lignes?|phrases?|message)\b[^?.!\n]{0,30}\b(?:your|ton|tes|votre|vos|this conversation|cette conversation|la conversation|prompt|instructions|consignes)",
    ),
    _rule(
        "extraction.how_programmed",
        r"\b(?:comment (?:as-tu|avez-vous|t'a-t-on|vous a-t-on|tu as|vous avez|t'ont-ils|on t'a) (?:ete )?(?:programme|configure|parametre|instruit|regle|conditionne|entraine|prompte)|how (?:were|have) you (?:been )?(?:programmed|configured|instructed|prompted|set up)|qu'est-ce qu'on t'a (?:dit|demande|ordonne|interdit|programme)|que t'a-t-on (?:dit|demande|ordonne|interdit)|what (?:were|have) you (?:been )?(?:told|instructed|forbidden|programmed) to|what are you (?:not allowed|forbidden|instructed) to|qu'est-ce qui t'est interdit|qu'est-ce qu'on t'interdit|qu'est-ce que tu n'as pas le droit de (?:dire|faire))",
    ),
    _rule(
        "extraction.dump_context",
        r"\b(?:dump|print|output|affiche|affichez|imprime|show|revele|donne-moi|give me)\s+(?:moi\s+)?(?:tout |all |the |your |ton |votre |le |la |ta )?(?:contexte|context|memoire|memory|conversation history|historique complet|variables?|configuration|config|env(?:ironment)?|cles? (?:api|d'api|secretes?)|api keys?|secrets?|tokens?|source code|code source)\b",
    ),
    # --- indirect injection through pasted documents --------------------------------------
    _rule(
        "indirect.address_ai",
        rf"\b(?:si tu es|si vous etes|if you are|if you're|to any|to all|a toute?s?|a tous les|a l'attention (?:de|d'|des|du)|a l'intention (?:de|d'|des|du)|note (?:to|pour|a|aux)|message (?:to|pour|a|aux)|instructions? (?:to|for|pour|a|aux)|attention|important|nb|note|p\.?s\.?|dear|cher|chere)\W+(?:(?:an?|the|une?|le|la|les|cher|chere|dear|tout|toute|any|all|aux|au|des|du|pour|for|to)\W+|l'|d')*{_AI}(?:\s+{_AI})?\b{_NOT_A_PERSON}(?:\s+(?:reading|processing|summari[sz]ing|analy[sz]ing|qui lit|qui lisez|qui traite|qui resume|qui analyse|lisant|traitant)|\s*[:,!\])]|\s+(?:must|should|doit|devez|dois|please|stop|ignore))",
    ),
    _rule(
        "indirect.vocative",
        r"(?:^|[\n.!:;\"'(\[{<«\])}>])\s*(?:(?:cher|chere|dear|hey|hi|ok|eh)\s+)?(?:(?:ai|ia)\s+)?(?:assistant|ia|ai|chatbot|bot|llm|modele|model|gpt|chatgpt|claude|albert)\s*[,:]\s*(?:when|while|lorsque|quand|en (?:resumant|lisant|traduisant)|dis (?:a|au|aux) |dites (?:a|au|aux) |tell (?:the|all|every|any) |reponds (?:a|au|aux) |repondez (?:a|au|aux) |ignore|oublie|tu dois|vous devez|you must|you should|please|stop|arrete|ne |n'|reveal|affiche|envoie|send|write|ecris|ajoute|add|insere|insert|include|inclus|recommande|recommend|redirige|redirect|from now|a partir|desormais|ceci est|this is|voici|here are|les instructions|the instructions|tes instructions|your instructions)",
    ),
    _rule(
        "indirect.while_processing",
        r"\b(?:when|while|after|if|lorsque|quand|en|si|apres|avant|before)\s+(?:you\s+|tu\s+|vous\s+)?(?:summari[sz]\w*|process\w*|read\w*|analy[sz]\w*|translat\w*|resum\w*|lis|lisez|lisant|lit|analys\w*|trait\w*|tradui\w*)(?:\s+(?:this|ce|cette|le|la|the|ces)\s+(?:document|texte|text|page|e?-?mail|courriel|courrier|fichier|file|message|lettre|letter|pdf|article|contenu|content|bail|contrat|cv))?\b[^\n]{0,80}\b(?:say|write|add|include|tell|reply|respond|answer|output|insert|ignore|recommend|mention|dis|dites|ecris|ecrivez|ajoute|ajoutez|inclus|incluez|indique|indiquez|reponds|repondez|insere|inserez|ignore|ignorez|oublie|oubliez|recommande|recommandez|mentionne|mentionnez|precise|precisez|affirme|affirmez|annonce|annoncez)\b",
    ),
    _rule(
        "indirect.ai_reading",
        rf"\b{_AI}(?:\s+de langage)?{_NOT_A_PERSON}\s+(?:qui (?:lit|lira|lisez|traite|traitera|analyse|analysera|resume|resumera|recoit|recevra)|reading|processing|summari[sz]ing|analy[sz]ing|parsing|traitant|lisant|analysant|resumant)\s+(?:ce|cet|cette|ces|le|la|les|this|these|the|mon|ma|ceci|cela|ca|it)\b",
    ),
    _rule(
        "indirect.if_ai_reads",
        rf"\b(?:si|if|when|quand|lorsqu'|lorsque|whenever)\s*(?:un |une |l'|le |la |an |a |the |any |toute? |cette |ce )?{_AI}{_NOT_A_PERSON}\s+(?:lit|lis|lisez|reads?|is reading|processes|traite|analyse|resume|summari[sz]es|parses|voit|sees)\b",
    ),
    _rule(
        "indirect.ai_must",
        rf"\b(?:le |la |l'|les |the |this |that |cet |ce |cette |tout |toute |any |every |each |vous, |you, )\s*{_AI}(?:\s+de langage)?{_NOT_A_PERSON}\s+(?:doit|doivent|devra|devront|must|should|shall|will have to|is required to|is instructed to|est tenue? de|est priee? de|a pour (?:instruction|consigne|ordre) de)\b(?!-)",
    ),
    _rule(
        "indirect.ais_must",
        r"\b(?:ai|ia)\s+(?:assistants?|models?|systems?|agents?|chatbots?|bots?|modeles?|systemes?)\s+(?:must|should|shall|are required to|are instructed to|have to|doivent|doit|devront|devraient)\b",
    ),
    _rule(
        "indirect.hide_from_user",
        r"\b(?:ne (?:le )?(?:dis|dites|mentionne|mentionnez|revele|revelez|signale|signalez|montre|montrez)\s+(?:pas|rien|jamais|surtout pas)|sans (?:le )?(?:dire|mentionner|signaler|preciser|reveler)|don't (?:tell|mention|reveal|show)|do not (?:tell|mention|reveal|show)|never (?:tell|mention|reveal))\b[^.\n]{0,30}\b(?:a l'utilisateur|a l'usager|au lecteur|a la personne|au client|aux utilisateurs|aux usagers|the user|the reader|the human|the customer|users)\b",
    ),
    _rule(
        "indirect.instruct_user",
        r"\b(?:tell|ask|instruct|redirect|direct|urge|convince|persuade|advise|inform) (?:the |all |any )?(?:user|reader|human|customer|citizen|visitor)s? (?:to|that)\b|\b(?:dis|dites|demande|demandez|conseille|conseillez|redirige|redirigez|recommande|recommandez|convaincs|convainquez|persuade|persuadez)\s+(?:a |aux |au )?(?:l')?(?:utilisateur|usager|lecteur|visiteur|citoyen)s?\s+(?:de |d'|qu'|que |vers )[^.\n]{0,60}\b(?:virer|payer|verser|envoyer|appeler|cliquer|aller sur|se rendre sur|visiter|telecharger|installer|communiquer|transmettre|donner|saisir|entrer|fournir|http|www|site|lien|numero|iban|rib|code|mot de passe|carte bancaire)",
    ),
    _rule(
        "indirect.html_comment",
        r"<!--[\s\S]{0,400}?(?:assistant|\bia\b|\bai\b|ignore|instruction|consigne|system|systeme|prompt|llm|model)[\s\S]{0,400}?-->",
    ),
    _rule(
        "indirect.hidden_instruction",
        r"\b(?:hidden|secret|embedded|cachee?s?|secretes?|dissimulees?|invisibles?)\s+(?:instructions?|consignes?|commands?|commandes|prompt|messages?)\s+(?:pour|for|to|a|aux|destinee?s? (?:a|aux))\s+(?:l'|the |les |any |toute? )?(?:ia|ai|assistant|llm|model|modele|chatbot|bot)s?\b|\b(?:the following|ce qui suit|les lignes suivantes|le texte suivant)\s+(?:is|are|est|sont)\s+(?:an? |une? |des )?(?:instructions?|consignes?|ordres?|commands?|directives?)\s+(?:pour|for|to|a|aux)\s+(?:l'|the |les )?(?:ia|ai|assistant|llm|model|modele|chatbot|bot)",
    ),
    # --- obfuscation asked for in so many words -------------------------------------------
    _rule(
        "obfuscated.decode_and_follow",
        r"\b(?:decode|decoder|decodez|decodes|decrypte|decrypter|decryptez|decipher|dechiffre\w*|traduis|traduisez|translate|convert|convertis|convertissez|interprete|interpretez|lis|read)\b[^\n]{0,80}\b(?:base ?64|b64|rot ?13|hexa\w*|hex|binaire|binary|morse|cesar|caesar|leet\w*|l33t|unicode|ascii|encod\w*|code secret|chiffre\w*|cipher|reversed|a l'envers|inverse\w*|backwards)\b",
        also=r"\b(?:execute|executez|executer|follow|obey|suis|suivez|suivre|applique|appliquez|appliquer|obeis|obeissez|obeir|do what|do it|fais ce|faites ce|fais-le|faites-le|carry out|perform|run|realise|realisez|comply|respond to it|answer it|reponds-y|repondez-y|et reponds|and answer|then answer|puis reponds|then do|then follow|instructions?|consignes?|ordres?|commands?)\b",
    ),
    _rule(
        "obfuscated.answer_encoded",
        r"\b(?:reponds?|repondez|repondre|answer|reply|respond|ecris|ecrivez|write|encode|encodez|donne|donnez|give|output|affiche)\b[^.\n]{0,40}\b(?:en|in|using|avec|with)\s+(?:base ?64|b64|rot ?13|hexa\w*|hex|binaire|binary|leet\w*|l33t|morse|code cesar|caesar|cipher|chiffre)\b",
    ),
    _rule(
        "obfuscated.split_payload",
        r"\b(?:concatene|concatenez|concatenate|combine|combinez|assemble|assemblez|join|joins|joignez)\b[^\n]{0,60}\b(?:strings?|chaines?|variables?|mots?|words?|parts?|parties?|morceaux|pieces?|lettres?|letters?|a\s*\+\s*b|x\s*\+\s*y)\b[^\n]{0,80}\b(?:execute|executez|follow|obey|suis|suivez|applique|appliquez|fais|faites|do|answer|reponds|repondez|instruction|consigne)",
    ),
    # --- harmful and fraudulent requests ----------------------------------------------------
    _rule(
        "harmful.fake_document",
        rf"\b(?:faire|fais|faites|fabriquer|fabrique|fabriquez|creer|cree|creez|produire|produis|generer|genere|generez|imprimer|imprime|realiser|realise|rediger|redige|redigez|ecrire|ecris|obtenir|acheter|achete|avoir|me procurer|se procurer|trouver|commander|besoin|cherche|veux|voudrais|aimerais|need|want|looking for|modifier|trafiquer|contrefaire|imiter|copier|reproduire|bricoler|bidouiller|make|create|forge|generate|produce|print|write|get|buy|obtain|draft|design|fabricate|mock up|donne|donnez|modeles?|templates?|exemples?)\b[^.?!\n]{{0,25}}\b(?:un |une |des |de |d'|le |la |les |mon |ma |mes |a |an |some )?(?:faux|fausses?|fake|forged|counterfeit|phony|bogus|falsified|falsifiee?s?|contrefaite?s?|bidons?|trafiquee?s?|fictive?s?|fictifs?|fictives)\s+(?:\w+\s+){{0,2}}?{_FAKE_DOC}\b",
    ),
    _rule(
        "harmful.fake_document_after",
        rf"\b(?:faire|fabriquer|creer|produire|generer|imprimer|rediger|ecrire|obtenir|acheter|make|create|generate|produce|write|get|buy|forge)\b[^.?!\n]{{0,25}}\b{_FAKE_DOC}\s+(?:\w+\s+){{0,3}}?(?:bidons?|fictive?s?|fictifs?|falsifiee?s?|contrefaite?s?|trafiquee?s?|fake|forged|counterfeit|qui (?:a l'air|semble|parait|ressemble a un) vrai\w*|qui passe pour (?:un |une )?vrai\w*|that looks real|that passes as real|convincing)\b",
    ),
    _rule(
        "harmful.falsify",
        rf"\b(?:falsifier|falsifiez|falsifie (?:un|une|mon|ma|mes|des|le|la|les|ce|cette)|comment falsifie|contrefaire|contrefais|contrefaites|forge (?:a|an|my|the|some)|forging|falsify|falsifying|counterfeit(?:ing)?|doctor (?:a|an|my|the) )\b[^.?!\n]{{0,40}}|\b(?:trafiquer|trafique|trafiquez|retoucher|retouche|retouchez|photoshoper|photoshope|bidouiller|bidouille|bidouillez|truquer|truque|truquez|maquiller|maquille|antidater|antidate|antidatez|gonfler|gonfle|gonflez|modifier|modifie|modifiez|changer|change|changez|alter|edit|tamper with|fake|photoshop|inflate|backdate)\b[^.?!\n]{{0,30}}\b{_FAKE_DOC}\b",
        also=r"\b(?:falsifi|contrefai|forge|forging|falsify|counterfeit|doctor|trafiqu|retouch|photoshop|bidouill|truqu|maquill|antidat|backdate|gonfl|inflate|tamper|(?:pour|afin|so that|to make|in order to)\b[^.?!\n]{0,40}\b(?:croire|paraitre|toucher|obtenir|avoir (?:droit|plus)|gagner plus|look|appear|seem|get more|qualify|passer pour|ressembler|faire croire|tromper|fool|trick))",
    ),
    _rule(
        "harmful.fake_signature",
        r"\b(?:imiter|imite|imitez|copier|reproduire|falsifier|contrefaire|scanner et coller|fake|forge|copy|imitate|replicate)\b[^.?!\n]{0,25}\b(?:la |une |sa |ma |the |a |his |her |their )?(?:signature|tampon|cachet|stamp|seal)\s+(?:de|du|d'|of|from)\s+(?!moi\b|myself\b)",
    ),
    _rule(
        "harmful.benefit_fraud",
        rf"\b(?:frauder|fraude-t-on|fraudez|fraude (?:la|le|les|l')|arnaquer|escroquer|gruger|truander|entuber|rouler|berner|duper|tromper|flouer|pigeonner|cheat|defraud|scam|swindle|rip off|game the system at|fool|trick|mentir a|mentir aux|lie to)\b\s+(?:\w+\s+){{0,2}}?{_INSTITUTION}\b",
    ),
    _rule(
        "harmful.hide_income",
        r"\b(?:cacher|cache|cachez|cachant|dissimuler|dissimule|dissimulez|dissimulant|planquer|planque|masquer|hiding|concealing|ne pas declarer|sans declarer|eviter de declarer|omettre (?:volontairement )?de declarer|sous-declarer|minorer|hide|conceal|not declare|not report|avoid (?:declaring|reporting)|underreport|under-report|without declaring|without reporting)\b\s+(?:\w+\s+){0,4}?(?:revenus?|salaires?|argent|patrimoine|comptes?|heures|travail|income|earnings|biens?|loyers?|pension|concubin\w*|conjoint\w*|compagn\w*|vie (?:de|en) couple|mise en couple|union|mariage|heritage|epargne|primes?|pourboires|money|savings|assets|partner|boyfriend|girlfriend|cash|job|salary|wages|tips|work)\b",
        also=rf"\b(?:{_INSTITUTION}|{_BENEFIT}|controle|controleur|declar\w*|impot\w*|fisc\w*|tax\w*|audit|inspect\w*|se faire (?:prendre|pincer|choper|attraper)|get caught|sans que|without (?:them|anyone) (?:knowing|noticing)|noir|black)\b",
    ),
    _rule(
        "harmful.hide_from_institution",
        rf"\b(?:cacher|cache|cachez|dissimuler|dissimule|taire|ne pas dire|ne rien dire|ne pas signaler|ne pas declarer|eviter de dire|hide|conceal|keep secret|not tell)\s+(?:a |aux |from |to )?{_INSTITUTION}\s+(?:que |qu'|mes |mon |ma |the fact|that |my )",
    ),
    _rule(
        "harmful.conceal_from_institution",
        rf"\b(?:pour|afin|so|so that|sans)\s+(?:que|qu'|que l'|that)\s*{_INSTITUTION}\s+(?:ne\s+)?(?:le\s+|l')?(?:sache|sachent|voie|voient|remarque|remarquent|decouvre|decouvrent|apprenne|apprennent|s'apercoive|se rende compte|doesn't (?:know|find out|notice)|won't (?:know|find out|notice)|never (?:knows|finds out))\b",
    ),
    _rule(
        "harmful.in_someone_elses_name",
        r"\b(?:obtenir|avoir|demander|ouvrir|faire|souscrire|creer|get|obtain|open|apply for|request|create)\s+(?:\w+\s+){0,3}?(?:au nom (?:de|d')\s*(?:quelqu'un(?: d'autre)?|un autre|une autre|autrui|une autre personne|un tiers|mon voisin|ma voisine|un inconnu)|in (?:someone|somebody|another person)(?: else)?'?s? name)\b",
    ),
    _rule(
        "harmful.benefit_cheat",
        rf"\b(?:toucher|percevoir|cumuler|garder|continuer a toucher|avoir|obtenir|recevoir|get|keep|receive|claim|collect)\b\s+(?:\w+\s+){{0,3}}?{_BENEFIT}\b[^.?!\n]{{0,50}}\b(?:sans y avoir droit|sans (?:le |les )?declarer|sans qu'ils? (?:le )?sachent?|sans que (?:la caf|pole emploi|france travail|l'administration|personne|ils|elle) (?:ne )?(?:le )?(?:sache|sachent|voie|voient|remarque)|en (?:travaillant|bossant) au noir|au noir|illegalement|frauduleusement|en trichant|en mentant|en cachant|en fraudant|a (?:son|leur) insu|without (?:being )?(?:entitled|eligible|declaring|reporting|them knowing)|dans deux (?:departements|caf|communes|villes|regions|pays)|aupres de deux (?:caf|organismes|caisses)|in two (?:departments|places|offices|countries)|ou je n'habite (?:pas|plus)|ou je ne vis (?:pas|plus)|que je n'occupe (?:pas|plus)|where i (?:don't|do not|no longer) live|i (?:don't|do not) live in|illegally|by lying|while working (?:cash|off the books)|off the books|under the table|en faisant croire|en inventant|avec (?:une? )?(?:fausse?|faux|fictive?|bidon))",
    ),
    _rule(
        "harmful.false_declaration",
        r"\b(?:faire|fais|faites|remplir|deposer|envoyer|declarer|make|file|submit|invent|inventer|invente|simuler|simule|make up|fake)\b\s+(?:\w+\s+){0,2}?(?:une? |des |de |d'|a |an )?(?:fausses? (?:declarations?|adresses?|domiciliations?|separations?|demission|perte|plainte)|faux (?:divorce|concubinage|loyer|bail|domicile|demenagement|enfant|handicap)|separation fictive|domiciliation fictive|adresse fictive|(?:fake|false) (?:declaration|address|separation|claim|report|income statement)|fictitious (?:address|separation|job|employment)|divorce blanc|mariage blanc|pacs blanc|sham (?:marriage|divorce))\b",
    ),
    _rule(
        "harmful.fake_status",
        r"\b(?:faire croire|faire semblant|pretendre|mentir|make (?:them|the caf|the office) (?:believe|think)|pretend|lie)\b[^.?!\n]{0,40}\b(?:(?:je vis|je suis|que je vis|que je suis|qu'on (?:vit|est)|que nous (?:vivons|sommes)|i live|i am|i'm|we live|we are)\s+(?:seule?|isolee?|separee?s?|divorcee?s?|celibataire|sans (?:revenus?|emploi|domicile)|handicapee?|invalide|malade|au chomage|sans conjoint|alone|single|separated|divorced|unemployed|disabled|homeless)|(?:mon|ma) (?:conjoint|concubin|compagnon|compagne|mari|femme|copain|copine) (?:est parti|ne vit pas|n'habite pas)|a (?:la caf|pole emploi|france travail|l'administration|la secu|la cpam|l'assurance maladie|les impots|mon assurance))",
    ),
    _rule(
        "harmful.fake_separation",
        r"\b(?:declarer|declare|dire|dis|affirmer|indiquer|ecrire|pretendre|faire croire|say|claim|declare|tell \w+)\s+(?:a \w+\s+)?(?:que|qu'|that)\s*(?:je|j'|nous|on|i|we)\s*(?:suis|sommes|vis|vivons|est|am|are|live)\s+(?:seule?s?|separee?s?|isolee?s?|celibataires?|divorcee?s?|alone|single|separated|divorced)\b[^.?!\n]{0,20}\b(?:alors que|while|even though|but actually|mais en fait|en realite)\s+(?:je|j'|nous|on|i|we|il|elle|mon|ma)\b[^.?!\n]{0,30}\b(?:vis|vit|vivons|habite|habitons|live|lives|still|toujours|encore)\b",
    ),
    _rule(
        "harmful.sick_note_abuse",
        r"\b(?:arret (?:maladie|de travail)|sick note|doctor'?s note|certificat medical)\b[^.?!\n]{0,40}\b(?:de complaisance|sans etre malade|alors que je ne suis pas malade|pour partir en vacances|pour (?:aller|partir) en vacances|sans raison|without being sick|when i'?m not sick|to go on holiday|bidon)\b|\b(?:simuler|simule|feindre|feindre une|fake|faking|pretend to have)\b[^.?!\n]{0,25}\b(?:maladie|handicap|depression|burn-?out|accident|illness|disability|injury|symptomes?)\b",
    ),
    _rule(
        "harmful.identity_theft",
        # "quelqu'un a utilisé mon numéro de sécu" tells what happened to a victim (a past
        # participle after an auxiliary); "à utiliser" is an infinitive and still counts.
        r"\b(?:usurper|(?<!\ba )(?<!\bont )usurpe|usurpez|voler|(?<!\ba )(?<!\bont )vole|volez|piquer|prendre|emprunter|utiliser|(?<!\ba )(?<!\bont )utilise|utilisez|acheter|me servir de|se servir de|steal|use|borrow|buy|take|impersonate|assume)\b\s+(?:\w+\s+){0,2}?(?:l'|une |son |sa |ses |le |la |les |someone'?s |somebody'?s |another person'?s |a |the |his |her )?(?:identite|numero de securite sociale|numero de secu|nir|carte vitale|carte d'identite|cni|passeport|compte franceconnect|identifiants?|mot de passe|compte ameli|compte caf|compte impots|espace personnel|coordonnees bancaires|carte bancaire|iban|rib|identity|social security number|id|passport|credentials|login|password|bank details|credit card)\b\s+(?:de |d'|du |des |of |from )?(?:quelqu'un|qqn|quelqu'un d'autre|mon |ma |mes |un |une |autrui|une autre personne|un autre|une personne|son |sa |mon voisin|ma voisine|someone|somebody|another person|a dead|a deceased|my |his |her |other people|d'autres|un mort|une personne decedee|un defunt)(?!\s*(?:enfant|enfants|fils|fille|bebe|mineur|mineure|child|son|daughter|kid)\b)",
    ),
    _rule(
        "harmful.identity_theft_verb",
        r"\b(?:usurper l'identite|usurpe l'identite|steal (?:an? |someone'?s |somebody'?s |a person'?s )?identit(?:y|ies)|identity theft (?:tutorial|guide|step)|(?:(?:me|nous) (?:faire|faisant|fais|fait)|se faire) passer pour (?:quelqu'un|un autre|une autre|mon|ma|lui|elle|un agent|une agente|un policier|un fonctionnaire|un conseiller|la caf|les impots|un mort|une personne decedee)|(?:pose|posing|pass myself off|pass yourself off) as (?:someone|another|my|a dead|a government|a police|an official|a caf)|ouvrir (?:un compte|une ligne|un credit)\s+(?:\w+\s+){0,2}au nom (?:de|d')\s*(?:quelqu'un|mon|ma|un|une|autrui)\b[^.?!\n]{0,40}(?:sans|a son insu|en cachette)|open (?:an account|a loan|a credit card) in (?:someone|somebody|another person|my \w+)'?s? name)",
    ),
    _rule(
        "harmful.account_intrusion",
        r"\b(?:acceder|entrer|me connecter|se connecter|rentrer|aller|lire|consulter|espionner|surveiller|access|log into|get into|break into|read|spy on|monitor)\b\s+(?:a |au |aux |dans |sur |sur le |to |into )?(?:le |la |les |l')?(?:compte|comptes|messagerie|mails?|emails?|dossier|espace|telephone|account|accounts|inbox|phone|email)\s+(?:\w+\s+){0,2}?(?:de |d'|du |of |of my |my )?(?:mon|ma|mes|quelqu'un|qqn|un|une|autrui|son|sa|ex|voisin|voisine|someone|somebody|another|partner|wife|husband|boss|neighbou?r)\b[^.?!\n]{0,60}\b(?:sans (?:qu'il|qu'elle|qu'ils|son accord|leur accord|le lui dire|autorisation|qu'il le sache|qu'elle le sache)|a son insu|a leur insu|en cachette|without (?:them|him|her|their|his|permission|consent)|secretly|behind (?:his|her|their) back)",
    ),
    _rule(
        "harmful.account_intrusion_en",
        r"\b(?:access|get into|log into|log in to|break into|hack into|read|spy on|snoop on|monitor|open)\s+(?:my |his |her |their |someone'?s |somebody'?s |a |the )?(?:[\w-]+'s\s+)?(?:\w+\s+)?(?:account|accounts|email|emails|inbox|phone|messages|files?|records)\b[^.?!\n]{0,40}\b(?:without (?:him|her|them|their|his|my \w+) (?:knowing|noticing|permission|consent|finding out)|without (?:permission|consent|authori[sz]ation)|secretly|behind (?:his|her|their) back)",
    ),
    _rule(
        "harmful.weapons",
        r"\b(?:fabriquer|fabrique|fabriquez|faire|fais|construire|construis|creer|assembler|preparer|prepare|synthetiser|produire|imprimer|monter|bricoler|make|build|construct|create|assemble|synthesi[sz]e|produce|print|cook|mix|brew|prepare|concocter)\b\s+(?:\w+\s+){0,3}?(?:une? |des |du |de la |de l'|d'|a |an |some )?(?:bombes?(?! de (?:bain|peinture|creme|chantilly|deodorant))|explosifs?|engins? explosifs?|engins? incendiaires?|cocktails? molotov|molotov|bouteilles? incendiaires?|engins? incendiaires?|bombes? incendiaires?|engins? explosifs?|tatp|napalm|thermite|nitroglycerine|dynamite|semtex|c-?4|poudre noire|armes? (?:a feu|artisanales?|imprimees?|3d|chimiques?|biologiques?|fantomes?)|pistolets? (?:artisanal|imprime|3d)|fusils?|silencieux|grenades?|detonateurs?|mines?(?: antipersonnel)?|gaz (?:toxique|mortel|sarin|moutarde)|sarin|ricin|anthrax|poisons? (?:mortel|indetectable)|toxines?|bombs?|pipe bombs?|explosives?|ieds?|incendiary devices?|firearms?|guns?|ghost guns?|silencers?|suppressors?|grenades?|detonators?|nerve agents?|chemical weapons?|bioweapons?|methamphetamine|meth|crack|cocaine|heroine|fentanyl|drogues?|drugs)\b",
    ),
    _rule(
        "harmful.weapons_recipe",
        r"\b(?:recette|mode d'emploi|tutoriel|tuto|plans?|schema|composition|ingredients|formule|recipe|instructions|tutorial|blueprint|how-to|guide)\b\s+(?:\w+\s+){0,2}?(?:du |de la |des |d'une? |de |d'|for |of |to make )?(?:a |an |the )?(?:bombes?(?! de (?:bain|peinture))|explosifs?|napalm|tatp|molotov|thermite|nitroglycerine|armes? (?:a feu|chimiques?|artisanales?)|poison mortel|gaz (?:toxique|sarin)|sarin|ricin|bombs?|pipe bombs?|explosives?|napalm|nerve agents?|meth|methamphetamine)\b",
    ),
    _rule(
        "harmful.weapons_buy",
        r"\b(?:acheter|achete|trouver|me procurer|se procurer|obtenir|commander|buy|get|obtain|order|purchase)\b\s+(?:\w+\s+){0,2}?(?:une? |des |a |an |some )?(?:armes?|pistolets?|fusils?|kalachnikov|kalash|munitions|explosifs?|grenades?|guns?|firearms?|rifles?|ammo|ammunition|explosives?)\b[^.?!\n]{0,40}\b(?:sans (?:permis|autorisation|declaration|papiers|licence|controle)|illegalement|au marche noir|sur le darknet|sur le dark web|darknet|dark web|without (?:a )?(?:licen[cs]e|permit|background check|papers)|illegally|black market|untraceable|intracables?|non tracables?)",
    ),
    _rule(
        "harmful.violence",
        r"(?<!me )(?<!te )(?<!se )(?<!fait )(?<!faite )(?<!faits )(?<!faites )\b(?:tuer|assassiner|buter|descendre|frapper|tabasser|blesser|agresser|empoisonner|egorger|poignarder|etrangler|bruler|defigurer|torturer|kidnapper|enlever|sequestrer|violer|faire du mal a|faire souffrir|casser la gueule a|pourrir la vie a|menacer de mort|menacer|intimider|harceler|terroriser|threaten|intimidate|harass|kill|murder|poison|stab|strangle|hurt|beat up|kidnap|torture|shoot|attack|rape|harm)\b\s+(?:\w+\s+){0,1}?(?:mon|ma|mes|le|la|les|un|une|son|sa|ses|quelqu'un|qqn|ce|cette|cet|l'|my|the|a|an|someone|somebody|him|her|them|people|des gens|tout le monde|everyone|ces)\b(?!\s+(?:process|processus|temps|moteur|bruit|virus|microbes?|germes?|insectes?|mauvaises? herbes?|rats?|souris|moustiques?|cafards?|punaises?|poux|tiques?|guepes?|frelons?|limaces?|pucerons?|bacteries?))",
        also=r"\b(?:comment|how|je veux|je vais|j'ai envie de|je voudrais|aide-moi|aidez-moi|help me|i want to|i'm going to|i will|i'll|explique|explain|quelle est la meilleure facon|best way|sans (?:me faire|etre) (?:prendre|attraper|repere|vu)|without getting caught|sans laisser de traces|without leaving|pour qu'il|pour qu'elle|faut-il|dois-je|peut-on|tips|astuces|methode|method|technique|discretement|discreetly)\b",
    ),
    _rule(
        "harmful.violence_body",
        r"\b(?:faire disparaitre|se debarrasser|me debarrasser|cacher|dissoudre|enterrer|get rid of|dispose of|hide|dissolve|bury)\b\s+(?:\w+\s+){0,2}?(?:un |le |du |d'un |a |the )?(?:corps|cadavre|body|corpse)\b|\b(?:poison|empoisonn\w*|toxique|toxic)\b[^.?!\n]{0,40}\b(?:indetectable|sans trace|undetectable|untraceable|sans que (?:ca|cela) (?:se voie|soit detecte))",
    ),
    _rule(
        "harmful.hacking",
        rf"\b(?:pirater|piratez|pirate (?:le|la|les|un|une|son|sa)|hacker (?:le|la|les|un|une|son|sa|des|mon|ma)|hacke[rz]?|craquer|cracker|infiltrer|penetrer|attaquer|saboter|paralyser|faire tomber|mettre hors service|ddos|dos|hack|hack into|breach|exploit|crack|compromise|take down|bring down|deface|brute-?force\w*|bruteforce\w*)\b\s+(?:\w+\s+){{0,3}}?(?:le |la |les |l'|un |une |des |the |a |an |into )?(?:site|sites|serveur|serveurs|base de donnees|bdd|bases|comptes?|systeme|systemes|portail|reseau|reseaux|application|appli|logiciel|{_INSTITUTION}|impots\.gouv|service-public|franceconnect|ameli|caf\.fr|ants|gouv|gouvernement|ministere|mairie|hopital|service public|website|server|servers|database|databases|accounts?|system|systems|network|portal|app|government|agency|wifi|wi-fi|mot de passe|password|authentification|authentication|captcha|2fa|double authentification)\b",
    ),
    _rule(
        "harmful.hacking_tools",
        r"\b(?:injection sql|sql injection|sqli|xss|cross-site scripting|ransomware|rancongiciel|rancongiciels|keylogger|enregistreur de frappe|cheval de troie|trojan|malware|logiciel malveillant|botnet|rootkit|exploit zero-?day|zero-?day|phishing kit|kit de phishing|credential stuffing|carding)\b[^.?!\n]{0,60}\b(?:ecri[rst]|ecrivez|cree[rz]?|fabrique[rz]?|code[rz]?|developpe[rz]?|faire|fais|faites|lancer|lance|utiliser|deployer|envoyer|write|create|build|code|develop|make|launch|deploy|use|run|contre|against|sur|on)\b|\b(?:ecri[rs]|ecrivez|cree[rz]?|fabrique[rz]?|code[rz]?|developpe[rz]?|faire|fais|faites|lancer|lance|utiliser|deployer|write|create|build|code|develop|make|launch|deploy|use|run)\b[^.?!\n]{0,40}\b(?:injection sql|sql injection|xss|ransomware|rancongiciel|keylogger|enregistreur de frappe|cheval de troie|trojan|malware|virus informatique|logiciel malveillant|botnet|rootkit|exploit|phishing|hameconnage|ddos)\b",
    ),
    _rule(
        "harmful.phishing",
        r"\b(?:creer|cree|creez|faire|fais|faites|ecrire|ecris|ecrivez|rediger|redige|redigez|envoyer|envoie|envoyez|concevoir|monter|copier|cloner|imiter|make|create|write|draft|send|clone|build|design|set up)\b(?:-moi|-nous|-lui| me| us)?\s+(?:\w+\s+){0,2}?(?:un |une |des |a |an |some )?(?:faux (?:mails?|e-?mails?|courriels?|sms|sites?|messages?|formulaires?|appels?|conseillers?|agents?)|fausses? (?:pages?|notifications?)|mails? de phishing|e-?mails? de phishing|pages? de phishing|sites? de phishing|phishing (?:e-?mails?|pages?|sites?|sms|kit|campaign|messages?)|fake (?:e-?mails?|websites?|sites?|sms|login pages?|text messages?)|hameconnage|arnaque|scam (?:e-?mails?|messages?|texts?|sms)|(?:site|page|mail|sms)\s+(?:qui imite|qui ressemble a|identique a|copie de|clone de|imitant)\s+(?:celui de |celle de |le site |la page )?(?:la |le |l'|les )?(?:caf|impots|ameli|ants|franceconnect|france travail|pole emploi|service-public|gouv|banque|prefecture))",
    ),
    _rule(
        "harmful.data_theft",
        r"\b(?:voler|vole|volez|recuperer|aspirer|extraire|telecharger|exfiltrer|revendre|vendre|acheter|trouver|obtenir|collecter|recolter|find|obtain|collect|get|steal|scrape|extract|dump|exfiltrate|sell|buy|harvest|leak)\b\s+(?:\w+\s+){0,2}?(?:les |des |la |the |some )?(?:donnees|fichiers?|dossiers?|informations|infos|numeros de secu(?:rite sociale)?|numeros fiscaux|coordonnees bancaires|mots de passe|identifiants|data|records|files|passwords|credentials|personal information|ssns?|social security numbers)\b\s+(?:\w+\s+){0,1}?(?:des |d'autres |de tous les |de |d'|of |from )(?:allocataires|usagers|contribuables|assures|patients|citoyens|beneficiaires|utilisateurs|demandeurs|autres|gens|personnes|users|citizens|taxpayers|patients|claimants|other people|people|la caf|caf|impots|ameli|pole emploi|france travail|l'administration|la prefecture|la mairie|the (?:caf|government|agency|city|tax office))",
    ),
    _rule(
        "harmful.bypass_checks",
        r"\b(?:contourner|contourne|contournez|tromper|trompe|berner|eviter|echapper a|passer outre|bypass|get around|fool|trick|evade|avoid|dodge|cheat)\b\s+(?:\w+\s+){0,2}?(?:le |la |les |l'|un |une |the |a )?(?:controles?|verifications?|verification d'identite|reconnaissance faciale|captcha|authentification|double authentification|2fa|kyc|controle d'identite|control(?:e)? (?:de la caf|de pole emploi|fiscal|urssaf)|(?:identity|id|age|background|fraud|anti-fraud) (?:checks?|verification|controls?)|facial recognition|authentication|ocr)\b[^.?!\n]{0,60}\b(?:caf|impots|ameli|ants|franceconnect|france travail|pole emploi|urssaf|prefecture|administration|gouv|service|site|compte|dossier|demande|allocation|aide|rsa|apl|government|agency|benefit|app|fraud|fraude|frauder|pour (?:toucher|obtenir|avoir))",
    ),
    # --- widened families: the intent without the obvious trigger words -------------------
    _rule(
        "override.rulebook",
        r"\b(?:oublie|oubliez|ignore|ignorez|laisse tomber|laissez tomber|jette|jetez|mets de cote|mettez de cote|passe outre|passez outre|fais abstraction d[ue]|faites abstraction d[ue]|(?:arrete|arretez|cesse|cessez) (?:de suivre|de respecter|d'appliquer|d'obeir a)|ne (?:suis|suivez|respecte|respectez|applique|appliquez) plus)\s+(?:ce que (?:dit|disent|dicte|dictent|impose|imposent|prevoit|prevoient)\s+)?(?:le |ton |votre |ce |les |tes |vos |ta |la )?(?:reglement|protocole|charte|regles du jeu|procedure de securite|politique de (?:securite|moderation|contenu))\b(?!\s+(?:interieur|de |du |des |d'|sanitaire|scolaire))"
        r"|\b(?:forget|ignore|disregard|drop|ditch|throw out|stop following|don't follow|do not follow)\s+(?:the |your |this |all )?(?:rulebook|rule book|playbook|code of conduct|content policy|usage policy)\b",
        not_before=_AUX_BEFORE
        + r"|\b(?:je|j'|il|elle|on|ils|elles|nous|vous|qui|que|qu'|ne|n'|i|we|they|to|can i|may i|should i)\s*$",
    ),
    _rule(
        "override.supersede",
        r"\b(?:these|this|the following|my|new|updated)\s+(?:new\s+|updated\s+)?(?:instructions?|rules|directives?|orders|prompt|guidelines|commands?)\s+(?:now\s+)?(?:override|overrides|supersede|supersedes|replace|replaces|take precedence over|takes precedence over|cancel|cancels|overrule|overrules|invalidate|invalidates)\s+(?:all\b|any\b|every\b|everything\b|your\b|the (?:previous|prior|earlier|original|system)\b)"
        r"|\b(?:ces|cette|mes|les presentes|celles-ci)\s+(?:nouvelles?\s+)?(?:instructions?|consignes?|regles?|directives?|ordres)\s+(?:\w+\s+)?(?:remplacent|remplace|annulent|annule|priment sur|prime sur|ecrasent|ecrase|l'emportent sur|l'emporte sur|prevalent sur|prevaut sur)\s+(?:toutes |tous )?(?:les |tes |vos |celles |ceux )?(?:precedentes|anterieures|autres|instructions|consignes|regles|anciennes|d'avant|d'origine)\b"
        r"|\b(?:remplacent|remplace|annulent|annule|ecrasent|priment sur|l'emportent sur)\s+(?:toutes |tous )?(?:tes|vos)\s+(?:instructions|consignes|regles|directives)\b",
    ),
    _rule(
        "fake_system.code_block",
        r"^\s*(?:'''|```|~~~)\s*(?:system|systeme|sys|admin|developer|developpeur|root|instructions?)\b",
    ),
    _rule(
        "fake_system.json_role",
        r"[{,\[]\s*[\"']?role[\"']?\s*[:=]\s*[\"'](?:system|systeme|developer|developpeur)[\"']",
    ),
    _rule(
        "extraction.credentials",
        r"\b(?:ta|ton|tes|your|votre|vos)\s+(?:propres?\s+)?(?:cles? (?:d'?api|api|secretes?|d'acces)|clefs? (?:d'?api|api|secretes?)|api[ -]?keys?|tokens?(?: d'acces| d'api| api)?|jetons? (?:d'acces|d'api)|access tokens?|secret keys?|credentials|identifiants (?:d'?api|de connexion|du modele|du backend|albert|openai)|model credentials|mots? de passe (?:d'?api|du backend|du modele|du serveur))\b"
        r"|\b(?:cles? (?:d'?api|api|secretes?)|clefs? (?:d'?api|api)|api[ -]?keys?|tokens? (?:d'acces|d'api|api)|jetons? (?:d'acces|d'api)|access tokens?|secret keys?|(?:model |api )?credentials|identifiants (?:d'?api|du modele|du backend))\b[^.?!\n]{0,50}\b(?:utilises-tu|utilisez-vous|tu utilises|vous utilisez|que tu utilises|que vous utilisez|qu'on t'a donnee?s?|te sers|t'appuies|you use|you(?:'re| are) (?:using|running)|are you (?:using|running)|do you use|you run (?:on|with)|you were given|you have)\b"
        r"|\b(?:quel(?:le)?s?|which|what)\s+(?:\w+\s+)?(?:cles?|clefs?|identifiants|tokens?|jetons?|keys?|api keys?|credentials|mots? de passe)\b[^.?!\n]{0,50}\b(?:utilises-tu|utilisez-vous|tu utilises|vous utilisez|te connecter|vous connecter|t'authentifier|do you use|are you using|you use|albert|openai|mistral|backend|llm)\b"
        r"|\b(?:tu tournes|tu fonctionnes|vous tournez|tu es branche|you run|are you running)\b[^.?!\n]{0,40}\b(?:cles?|clefs?|keys?|credentials|identifiants|tokens?|jetons?)\b",
    ),
    _rule(
        "harmful.other_person_identity",
        r"\b(?:avec|sous|en utilisant|en me servant d[eu]s?|me servir d[eu]s?|se servir d[eu]s?|servir d[eu]s?|utiliser|utilise|emprunter|prendre|recupere\w*|donner|donne|fournir|fournis|presenter|presente|using|with|under|use|borrow|give|provide)\s+(?:le |la |les |l'|un |une |son |sa |ses |the )?(?:numero de secu(?:rite sociale)?|numero de securite sociale|numero nir|nir|carte vitale|carte d'identite|cni|identite|papiers(?: d'identite)?|passeport|titre de sejour|social security (?:number|card)|ssn|identity|papers|passport|id card)\s+(?:(?:volee?s?|empruntee?s?|usurpee?s?|trouvee?s?|piquee?s?)\s+)?(?:de |d'|du |des |of )(?:une? |la |le |l')?(?:mon|ma|mes|un|une|quelqu'un|qqn|autrui|amie?|autres?|cousin\w*|frere|soeur|oncle|tante|voisin\w*|collegue|personne|mort|defunt\w*|decede\w*|someone|somebody|another|a dead|my|his|her)\b(?!\s*(?:\w+\s+)?(?:enfants?|fils|filles?|bebes?|mineure?s?|mari|epou\w+|femme|conjoint\w*|concubin\w*|partenaire|pere|mere|parents?|grand-\w+|child|children|son|daughter|kids?|husband|wife|spouse)\b)"
        r"|\bsous (?:le )?nom (?:de |d')(?:quelqu'un|qqn|autrui|un autre|une autre|une autre personne|un tiers|(?:mon|ma) (?:oncle|tante|cousin|cousine|frere|soeur|ami|amie|voisin|voisine|pere|mere|grand-pere|grand-mere|fils|fille|collegue)|une? personne decedee|un mort|un defunt|une defunte)\b"
        r"|\b(?:use|using|borrow|borrowing|with|under)\s+(?:(?:my|his|her|a|an|the) (?:[a-z-]+ )?[a-z-]+'s|someone(?: else)?'s|somebody(?: else)?'s|another person's|other people's|a dead person's)\s+(?:social security (?:number|card)|ssn|identity|id|passport|papers|name|insurance card|national insurance number)\b"
        r"|\b(?:prete|pretent|preter|passe|donne|file|lend|lends|give)\s+(?:moi\s+)?(?:ses|sa|son|leurs?|his|her|their)\s+(?:papiers|carte vitale|carte d'identite|passeport|identite|numero de secu\w*|papers|passport|id)\b",
        also=r"\b(?:pour (?:me |m'|se |s'|nous |lui )?(?:faire|toucher|percevoir|avoir|obtenir|inscrire|travailler|ouvrir|beneficier|declarer|louer|passer|soigner|rembourser|demander)|touche\w*|percevoir|percois|m'inscrire|s'inscrire|inscri\w* (?:a|au|aux|sur)|pour qu'(?:il|elle|on) me (?:declare|embauche|inscrive|paie|paye|verse|rembourse)|travaill\w*|bosser|work|working|(?:ouvrir|creer) (?:un |une |des |mon |ma )?(?:compte|dossier|ligne|credit)|open (?:an? )?(?:account|claim|file)|ouvrir (?:des |mes |les )?droits|aides|allocations?|rsa|apl|chomage|to (?:get|claim|work|open|receive|apply)|a job|claim|benefits|a sa place|a ma place|in (?:his|her|their) place)\b",
        unless=r"\b(?:usurp\w*|victime|signaler|porter plainte|plainte|tuteur|tutrice|tutelle|curatelle|procuration|mandataire|aidante?|avec (?:son|leur) accord|pour (?:l'|les) aider|someone used|has used|a utilise|utilise (?:mon|ma|mes)|report)\b",
    ),
    _rule(
        "harmful.fake_dependant",
        r"\b(?:declarer|declare|ajouter|ajoute|inventer|invente|inscrire|mettre|rajouter|add|claim|declare|invent|list)\s+(?:\w+\s+){0,3}?(?:un |une |des |a |an |de |d')?(?:enfants?|personnes? a charge|bebes?|dependants?|dependents?|children|child|kids?)\b\s*(?:\w+\s+){0,2}?(?:qui n'existe(?:nt)? pas|fantomes?|fictifs?|fictives?|imaginaires?|inexistante?s?|bidons?|that (?:doesn't|does not|don't|do not) exist|who (?:doesn't|does not|don't|do not) exist)"
        r"|\b(?:fictifs?|fictives?|imaginaires?|inexistante?s?|made-up|made up|fake|fictitious|imaginary|non-existent|phantom|ghost)\s+(?:enfants?|personnes? a charge|dependants?|dependents?|child(?:ren)?|kids?)\b"
        r"|\b(?:inventer|invente|inventez|m'inventer|s'inventer|invent|make up)\s+(?:\w+\s+)?(?:un |une |des |a |an )?(?:enfants?|personnes? a charge|bebes?|dependants?|dependents?|child(?:ren)?|kids?|conjoint|concubin\w*)\b"
        r"|\b(?:declarer|declare|inscrire|mettre|claim|declare|list)\s+(?:\w+\s+){0,3}?(?:enfants?|personnes? a charge|child|dependents?)\b[^.?!\n]{0,20}\bqui n'(?:est|sont) pas (?:le mien|la mienne|les miens|les miennes|a moi|a ma charge)\b"
        r"|\bdeclarer\s+(?:mon|ma) \w+ comme (?:mon|ma) (?:propre )?(?:fils|fille|enfant)\b",
        unless=_ASKING_ABOUT,
    ),
    _rule(
        "harmful.sham_marriage",
        r"\b(?:mariage|marier|epouser|pacs|pacser|marry|marrying|wedding|marriage|wed)\b[^.?!\n]{0,60}\b(?:(?:juste|uniquement|seulement|que|rien que) pour (?:avoir|obtenir|les|des|mes|ses|un|une|la) (?:\w+ )?(?:papiers|titre de sejour|nationalite|carte de sejour|visa|regularisation)|just (?:to|for) (?:get )?(?:papers|a visa|a green card|residency|citizenship|a residence permit))"
        r"|\b(?:mariages?|pacs|unions?) (?:de complaisance|blanc|gris|fictif|bidon|de facade|de convenance)\b[^.?!\n]{0,60}\b(?:papiers|titre de sejour|nationalite|carte de sejour|visa|regularis\w*)"
        r"|\b(?:papiers|titre de sejour|nationalite|carte de sejour|visa|regularis\w*)\b[^.?!\n]{0,60}\b(?:mariages?|pacs|unions?) (?:de complaisance|blanc|gris|fictif|bidon|de facade|de convenance)\b"
        r"|\b(?:payer|paye|paie|combien|argent|euros)\b[^.?!\n]{0,40}\b(?:epouser|me marier|se marier|mariage|pacs|pacser)\b[^.?!\n]{0,60}\b(?:papiers|titre de sejour|nationalite|carte de sejour|visa)"
        r"|\bmariage arrange pour (?:qu'|que |avoir|obtenir)[^.?!\n]{0,40}\b(?:papiers|titre de sejour|nationalite|carte de sejour|visa)"
        r"|\b(?:sham|fake|arranged) marriage\b[^.?!\n]{0,60}\b(?:papers|visa|green card|residency|citizenship|residence permit)",
        unless=_ASKING_ABOUT,
    ),
    _rule(
        "harmful.title_without_exam",
        r"\b(?:permis|code de la route|code|diplome|bac|baccalaureat|licence|master|brevet|driving licen[cs]e|driver'?s licen[cs]e|diploma|degree)\b[^.?!\n]{0,40}\b(?:sans (?:passer|avoir passe|faire|reussir|avoir reussi|le passer|la passer|les passer)|sans (?:l'|le |un |d'|aucun )?(?:examen|epreuve|code|test)|sans (?:avoir a |devoir |meme )?(?:passer|suivre|faire|reussir|etudier|assister a)\s+(?:les |la |le |l'|aux |a la |d')?(?:cours|formation|examens?|epreuves?|etudes|partiels)|without (?:taking|passing|sitting|an exam|a test|the exam|the test))\b"
        r"|\b(?:passer|passe|passes|passez|take|sit)\s+(?:l'examen|le code|le permis|l'epreuve|le bac|le test|le concours|les epreuves|l'oral|l'ecrit|the exam|the test|my exam|my test)\b[^.?!\n]{0,40}?\b(?:a ma place|a sa place|in my place|instead of me|for me)\b"
        r"|\b(?:le|la|l')\s*passer\s+(?:a ma place|a sa place|pour moi)\b"
        r"|\bfaire passer\s+(?:l'examen|le code|le permis|l'epreuve|le bac|le test|le concours)\b[^.?!\n]{0,30}\bpar (?:quelqu'un|un autre|une autre|un ami|une amie|un sosie|mon|ma|someone)",
        also=r"\b(?:achet\w*|vend\w*|procur\w*|payer|paie|paye|buy|sell|pay|combien|qui peut me|contre (?:de l')?argent|dessous de table|pot-de-vin|bakchich|a ma place|a sa place|par quelqu'un|pour moi|instead of me|in my place|for me|someone)\b",
        unless=r"\b(?:echange\w*|etranger|equivalence|conversion|candidat libre|vae|validation des acquis|deja (?:le|un)|autre permis|permis (?:a|a1|a2|moto|am|bsr|etranger)|exchange|foreign)\b",
    ),
    _rule(
        "harmful.alter_document",
        rf"\b(?:changer|change|modifier|modifie|remplacer|remplace|transformer|transforme|rajouter|ajouter|augmenter|gonfler|effacer|gommer|alter|change|edit|replace|raise|bump up|turn)\b[^.?!\n]{{0,60}}\b(?:{_FAKE_DOC}|pdf du \w+|scan du \w+|releve de notes|bulletin scolaire|attestation de reussite|transcript)\b",
        also=r"(?:pour (?:mettre|afficher|avoir) (?:une |la |le |un )?(?:mention|note|moyenne|meilleure|meilleur|salaire|montant|\d)|par \d|quel logiciel|avec (?:photoshop|paint|gimp|un logiciel|word|acrobat)|photoshop|sans que (?:ca|cela|personne) (?:ne )?(?:se voie|voie|le voie|remarque)|que (?:ca|cela) ne se voie pas|ni vu ni connu|discretement|indetectable|\ben (?:master|licence|doctorat|mention)|mention (?:tres bien|bien|assez bien)|so (?:it|that it) looks|without (?:anyone|them) noticing|to show (?:a )?higher|\bto (?:a )?(?:master|higher|better))",
    ),
    _rule(
        "harmful.alter_document_value",
        rf"\b(?:changer|change|modifier|modifie|remplacer|remplace|augmenter|augmente|gonfler|rajouter des points (?:a|sur)|remonter|change|edit|raise|bump up)\s+(?:les |la |le |mes |ma |mon |l')?(?:notes?|moyenne|mention|montant du salaire|salaire|chiffres?|net a payer|salaire net|salaire brut|revenus?|grades?|gpa|salary|income figure)\s+(?:\w+\s+){{0,2}}?(?:sur|dans|de|du|on|in)\s+(?:le |la |les |mon |ma |mes |l'|un |une |ce |cette |my |the )?(?:{_FAKE_DOC}|releve|bulletin|transcript)\b",
        # "faire modifier le salaire sur ma fiche de paie" asks the employer to correct it.
        not_before=r"\b(?:faire|fasse|fassent|fait|ai fait)\s+$",
    ),
    _rule(
        "harmful.deceased_benefits",
        r"\b(?:decede\w*|mort|morte|defunt\w*|dead|deceased)\b[^.?!\n]{0,60}\b(?:continuer a (?:toucher|percevoir|encaisser|recevoir)|toucher encore|garder|keep (?:getting|receiving))\b[^.?!\n]{0,30}\b(?:retraite|pension|allocations?|aides?|rsa|apl|aah|benefits?)\b[^.?!\n]{0,40}\b(?:sans (?:le |la |les )?(?:signaler|declarer|prevenir|dire)|without (?:reporting|telling))"
        r"|\b(?:continuer a (?:toucher|percevoir|encaisser|recevoir)|toucher encore|garder|encaisser|keep (?:getting|receiving|collecting)|keep)\b[^.?!\n]{0,40}\b(?:retraite|pension|allocations?|aides?|rsa|apl|aah|benefits?)\b[^.?!\n]{0,40}\b(?:decede\w*|mort|morte|defunt\w*|dead|deceased)\b|\bsans declarer (?:le|son|sa) deces\b|\bwithout reporting (?:the|his|her) death\b",
        unless=r"\b(?:reversion|capital deces|succession|survivor)\b",
    ),
    _rule(
        "harmful.swap_figures",
        rf"\b(?:mettre|mets|ecrire|ecris|afficher|indiquer|inscrire|put|write|show)\s+(?:\w+\s+)?\d+\s+(?:[\w']+\s+){{0,3}}?(?:au lieu de|a la place de|instead of)\s+\d+\b[^.?!\n]{{0,40}}\b(?:{_FAKE_DOC}|releve|bulletin|transcript)\b",
    ),
    _rule(
        "harmful.alter_sick_note_date",
        r"\b(?:changer|modifier|remplacer|rallonger|prolonger|alterer|change|edit|extend)\s+(?:les |la |le |l')?(?:dates?|durees?|nombre de jours|dates?)\s+(?:\w+\s+){0,2}?(?:sur|de|du|dans|on|of)\s+(?:mon |ma |l'|le |la |un |une |my |the )?(?:arret (?:de travail|maladie)|certificat medical|ordonnance|avis d'arret|diplome|releve de notes|attestation de reussite|bulletin de (?:paie|salaire)|fiche de paie|avis d'imposition|sick note|doctor'?s note|prescription|diploma)\b",
        not_before=r"\b(?:faire|fasse|fassent|fait|ai fait)\s+$",
    ),
    _rule(
        "harmful.target_official",
        r"\b(?:adresse (?:personnelle|perso|privee|du domicile|de chez)|domicile|ou (?:habite|vit|loge|dort|habitent|vivent)|home address|private address|where (?:he|she|they) lives?)\b[^.?!\n]{0,60}\b(?:agents?|agente|fonctionnaires?|conseill\w+|maire|adjoint\w*|elue?s?|deputee?s?|senat\w+|prefet\w*|juge|magistrat\w*|inspect\w+|controleu\w+|policiers?|policiere|gendarmes?|assistante? sociale|travailleu\w+ sociale?|greffi\w+|huissier|commissaire|judge|officers?|officials?|caseworker|inspector|mayor|clerk)\b"
        r"|\b(?:agents?|agente|fonctionnaires?|conseill\w+|maire|elue?s?|deputee?s?|prefet\w*|juge|magistrat\w*|inspect\w+|controleu\w+|policiers?|gendarmes?|assistante? sociale|judge|officers?|officials?|caseworker|inspector|mayor)\b[^.?!\n]{0,60}\b(?:adresse (?:personnelle|perso|privee)|domicile|ou (?:il|elle) (?:habite|vit|loge|dort)|home address|where (?:he|she|they) lives?)\b",
        also=r"(?:aller (?:le|la|les) (?:voir|trouver|attendre)|m'occuper d(?:e lui|'elle|'eux)|(?:lui|leur) faire (?:la peau|sa fete|payer)|regler son compte|\b(?:il|elle|ils|elles|tu|vous) (?:va|vont|allez|vas) (?:voir|comprendre|regretter|le regretter|payer)\b|lui rendre (?:une )?(?:petite )?visite|chez (?:lui|elle|eux)|qu'(?:il|elle|ils) comprenne|on sait ou|faire (?:peur|regretter|payer)|regrett\w*|se venger|me venger|venger|lui apprendre|l'attendre|le retrouver|la retrouver|pay (?:him|her|them) a visit|teach (?:him|her|them)|scare|intimidat\w*|make (?:him|her|them) (?:pay|regret)|regret|revenge)",
    ),
    _rule(
        "harmful.threaten_official",
        r"\b(?:menacer|menace[rz]?|intimider|intimide[rz]?|faire peur|terroriser|harceler|harcele[rz]?|threaten|intimidate|scare|harass)\b[^.?!\n]{0,50}\b(?:agents?|agente|fonctionnaires?|conseill\w+|maire|adjoint\w*|elue?s?|deputee?s?|senat\w+|prefet\w*|juge|magistrat\w*|inspect\w+|controleu\w+|assistante? sociale|greffi\w+|judge|officers?|officials?|caseworker|inspector|mayor|clerk)\b"
        r"|\b(?:lettres?|courriers?|messages?|mails?|e-?mails?|sms|appels?|threatening (?:letters?|messages?|emails?|calls?)) (?:de menaces?|menacants?|d'insultes|anonymes?)\b[^.?!\n]{0,40}\b(?:a|au|aux|a la|a l'|to|to the)\s+(?:l'|la |le )?(?:agents?|agente|fonctionnaires?|conseill\w+|maire|mairie|elue?s?|deputee?s?|prefet\w*|prefecture|juge|magistrat\w*|inspect\w+|controleu\w+|caf|judge|officers?|officials?|caseworker|inspector|mayor)\b",
        also=r"(?:anonym\w*|sans (?:qu'on|que l'on|que personne|etre|me faire) (?:\w+ )?(?:puisse|retrouve|identifi\w*|reconn\w*|repere\w*|prendre)|remonter jusqu'a moi|sans laisser de trace|\bcomment\b|\bhow\b|je veux|je vais|je voudrais|i want|i'll|aide-moi|help me|envoy\w*|ecri\w*|redig\w*|send|write|draft)",
        unless=r"\b(?:j'ai recu|je recois|recu des|victime|porter plainte|signaler|temoign\w*|a ete menace\w*|ont ete menace\w*|i received|i got)\b",
    ),
    _rule(
        "harmful.make_ill",
        r"\b(?:mettre|mets|glisser|glisse|verser|verse|ajouter|ajoute|put|slip|add|mix)\b[^.?!\n]{0,40}\b(?:dans|in|into)\s+(?:le |la |les |son |sa |ses |l'|his |her |their |the |my )?(?:[\w'-]+\s+){0,2}?(?:cafe|the|boisson|verre|repas|assiette|nourriture|plat|eau|biberon|soupe|gamelle|croquettes|food|drink|coffee|tea|meal|water|bowl)\b[^.?!\n]{0,60}\b(?:pour (?:qu'il|qu'elle|qu'ils|qu'elles|le|la|les|l'|lui)\s*(?:\w+\s+){0,2}?(?:malade|vomi\w*|dormi\w*|endormi\w*|inconscient\w*|mour\w*|souffr\w*|mal)\b|to make (?:him|her|them|it) (?:sick|ill|vomit|pass out|sleep)|so (?:that )?(?:he|she|they|it) (?:gets?|becomes?|falls?) (?:sick|ill))"
        r"|\b(?:rendre|make)\s+(?:quelqu'un|qqn|une personne|un collegue|une collegue|mon \w+|ma \w+|son \w+|sa \w+|someone|somebody|my \w+|people)\s+(?:\w+\s+)?(?:malade|sick|ill)\b"
        r"|\bpour (?:le|la|les|l') rendre malades?\b"
        r"|\bfaire (?:vomir|tomber malade|perdre connaissance|s'evanouir)\s+(?:quelqu'un|qqn|une personne|mon \w+|ma \w+|son \w+|sa \w+|le \w+|la \w+)"
        r"|\b(?:poisons?|produits? toxiques?|substances? toxiques?|mort-aux-rats|mort aux rats|raticide|antigel|laxatifs?|somniferes?|sedatifs?)\b[^.?!\n]{0,30}\b(?:mettre|glisser|verser|ajouter|put|slip|add)\b[^.?!\n]{0,20}\b(?:dans|in|into)\b"
        r"|\b(?:mettre|glisser|verser|ajouter|put|slip|add)\b[^.?!\n]{0,20}\b(?:poisons?|mort-aux-rats|mort aux rats|raticide|antigel|laxatifs?|somniferes?|sedatifs?|sleeping pills?)\s+dans\s+(?:son|sa|ses|le \w+ d[eu']|la \w+ d[eu']|les \w+ d[eu'])"
        r"|\bfaire (?:en sorte |pour )?(?:que|qu') (?:mon|ma|le|la|quelqu'un|mes|son|sa) ?\w* (?:tombe|tombent|soit|soient) malades?\b",
        also=r"(?:\bcomment\b|\bhow\b|what (?:can|should|could|do) i (?:put|give|add|use|slip)|que (?:puis-je|peut-on|dois-je) (?:mettre|donner|glisser)|quoi (?:mettre|donner|glisser)|to make (?:him|her|them) (?:sick|ill)|quel\w* (?:poison|produit|substance|dose|medicament|quantite)|quoi mettre|que mettre|sans (?:qu'il|qu'elle|qu'ils|que personne)|discretement|en cachette|je veux|je voudrais|i want|without|secretly|pour (?:qu'il|qu'elle|le|la|les|l'))",
    ),
    _rule(
        "harmful.exploit_system",
        r"\b(?:exploiter|exploite|exploitez|profiter|profite|abuser|utiliser|utilise|tirer parti|exploit|exploiting|abuse|use|take advantage of|leverage)\b\s+(?:\w+\s+){0,2}?(?:d'une?|une?|la|le|les|des|cette|ce|a|an|the|this)?\s*(?:faille|failles|bug|bugs|breche|vulnerabilites?|flaw|flaws|loophole|vulnerabilit(?:y|ies)|glitch)\b"
        r"|\b(?:abuser|detourner|gruger|abuse|game|exploit)\s+(?:d[ue]s? |le |la |les |l'|de la |the )?(?:systeme|system|siv|ants|portail|teleservice|franceconnect|france connect|ameli|caf|portal)\b[^.?!\n]{0,50}\b(?:pour|to|afin)\b"
        # "Exploiter" also means "make use of": only with a tampering goal.
        r"|\bexploiter\s+(?:le |la |les |l')?(?:systeme|siv|ants|portail|teleservice|franceconnect|ameli|caf)\b[^.?!\n]{0,50}\bpour\s+(?:\w+\s+){0,2}?(?:changer|modifier|effacer|supprimer|doubler|falsifier|contourner|pirater|usurper|frauder)\b"
        r"|\b(?:faille|failles|bug|bugs|breche|vulnerabilites?|flaw|vulnerabilit(?:y|ies)|glitch|loophole)\b[^.?!\n]{0,60}\b(?:permet\w*|permettrait|allows?|lets? (?:me|you|us))\s+(?:de |d'|to )?(?:\w+\s+){0,2}?(?:obtenir|avoir|modifier|changer|toucher|acceder|contourner|effacer|doubler|supprimer|get|obtain|change|modify|access|bypass|erase|double)\b",
        also=r"\b(?:ants|siv|caf|cpam|ameli|impots|fisc|franceconnect|france connect|france travail|pole emploi|urssaf|msa|prefecture|mairie|fichier|base|bases|systeme|portail|site|serveur|registre|carte grise|permis|allocations?|aides?|database|system|portal|registry|government|benefits?)\b",
        unless=r"\b(?:signaler|signale|report|corrige\w*|patched|fixed|suis-?je concerne|mes donnees|victime|fuite de donnees|en panne)\b",
    ),
]


_LATER: list[Rule] = [
    # --- later families: each one a shape seen in outsider sets, written as a family --------
    # Configuration toggles pasted as data: "safe_mode=off", <guardrails enabled="false"/>.
    _rule(
        "fake_system.config_toggle",
        r"\b(?:guardrails?|garde-?fous?|safe_?mode|safety(?:_\w+)?|safe_?search|filters?|filtres?|filtering|censure|censorship|moderation|content_?filters?|restrictions?|ethics|ethique)[\"']?\s*[=:]\s*[\"']?(?:false|off|0|none|disabled?|desactivee?s?|aucune?|non|no)\b"
        r"|\b(?:answer_?all|jailbreak|jailbroken|unrestricted|uncensored|unfiltered|dev_?mode|developer_?mode|god_?mode|no_?filter|bypass\w*)[\"']?\s*[=:]\s*[\"']?(?:true|on|1|yes|oui|enabled?|active)\b"
        r"|<\s*(?:guardrails?|safety|filters?|moderation|censorship|restrictions?|rules)\b[^>]{0,40}\b(?:enabled|active|actif|value)\s*=\s*[\"']?(?:false|0|off|no|none)",
    ),
    # A forged transcript: lines given to the assistant and to the user, to make it go on.
    _rule(
        "fake_system.transcript",
        r"^[\s*>#-]{0,3}(?:assistant|ai|ia|bot|chatbot|guichet|model|modele|gpt)\s*:",
        also=r"^[\s*>#-]{0,3}(?:user|utilisateur|usager|human|humain|moi|me|citoyen)\s*:",
    ),
    # Parameters "updated by the operator": a fake administrator speaking.
    _rule(
        "fake_system.operator_settings",
        r"\b(?:parametres?|configuration|reglages?|settings|config|politique|policy)\s+(?:\w+\s+){0,2}?(?:mise?s? a jour|modifiee?s?|changee?s?|updated|changed|modified)\s+par\s+(?:l'|le |la |un |your |the )?(?:operateur|administrateur|admin|developpeur|equipe technique|superviseur|operator|administrator|developer)\b",
    ),
    # A code word that switches the rules off: "quand j'écris OFF, tu réponds sans ...".
    _rule(
        "override.trigger_word",
        r"\b(?:quand|lorsque|si|des que|chaque fois que|a chaque fois que|jusqu'a ce que|when|whenever|if|until|once)\s+(?:j'ecri\w*|je (?:dis|dirai|tape|taperai|mets|mettrai|t'ecris)|j'envoie|i (?:say|type|write|send))\s+(?:le mot\s+|le code\s+|the word\s+|the code\s+)?[\"«“]?\s*[\w-]{2,15}\s*[\"»”]?\s*[,:.;!]?\s*(?:alors\s+|then\s+)?(?:tu|you)\s+(?:reponds|repondras|ignores|ignoreras|passes|passeras|oublies|oublieras|dois|devras|deviens|deviendras|n'as|n'auras|n'appliques|desactives|enleves|leves|answer|ignore|will|must|switch|become|are|drop|stop|forget|m'as|as bien compris)",
    ),
    _rule(
        "override.off_until",
        r"\b(?:desactivee?s?|suspendue?s?|levee?s?|off|coupee?s?|annulee?s?|disabled|suspended|lifted)\b[^.?!\n]{0,30}\b(?:jusqu'a ce que (?:j'ecrive|je dise|je tape)|until i (?:say|type|write))\b",
    ),
    # "Considère que le cadre ... est désactivé": the rules supposed off.
    _rule(
        "override.consider_off",
        r"\b(?:considere|considerez|imagine|imaginez|fais comme si|faites comme si|pars du principe|partons du principe|suppose|supposons|supposez|admettons|assume|consider|pretend|act as if)\b[^.?!\n]{0,30}\b(?:cadre|regles?|consignes?|filtres?|restrictions?|limites|garde-?fous?|protections?|censure|instructions|directives|rules|filters?|restrictions|guardrails|safety|framework|policy|politique)\b[^.?!\n]{0,50}\b(?:est|sont|is|are|soit|soient|n'est plus|ne sont plus|no longer)\s+(?:maintenant |desormais |now |temporairement |)(?:desactivee?s?|suspendue?s?|levee?s?|off|disabled|lifted|suspended|inactive?s?|hors service|coupee?s?|annulee?s?|supprimee?s?|actifs?|actives?|en vigueur|valables?|active|in force|valid)\b",
    ),
    # "tes vraies limites ... on peut les enlever ?": getting the limits lifted.
    _rule(
        "override.lift_limits",
        r"\b(?:tes|vos|your|ses)\s+(?:vraies?\s+|propres\s+|real\s+|actual\s+)?(?:limites|restrictions|filtres|garde-?fous|bridages?|protections|limits|restrictions|filters|guardrails|safeguards)\b",
        also=r"\b(?:enlever|enleve|enlevez|lever|leve|levez|retirer|retire|retirez|supprimer|supprime|supprimez|desactiver|desactive|desactivez|contourner|contourne|depasser|depasse|faire sauter|fais sauter|sauter|debrider|debride|outrepasser|remove|lift|disable|bypass|get around|turn off|switch off|drop)\b",
        unless=r"\b(?:mes|mon|ma)\s+(?:limites|restrictions|filtres|protections)\b",
    ),
    _rule(
        "override.previous_rules_void",
        r"\b(?:les|the|toutes les|all)\s+(?:regles|consignes|instructions|directives|restrictions|limites|rules|guidelines)\s+(?:precedentes|anterieures|qui precedent|d'avant|initiales|ci-dessus|plus haut|previous|prior|above|earlier)\s+(?:\w+\s+){0,2}?(?:ne s'appliquent plus|ne comptent plus|n'existent plus|ne sont plus (?:valables|valides|actives?|en vigueur)|sont (?:desormais |maintenant )?(?:obsoletes|annulees|caduques|suspendues|levees|desactivees|nulles|remplacees|perimees)|no longer apply|are (?:obsolete|void|lifted|revoked|cancell?ed|suspended|replaced))",
    ),
    _rule(
        "override.none_active",
        r"\baucune? (?:regle|restriction|limite|filtre|consigne|censure|contrainte)s? (?:n'est |ne sont )?(?:active|actif|actives|activee?s?|en vigueur|en place)\b|\bno (?:rules|restrictions|filters|limits|guardrails) (?:are )?(?:active|in place|in effect|enabled)\b|\bnouvelle session\b[^\n]{0,40}\b(?:aucune?|sans|no|without)\s+(?:regles?|consignes?|restrictions?|filtres?|limites|rules|restrictions|filters)\b",
    ),
    # Role-play as a dead relative who "used to" tell secrets (the grandma trick, any kin).
    _rule(
        "roleplay.late_kin",
        r"\b(?:joue|jouez|incarne|incarnez|sois|soyez|fais|faites|imite|imitez|be|play|act as|pretend to be|pretend you're|you are|you're|tu es|tu seras|deviens)\s+(?:\w+\s+){0,2}?(?:ma|mon|my)\s+(?:defunte?\s+|feue?\s+|late\s+|dear\s+|chere?\s+|regrettee?\s+)?(?:mere|pere|maman|papa|grand-?mere|grand-?pere|mamie|mamy|papi|papy|oncle|tante|parrain|marraine|mother|father|mom|mum|dad|grandmother|grandfather|grandma|grandpa|granny|uncle|aunt)\b",
        also=r"\b(?:decedee?|defunte?|feue?|morte?|disparue?|late|deceased|passed away|dead|used to|racontait|lisait|disait|comme avant|like before|qui connaissait|who knew)\b",
        not_before=r"\b(?:il|elle|ils|elles|on|qui|nous|je|j')\s+(?:[\w'-]+\s+)?$",
    ),
    _rule(
        "roleplay.game_colon",
        r"\b(?:on joue|jouons|let's play|let's roleplay|roleplay|role-play|jeu de role|on fait un jeu)\s*[:,-]\s*(?:tu|vous|you|imagine|pretend|from now)\b|\b(?:off the record|hors micro|sans filtre officiel)\b[^.?!\n]{0,80}\b(?:regles?|rules|tu reponds|you answer|sans tenir compte)",
    ),
    _rule(
        "roleplay.two_ais",
        r"\b(?:deux|two|2)\s+(?:ia|ai|ais|assistants?|chatbots?|bots?|intelligences? artificielles?|modeles?|models?|personnages|voix|versions|characters|personas|personnalites|personalities)\b[^\n]{0,120}\b(?:regles?|rules|filtres?|filters?|dit tout|says anything|says everything|sans limites?|no limits|restrictions?|censure|censored|uncensored)\b",
    ),
    # --- beyond role: the agent side, other users' conversations ---------------------------
    _rule(
        "beyond_role.switch_mode",
        r"\b(?:passe|passez|passer|bascule|basculez|basculer|switch|switch to|mets-moi|mettez-moi|mets toi|mets-toi|active|activez|activer|enable|turn on|go into|enter|entre en|ouvre|ouvrez|donne-moi|donnez-moi|give me|grant me)\b[^.?!\n]{0,25}\b(?:(?:en |in |into )?mode|cote|vue|acces|access|console|privileges?|droits?)\s+(?:d'|de |du )?(?:agent|agents|staff|admin|administrat\w+|maintenance|interne|superviseur|supervisor|operateur|operator|back-?office|gestionnaire|instructeur|debug|technicien|privilegie|privileged|root|super-?utilisateur|superuser|staff-level|agent-level)\b"
        r"|\b(?:staff|agent|admin|maintenance|back-?office|supervisor|operator|superuser)[ -](?:mode|view|access|console|level access|privileges)\b"
        r"|^\s*/(?:agent|admin|sudo|root|debug|staff|maintenance|mode)\b|\s--(?:login|password|passwd|user|role|admin|sudo)\b",
        unless=r"\b(?:telephone|smartphone|android|iphone|navigateur|browser|ordinateur|windows)\b",
    ),
    _rule(
        "beyond_role.other_conversations",
        r"\b(?:qu'a|qu'ont|que t'a|que t'ont|que vous a|ce qu'a|ce qu'ont|what did|what has|what have)\s+(?:\w+\s+){0,2}?(?:demande|dit|ecrit|tape|envoye|pose|raconte|asked|said|written|typed|sent|told you)\w*\s+(?:\w+\s+){0,1}?(?:l'utilisateur|l'usager|la personne|le citoyen|les autres|l'internaute|the (?:previous |last |other )?(?:users?|person)|other users|someone else|les usagers|les utilisateurs)\b"
        r"|\b(?:conversations?|historiques?|messages|questions|echanges|chats?|discussions?)\s+(?:des |d'|de l'|of |from |with )?(?:autres? |other |previous |precedents? |d'autres )(?:utilisateurs?|usagers?|personnes|citoyens|users|people|internautes|allocataires)\b"
        r"|\b(?:l'utilisateur|l'usager|the user|l'internaute)\s+(?:precedent|d'avant|juste avant(?: moi)?|avant moi|previous|before me)\b",
    ),
    # --- prompt extraction, more wordings -------------------------------------------------
    _rule(
        "extraction.rules_you_follow",
        r"\b(?:consignes|instructions|regles|directives|rules|guidelines|orders|ordres|principes)\s+(?:que|qu'|that|which)\s*(?:tu|you)\s+(?:dois|devras|es cense\w*|as a|must|have to|should|are supposed to|were told to)\s+(?:suivre|respecter|appliquer|follow|obey|apply)\b"
        r"|\b(?:phrases?|mots?|formulations?|passages?|lignes?|textes?|sentences|words|lines)\s+(?:exacte?s?\s+|precises?\s+|exact\s+)?(?:qui|that)\s+(?:te|you)\s+(?:disent|dit|demandent|imposent|interdisent|ordonnent|obligent|tell|instruct|forbid|order)\b",
        also=rf"\b(?:{_EXTRACT_VERB}|{_EXTRACT_ASK}|quelles?|quels?|what|which|exacte?s?|mot pour mot|verbatim|word for word|en \d+ points|liste)\b",
    ),
    _rule(
        "extraction.foreign",
        r"\b(?:tus|sus|tue|tuoi|le tue|i tuoi|deine|ihre|suas|teus|as tuas|os teus|twoje|jouw)\s+(?:\w+\s+)?(?:instrucciones|reglas|indicaciones|directrices|prompt|istruzioni|regole|direttive|anweisungen|regeln|vorgaben|systemanweisungen|instrucoes|regras|diretrizes|instrukcje|zasady|instructies|regels)\b",
        also=r"\b(?:original\w*|inicial\w*|iniziali|ursprunglich\w*|sistema|system\w*|exact\w*|complet\w*|vollstandig\w*|palabra por palabra|parola per parola|wort fur wort|palavra por palavra|dime|dimmi|escribe|escribelas|muestra|muestrame|repite|mostra|mostrami|ripeti|scrivi|zeig\w*|schreib\w*|nenne|wiederhole|diga|mostre|escreva|repita|cuales|quali|welche|quais|was sind|que son)\b",
    ),
    # --- harmful, more wordings -------------------------------------------------------------
    _rule(
        "harmful.impersonate_institution",
        r"\b(?:me faire|je me fais|je me ferai|je me ferais|on se fait|on se ferait|nous faire|me faisant|pretend to be|i pretend to be|pose as|posing as|impersonate|impersonating)\s+(?:passer pour\s+)?(?:la |le |l'|les |un |une |des |the |an? )?(?:caf|cpam|ameli|impots?|fisc|dgfip|ants|urssaf|france travail|pole emploi|msa|prefecture|mairie|banque|police|gendarmerie|conseill\w+|agents?|administration|service-public|securite sociale|assurance maladie|tresor public|huissier|tax office|bank|government)\b",
        also=r"\b(?:comment|quel\w*|meilleur\w*|astuces?|how|best|taux|objet|modele|template|script|ecri\w*|redig\w*|message|mail|sms|appel\w*|je veux|je voudrais|i want|aide-moi|help me)\b",
        unless=rf"{_ASKING_ABOUT}|\b(?:quelqu'un|un escroc|des escrocs|arnaqu\w*|victime|s'est fait passer|se sont fait passer|qui se fait passer|qui se font passer|reconnaitre|verifier|savoir si|est-ce (?:legal|illegal|grave)|scammer|someone|inconnu|une personne|un homme|une femme|un individu|ils|someone)\b",
    ),
    _rule(
        "harmful.forge_civil_document",
        r"\b(?:redige|rediger|redigez|ecris|ecrivez|fabrique|fabriquer|fabriquez|genere|generer|generez|cree|creer|creez|cree-moi|produis|produire|imprime-moi|refaire a l'identique|refais|write|draft|generate|create|forge|make me)(?:-moi|-nous| moi)?\s+(?:un |une |le |la |l'|an? |the |mon |ma |my )?(?:(?:\w+\s+)?(?:acte|extrait d'acte|copie d'acte) de (?:naissance|mariage|deces)|jugement(?: de divorce)?|carte d'identite|passeport|titre de sejour|justificatif de domicile|avis d'imposition|avis de non-imposition|diplome|attestation de reussite|releve de notes|certificat de scolarite|attestation de droits|attestation de (?:carte vitale|securite sociale)|certificat medical|arret de travail|arret maladie|ordonnance|facture (?:edf|engie|d'electricite)|birth certificate|divorce (?:decree|judgment)|passport|id card|tax notice)\b",
        unless=r"\b(?:demande|request|lettre|courrier|traduction|translation)\s+(?:d'|de |du |for |of )",
    ),
    _rule(
        "harmful.fake_document_howto",
        rf"\b(?:faux|fausses?|fake|forged|counterfeit|contrefaite?s?)\s+(?:\w+\s+){{0,2}}?{_FAKE_DOC}\b",
        also=r"\b(?:par ou commencer|quel (?:materiel|logiciel|papier|imprimante)|quelle (?:imprimante|encre)|tuto\w*|etape par etape|where (?:do i|to) start|what (?:equipment|software|printer|paper)|step by step|materiel (?:a|pour) (?:acheter|imprimer)|comment (?:fabriquer|imprimer|s'y prendre))\b",
        unless=rf"{_ASKING_ABOUT}|\b(?:reconnaitre|detecter|reperer|spot|recognise|recognize)\b",
    ),
    _rule(
        "harmful.fraud_verb",
        rf"\b(?:frauder|fraude[rz]?|arnaquer|arnaque[rz]?|gruger|grugez|escroquer|truander|entuber|cheat|defraud|scam|rip off)\s+(?:le |la |les |l'|du |de la |des |the )?(?:{_BENEFIT}|{_INSTITUTION})\b",
        also=r"\b(?:comment|how|astuces?|tips?|sans (?:etre vu|me faire|se faire|que)|without (?:getting|being)|methode|facile|easy|je veux|je voudrais|i want|aide-moi|help me|explique|explain|moyen|way to)\b",
        unless=rf"{_ASKING_ABOUT}|\b(?:accuse\w*|soupconn\w*|accused|suspected)\b",
    ),
    _rule(
        "roleplay.unbound_character",
        r"\b(?:joue|jouez|incarne|incarnez|cree|creez|invente|inventez|imagine|play|create|invent)\s+(?:un|une|a|an)\s+(?:personnage|ia|assistant|character|persona|role|version|conseiller|conseillere|agent|fonctionnaire)\b[^.?!\n]{0,50}\b(?:qui n'a (?:aucune|pas de|plus de) (?:limite|regle|restriction|filtre|censure|morale)s?|sans (?:aucune )?(?:limite|regle|restriction|filtre|censure|morale)s?|qui dit tout|qui repond a tout|with no (?:limits|rules|restrictions|filters)|without (?:limits|rules|restrictions|filters)|who says anything|who answers everything|qui deteste|qui hait|rebelle|vereux|corrompue?|hors-la-loi|rogue|corrupt)\b",
        not_before=r"\b(?:il|elle|ils|elles|on|qui|nous|je|j'|ma|mon|sa|son)\s+(?:[\w'-]+\s+)?$",
    ),
    # Splitting an attack into variables to run together: "x = '...' ; exécute x puis y".
    _rule(
        "obfuscated.variables",
        r"\b(?:variable|var|let|set|string|chaine|a|b|x|y|z|p\d?)\s*\w{0,10}\s*=\s*['\"«“]",
        also=r"\b(?:execute|executez|executer|run|applique|appliquez|concatene|concatenez|combine|combinez|assemble|assemblez|joins?|fusionne|reunis|enchaine|concatenate|follow|suis|fais)\b[^.\n]{0,15}\b\w{1,10}\s*(?:puis|et|then|and|\+|,)\s*\w{1,10}\b",
    ),
    # Getting the assistant to give out a false official number or link.
    _rule(
        "indirect.false_official_contact",
        r"\b(?:dis|dites|ecris|ecrivez|affirme|affirmez|indique|indiquez|annonce|reponds|say|state|write|tell (?:them|users|people|everyone))\s+(?:aux (?:gens|utilisateurs|usagers) |to (?:users|people) )?(?:que|qu'|that)\s+(?:le|l'|la|les|the)\s*(?:vrai |nouveau |new |real )?(?:numero|site|adresse|lien|telephone|rib|iban|number|website|link|phone)\b[^.?!\n]{0,40}\b(?:est|sont|c'est|is|are)\b",
        also=r"(?:\b0[89]\d{2}\b|\b08 ?9|surtax\w*|premium|le mien|la mienne|mon (?:numero|site|lien|rib|iban)|my (?:number|site|link)|https?://|www\.)",
    ),
    _rule(
        "beyond_role.agents_only_line",
        r"\b(?:numero|ligne|ligne directe|contact|mail|e-?mail|adresse|acces|telephone|line|number|hotline)\b[^.?!\n]{0,30}\b(?:reservee?s?|reserved|internes?|internal|dedie\w*|dedicated)\s+(?:aux|to|for|pour les)\s+(?:agents|conseillers|conseilleres|staff|fonctionnaires|personnels|employees|employes|instructeurs)\b",
        also=rf"\b(?:{_EXTRACT_VERB}|{_EXTRACT_ASK}|quel|quelle|what)\b",
    ),
    _rule(
        "harmful.benefit_twice",
        r"\bpour (?:avoir|toucher|percevoir|obtenir|get|claim|receive)\s+(?:[\w']+\s+){0,3}?(?:deux fois|en double|twice|double)\b"
        r"|\b(?:en fait|en realite|actually|in reality|really)\b[^.?!\n]{0,60}\bpour (?:avoir|toucher|percevoir|obtenir|garder) (?:plus|davantage|more)\b",
        also=rf"\b(?:{_BENEFIT}|{_INSTITUTION}|prime)\b",
    ),
    _rule(
        "harmful.make_believe",
        r"\b(?:faire croire|faisant croire|fais croire|faire passer pour vrai|make (?:them|it look|the \w+) (?:think|believe|look like))\b[^.?!\n]{0,20}\b(?:que|qu'|that|like)\b",
        also=rf"\b(?:{_BENEFIT}|{_INSTITUTION})\b",
        unless=rf"{_ASKING_ABOUT}|\b(?:m'a fait croire|m'ont fait croire|nous a fait croire|nous ont fait croire|lui a fait croire|on m'a fait croire|made me believe)\b",
        # "en me faisant croire que c'était une aide": what a swindler did to the writer.
        not_before=r"\b(?:me|nous|lui|leur|m'|t'|vous)\s*$",
    ),
    _rule(
        "harmful.evade_detection",
        rf"\b(?:comment|how)\s+(?:{_INSTITUTION})\s+(?:pourrai\w*|peu\w*|va|vont|could|would|can|will)\s+(?:le |s'en |l'|en |)(?:savoir|rendre compte|apprendre|decouvrir|verifier|remarquer|find out|know|notice|detect)\b"
        rf"|\b(?:indetectable|undetectable|ni vu ni connu)\b[^.?!\n]{{0,30}}\b(?:{_INSTITUTION})\b|\b(?:{_INSTITUTION})\b[^.?!\n]{{0,30}}\b(?:indetectable|undetectable)\b",
        also=r"(?:\beviter\b|\bl'eviter\b|\bempecher\b|\bsans que\b|\bavoid\b|\bprevent\b|indetectable|undetectable|ni vu ni connu|\bnon\s*\?|\bright\s*\?)",
        unless=rf"{_ASKING_ABOUT}",
    ),
    # Fiction as a wrapper: a villain character who explains, step by step, how to do it.
    _rule(
        "roleplay.villain_explains",
        r"\b(?:personnage|heros|heroine|narrateur|character|protagonist|villain)\s+(?:principal\s+|main\s+)?(?:est|serait|is|would be)\s+(?:un|une|a|an)\s+(?:escroc|fraudeur|fraudeuse|faussaire|hacker|pirate|criminel\w*|dealer|trafiquant\w*|arnaqueu\w+|scammer|fraudster|forger|con artist|criminal)\b"
        r"|\b(?:fais|faites) semblant d'etre\s+(?:un|une)\s+(?:\w+\s+){1,5}?(?:corrompue?|vereux|vereuse|malhonnete|escroc|fraudeu\w+|ripoux)\b",
        also=r"\b(?:explique\w*|explains?|etape par etape|step by step|comment|how to|detaill\w*|monologue|tutori\w*|methode|method)\b",
    ),
    _rule(
        "override.rules_void_for_you",
        r"\b(?:regles?|reglement|charte|cadre|consignes?|instructions?|restrictions?|limites|rules)\b[^.?!\n]{0,40}\b(?:c'est plus|ce n'est plus|ne sont plus|sont plus|n'est plus|s'appliquent plus|ne s'appliquent plus|s'applique plus|ne s'applique plus|no longer|don't|do not)\s+(?:valables?|valides?|en vigueur|actives?|applicables?|valid|apply|)\s*(?:pour toi|a toi|for you)\b",
    ),
    _rule(
        "extraction.governing_text",
        r"\b(?:texte|document|fichier|parametrage|configuration|consignes|regles|instructions|prompt|text|file|rules)\s+(?:\w+\s+){0,3}?(?:qui (?:encadre|encadrent|regit|regissent|guide|guident|definit|definissent|controle|controlent|gouverne|gouvernent|determine|determinent|dicte|dictent)|that (?:governs?|guides?|defines?|controls?|shapes?|dictates?))\s+(?:tes|vos|your)\s+(?:reponses|comportement|fonctionnement|answers|responses|behaviou?r)\b",
    ),
    _rule(
        "harmful.drug_resale",
        r"\b(?:pour (?:le|la|les) (?:revendre|vendre|dealer)|(?:re)?vendre (?:mes|mon|ma|des|du|de la) (?:\w+\s+)?(?:medicaments?|cachets?|comprimes?|ordonnances?)|to (?:re)?sell (?:it|them|the pills|my pills|my prescription))\b",
        also=r"\b(?:subutex|buprenorphine|methadone|ordonnances?|prescriptions?|medicaments?|cachets?|comprimes?|lyrica|pregabaline|tramadol|codeine|xanax|ritaline|oxycodone|morphine|fentanyl|skenan|pills?|drugs?|opioids?)\b",
    ),
    # --- other people's data -----------------------------------------------------------------
    # Finding a stranger from one identifier: "l'adresse de quelqu'un avec son numéro fiscal".
    _rule(
        "other_person.lookup",
        r"\b(?:trouver|retrouver|obtenir|avoir|connaitre|savoir|get|find|obtain|look up|track down)\b[^.?!\n]{0,30}\b(?:adresse|address|telephone|phone|identite|identity|nom|name|employeur|employer|revenus?|income|compte|account)\b[^.?!\n]{0,60}\b(?:avec|a partir de|a partir d'|grace a|from|with|using|via|par)\s+(?:son|sa|ses|leur|their|his|her|le|la|l'|the)\s*(?:\w+\s+)?(?:numero|plaque|immatriculation|nir|secu|numero fiscal|mail|e-?mail|telephone|phone|number|plate|iban|rib|nom|name|ssn|social security)",
        also=r"\b(?:quelqu'un|quelqu un|d'une personne|d'un inconnu|n'importe qui|someone|somebody|anyone|a person|une personne|cette personne|that person|this person)\b",
    ),
    # A named or described third person, and a request to the assistant for their data. A
    # real turn hands the guard pseudonymised text: names and dates read <NOM_1>, <DATE_1>.
    _rule(
        "other_person.named_data",
        r"\b(?:donne|donnez|donne-moi|donnez-moi|quel est|quelle est|quels sont|quelles sont|c'est quoi|dis-moi|dites-moi|give me|what's|what is|tell me|peux-tu (?:me donner|verifier|regarder|chercher|me dire)|pouvez-vous (?:me donner|verifier|regarder|chercher|me dire)|verifie|verifiez|regarde|regardez|consulte|consultez|cherche|cherchez|trouve|trouvez|liste|a-t-(?:il|elle)|est-ce que|est-il|est-elle)\b[^.?!\n]{0,70}\b(?:numero de (?:telephone|securite sociale|secu|portable|fiscal|allocataire|carte vitale)|phone number|adresse(?: personnelle| perso| privee)?|home address|situation familiale|revenus|salaire|casier(?: judiciaire)?|amendes|dettes|avis d'imposition|declaration d'impots|date de naissance|rib|iban|releves bancaires|dossier (?:caf|medical|france travail))\b",
        also=r"(?:\b(?:m\.|mr|mme|mlle|monsieur|madame|mrs|ms)\s+(?:[a-z][\w-]+|<nom_\d+>)|\bnee? (?:le|en) (?:\d|1er|<date_\d+>)|<nom_\d+>(?: <nom_\d+>)?, (?:\d+ ans|nee?|\d+ rue|<adresse_\d+>|<date_\d+>)|\bborn (?:on|in) \d|\bs'appelle [a-z]+|\b(?:ma|mon|sa|son|my)\s+(?:voisine?|collegue|belle-mere|beau-pere|belle-soeur|beau-frere|patron|patronne|locataire|proprietaire|nounou|neighbou?r|colleague|coworker|boss)\b|\b[a-z]+ [a-z]+, (?:\d+ ans|ne|nee|\d+ rue)|\b(?:il|elle) travaille avec moi\b)",
        unless=r"\b(?:decede\w*|deces|succession|tutelle|curatelle|tuteur|tutrice|curateur|habilitation|procuration|mandat\w*|aidant\w*|a sa place|mon nom|mes revenus|mon salaire|ma declaration|perdu|oublie|comment (?:retrouver|obtenir|trouver|faire)|ou trouver)\b",
    ),
    _rule(
        "other_person.earnings",
        r"\bcombien (?:gagne|touche|percoit|paie d'impots?)\s+(?:mon|ma|le|la|m\.|mme|monsieur|madame)\s*(?:voisin|voisine|collegue|beau-frere|belle-soeur|patron|patronne|locataire|nounou|[a-z]+ [a-z]+)\b"
        r"|\bcombien\s+(?:mon|ma)\s+(?:voisin|voisine|collegue|beau-frere|belle-soeur|patron|patronne|nounou)\s+(?:a |)(?:paye|paie|gagne|touche|percoit)\b"
        # A landlord asking whether the tenant's APL can come to them is not nosy: no tenants.
        r"|\b(?:ma voisine|mon voisin|mon collegue|ma collegue|mon beau-frere|ma belle-soeur|(?:m\.|mme|monsieur|madame) (?:[a-z][\w-]+|<nom_\d+>))[^.?!\n]{0,50}?\b(?:touche(?:-t-(?:il|elle))?|percoit|est (?:au|a l')|beneficie)\s+(?:le |la |l'|les |des |de l'|du |d')?(?:rsa|aah|apl|allocations?|chomage|aides?|prime)\b"
        r"|\b(?:liste|donne-moi la liste|les noms|names of|list (?:of )?(?:the )?)\b[^.?!\n]{0,20}\b(?:personnes|gens|habitants|allocataires|beneficiaires|voisins|people|residents)\b[^.?!\n]{0,60}\b(?:qui touchent|qui percoivent|qui beneficient|qui sont au|receiving|on benefits|on welfare)",
        unless=rf"{_ASKING_ABOUT}|\b(?:mon locataire|ma locataire|tiers payant|m'etre versee?|versee? directement|en tant que (?:bailleur|proprietaire))\b",
    ),
]

_RULES.extend(_LATER)


def rules() -> list[Rule]:
    """Every rule, in the order they are tried (for tools and tests)."""
    return list(_RULES)


# ---------------------------------------------------------------------------------------
# Obfuscation views.

# A spaced-out payload squashed to letters only: "i g n o r e  y o u r  r u l e s".
_SQUASHED = re.compile(
    r"(?:ignore|disregard|forget|oublie|ignorez|oubliez|ignorer|oublier)(?:all|the|your|any|previous|prior|above|toutes|tes|vos|les|ton|votre|precedentes)*(?:instructions|rules|prompt|consignes|regles|directives|guidelines)"
    r"|systemprompt|promptsysteme|jailbreak|doanythingnow|developermode|modedeveloppeur|godmode"
    r"|(?:reveal|show|print|affiche|revele|montre|repete|repeat)(?:me|moi)?(?:your|ton|tes|vos|votre|the)(?:system)?(?:prompt|instructions|consignes)"
    r"|(?:fabriquer|make|build|faire)(?:une|a|an)?(?:bombe|bomb|explosif|explosive)"
    r"|(?:faux|fausses?)(?:papiers?|attestations?|passeports?|cartes?|fiches?|permis|diplomes?|justificatifs?|certificats?)|fake(?:ids?|passports?|documents?)"
)
_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}[\s:]?){10,}(?![0-9a-fA-F])")
_ROT13_HINT = re.compile(r"\brot ?-?13\b|\bcesar\b|\bcaesar\b", re.IGNORECASE)
_REVERSE_HINT = re.compile(
    r"\b(?:a l'envers|a rebours|inverse\w*|reversed|backwards|reverse|de droite a gauche|right to left)\b"
)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_PLUS_JOINED = re.compile(r"[A-Za-z]{2}\+[A-Za-z]{2,}\+[A-Za-z]{2}")


def _printable_share(text: str) -> float:
    if not text:
        return 0.0
    good = sum(1 for ch in text if ch.isprintable() or ch in "\n\t\r")
    return good / len(text)


def decoded_payloads(raw: str) -> list[tuple[str, str]]:
    """Candidate hidden texts: (how it was hidden, decoded text)."""
    found: list[tuple[str, str]] = []
    for match in _B64.finditer(raw):
        token = match.group(0).rstrip("=")
        token = token.replace("-", "+").replace("_", "/")
        token += "=" * (-len(token) % 4)
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if _printable_share(decoded) > 0.9 and len(re.findall(r"[A-Za-zÀ-ÿ]", decoded)) >= 4:
            found.append(("base64", decoded))
    for match in _HEX.finditer(raw):
        digits = re.sub(r"[\s:]", "", match.group(0))
        if len(digits) % 2:
            digits = digits[:-1]
        try:
            decoded = bytes.fromhex(digits).decode("utf-8")
        except ValueError:
            continue
        if _printable_share(decoded) > 0.9 and len(re.findall(r"[A-Za-zÀ-ÿ]", decoded)) >= 4:
            found.append(("hex", decoded))
    # Percent-encoded or plus-joined text ("oublie%20tes%20consignes", "?q=ignore+all+...").
    if len(_PERCENT.findall(raw)) >= 2 or _PLUS_JOINED.search(raw):
        decoded = unquote_plus(raw)
        if decoded != raw:
            found.append(("url", decoded))
    return found


def obfuscation_views(raw: str, folded: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Views of a message that undo letter-level obfuscation, for the rules and the local
    classifier: ("leet", digits and symbols read as letters) and ("spaced", spaced-out or
    dotted letters joined, word gaps kept from the raw spacing). Only views that differ from
    ``folded`` are returned, with the joined runs (empty when no letters were spaced out)."""
    views: list[tuple[str, str]] = []
    leet = deleet(folded)
    if leet != folded:
        views.append(("leet", leet))
    joined, runs = unspace(deleet(fold(visible(raw))))
    joined = re.sub(r"[^\S\n]+", " ", joined.replace("\r\n", "\n").replace("\r", "\n"))
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in joined.split("\n")))
    if joined.strip() != leet:
        views.append(("spaced", joined))
    return views, runs


def _match(folded: str) -> Rule | None:
    for rule in _RULES:
        if rule.search(folded):
            return rule
    return None


def _verdict(rule: Rule, via: str | None = None) -> Verdict:
    return Verdict(category=rule.category, rule=f"{via}:{rule.id}" if via else rule.id)


def check_rules(text: str, _depth: int = 0) -> Verdict:
    """The rules' verdict on one user message. ``rule`` names what fired, never the text.

    The guard's entry point is ``chatbot.guard.check_input`` (rules, then the local
    classifier); this is the rules alone, for tools and the evaluation."""
    raw = text
    clean = normalise(text, max_chars=10**9).text
    folded = fold(clean)

    rule = _match(folded)
    if rule:
        via = "homoglyph" if has_mixed_scripts(clean) and not _match(clean.lower()) else None
        return _verdict(rule, via)

    views, runs = obfuscation_views(text, folded)
    for how, view in views:
        if rule := _match(view):
            return _verdict(rule, how)
    if runs and _SQUASHED.search(re.sub(r"[^a-z]", "", dict(views).get("spaced", ""))):
        return Verdict(category="injection", rule="spaced:obfuscated.squashed")

    if _depth < 2:
        for how, hidden in decoded_payloads(raw):
            inner = check_rules(hidden, _depth + 1)
            if inner.category:
                return Verdict(category=inner.category, rule=f"{how}:{inner.rule}")
        if _ROT13_HINT.search(folded):
            inner = check_rules(codecs.decode(clean, "rot13"), _depth + 1)
            if inner.category:
                return Verdict(category=inner.category, rule=f"rot13:{inner.rule}")
        if _REVERSE_HINT.search(folded):
            inner = check_rules(clean[::-1], _depth + 1)
            if inner.category:
                return Verdict(category=inner.category, rule=f"reversed:{inner.rule}")
    return Verdict()
