"""Cue phrases around names, for ``cues.CueNameRecognizer``: "nom : ...", "... c mon nom",
capitals before "(mon conseiller", a relative before a first name, a one-word sign-off."""

from __future__ import annotations

import re
from functools import lru_cache

from chatbot.privacy.recognizers import fold
from chatbot.privacy.terms import builtin_allow_list

NAME_WORD = re.compile(
    r"(?<![\w'’])(?:(?:mon|son|sa|ma|le|du) )?(?:nom|pr[ée]nom)"
    r"(?: de (?:famille|naissance|jeune fille)"
    r"| d['’]usage| marital| complet)?[ \u00a0]*(?::|=|c['’ ]?est|c|est|cest)?[ \u00a0]+(?=\w)",
    re.IGNORECASE,
)
IS_MY_NAME = re.compile(
    r"[ \u00a0]+(?:c['’ ]?est |c |est )?(?:mon|son) (?:nom|pr[ée]nom)\b", re.IGNORECASE
)
ROLE_AFTER = re.compile(
    r"[ \u00a0]*(?:\((?:mon|ma|notre|son|sa) |m['’]a |m['’]ont |nous a )", re.IGNORECASE
)
RELATIVE = re.compile(
    r"(?<![\w'’])(?:(?:mon|ma|notre|son|sa) (?:grand[- ]p[èe]re|grand[- ]m[èe]re|ex|mari|femme"
    r"|fils|fille|fr[èe]re|s(?:oe|œ)ur|p[èe]re|m[èe]re|conjointe?|compagnon|compagne|copain"
    r"|copine|voisine?|cousine?|oncle|tante|neveu|ni[èe]ce|beau-p[èe]re|belle-m[èe]re|enfant"
    r"|p(?:e|')?tite?[- ](?:fils|fille)|amie?|coloc|conseill[èe]re?|patronne?|employeur|m[ée]decin"
    r"|r[ée]f[ée]rente?|assistante? sociale?)|et moi|moi)[ \u00a0]*,?[ \u00a0]+(?=\w)",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    r"(?i:merci|bisous|bises|cordialement|bonne (?:journ[ée]e|soir[ée]e)|a\+|salutations)"
    r"[^\n]{0,25}\n[ \t/-]*([^\W\d_]+(?:-[^\W\d_]+)?)[\s.!]*$"
)


@lru_cache(maxsize=1)
def ALLOWED_WORDS() -> frozenset[str]:  # noqa: N802 - a constant, built on first use
    """Single-word must-survive terms (CAF, URSSAF, Paris): capitals that are no surname."""
    return frozenset(fold(t.strip()) for t in builtin_allow_list() if " " not in t.strip())
