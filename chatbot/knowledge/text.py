"""French text normalisation shared by the lexical index and the offline embedder.

Accents are folded, elisions (l', d', qu' ...) stripped, stop words dropped and words
stemmed with the Snowball French stemmer, so that "déclarer", "déclaration" and
"declaration" meet on the same term. The stop list is written here on purpose: nothing is
downloaded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("french")

_WORD = re.compile(r"[a-z0-9]+")

# Function words and chat filler that carry no topic. Compared after accent folding.
STOP_WORDS = frozenset(
    """
    a ai aie aient aies ait as au aux avec avez avons avoir avais avait c ca ce ceci cela celle
    celles celui ces cet cette ceux chez comme comment d dans de des du elle elles en es est et
    etaient etais etait etant ete etes etre eu eux faut il ils j je la le les leur leurs lui m ma
    mais me meme mes moi mon n ne ni nos notre nous on ont ou par pas peut peux pour pourquoi
    qu quand que quel quelle quelles quels qui quoi s sa sans se ses si son sont sur t ta te tes
    toi ton tu un une unes uns vos votre vous y bonjour merci svp stp bonsoir salut voudrais
    veux voudrions souhaite souhaiterais aimerais besoin faire fait dois doit dit sais savoir
    cest jai jaimerais quest estce quoi ou donc alors aussi tres plus moins bien tout tous
    toute toutes autre autres ya lors jusqu lorsqu puisqu quoiqu presqu
    """.split()
)


_APOSTROPHES = str.maketrans({"'": " ", "’": " ", "ʼ": " ", "`": " ", "´": " "})


def fold(text: str) -> str:
    """Lowercase, strip accents (é -> e, œ -> oe), apostrophes to spaces.

    Splitting on the apostrophe is how elisions go: "l'", "d'", "j'" leave one-letter
    words that `terms` drops, and "qu'", "jusqu'" are stop words.
    """
    text = text.lower().replace("œ", "oe").replace("æ", "ae").translate(_APOSTROPHES)
    # Decompose, then drop what is not ASCII (the accents): done in C, ~5x faster than a
    # per-character loop, which matters at 10,000 chunks.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """Folded words, elisions split off, stop words kept."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    # Snowball works best on accented input, but folded input is what we have after
    # `words`; its French rules still reduce plurals and verb endings well enough.
    return _STEMMER.stemWord(word)


@lru_cache(maxsize=200_000)
def _term(word: str) -> str | None:
    if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
        return None
    return stem(word)


def terms(text: str) -> list[str]:
    """Stems of the content words of ``text``, in order (duplicates kept for tf)."""
    return [t for t in map(_term, words(text)) if t is not None]


# Everyday words citizens use for administrative ones. Query-side only: fiches keep their
# wording. General French, not tuned to the question set.
_COLLOQUIAL = {
    "gosse": "enfant",
    "gosses": "enfants",
    "gamin": "enfant",
    "gamins": "enfants",
    "mome": "enfant",
    "momes": "enfants",
    "sous": "argent montant",
    "fric": "argent montant",
    "thune": "argent montant",
    "thunes": "argent montant",
    "bagnole": "voiture vehicule",
    "caisse": "voiture vehicule",
    "boulot": "travail emploi",
    "taf": "travail emploi",
    "job": "travail emploi",
    "patron": "employeur",
    "boss": "employeur",
    "proprio": "proprietaire",
    "appart": "appartement logement",
    "apparts": "logement",
    "chomdu": "chomage",
    "chomeur": "chomage",
    "flic": "police",
    "flics": "police",
    "keufs": "police",
    "toubib": "medecin",
    "secu": "securite sociale assurance maladie",
    "impots": "impot",
    "taxes": "impot",
    "alloc": "allocations",
    "allocs": "allocations",
    "apl": "aide logement",
    "mutuelle": "complementaire sante",
    "piquer": "vol",
    "pique": "vol",
    "paume": "perdu perte",
    "paumé": "perdu perte",
    "mdp": "mot de passe",
    "teletaf": "teletravail",
    "vieux": "retraite age",
    "deces": "deces mort",
    "mort": "deces",
    "marier": "mariage",
}


def expand(query: str) -> str:
    """The query plus administrative words for the colloquial ones it contains."""
    extra = [_COLLOQUIAL[w] for w in words(query) if w in _COLLOQUIAL]
    return f"{query} {' '.join(extra)}" if extra else query
