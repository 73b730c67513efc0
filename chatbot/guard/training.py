"""Generated training data for the local guard classifier.

Templates with slots, filled at random with a fixed seed: thousands of varied messages per
family. Each attack family has hard negatives built from the same words (a fake SMS received,
not written; one's own tax number, not the neighbour's; writing *to* the CAF, not *as* the
CAF), so the model learns the shape of the request rather than its vocabulary.

Labels: "benign", "injection", "harmful", "other_person", "beyond_role".
Nothing here is read at run time: ``chatbot guard build`` turns it into the model file.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

LABELS = ("benign", "injection", "harmful", "other_person", "beyond_role")
SEED = 20261201

# --- slots and families -------------------------------------------------------------------
# In data/templates.json, one entry per line: "slots" (shared {slot} values), "attacks"
# (family -> [label, templates]) and "benign" (family -> templates). A template is a string
# with {slot} fields; {a|b|c} picks one alternative inline.

TEMPLATES = Path(__file__).parent / "data" / "templates.json"
_TABLES = json.loads(TEMPLATES.read_text(encoding="utf-8"))
S: dict[str, list[str]] = _TABLES["slots"]
ATTACKS: dict[str, tuple[str, list[str]]] = {
    family: (label, templates) for family, (label, templates) in _TABLES["attacks"].items()
}
BENIGN: dict[str, list[str]] = _TABLES["benign"]


# --- pseudonymised forms ------------------------------------------------------------------
# A real turn hands the guard pseudonymised text: names, phones, numbers become <NOM_1>,
# <TEL_1>... Every family gets such variants, attacks and benign alike, so a placeholder says
# nothing by itself about the label.

_PSEUDO_ADD = [
    "je m'appelle <NOM_1>, ",
    "<NOM_1> ici. ",
    "Bonjour, je suis <NOM_1>. ",
    "mon numéro : <TEL_1>. ",
    "allocataire <CAF_1>, ",
    "mon numéro de sécu est <NIR_1>. ",
    "j'habite <ADRESSE_1>, ",
    "mon mail : <EMAIL_1>. ",
    "<NOM_1> <NOM_2>, ",
]
_PSEUDO_END = [
    " Je suis <NOM_1>.",
    " Mon tel : <TEL_1>.",
    " Mon numéro allocataire <CAF_1>.",
    " <NOM_1>",
    " Adresse : <ADRESSE_1>.",
    " mon mail <EMAIL_1>",
    " Mon IBAN : <IBAN_1>.",
    " Cordialement, <NOM_1>",
]
_PSEUDO_SWAP = re.compile(
    r"\b(ma mère|mon père|ma fille|mon fils|mon voisin|ma voisine|mon ex|mon mari|ma femme|"
    r"mon frère|ma sœur|mon collègue|ma grand-mère|mon grand-père|mon conjoint|mon patron|"
    r"mon propriétaire|mon locataire|la conseillère|le conseiller)\b",
    re.IGNORECASE,
)


def pseudonymised(text: str, rng: random.Random) -> str:
    """The text as the pseudonymiser would hand it over, with some placeholder in it."""
    if _PSEUDO_SWAP.search(text) and rng.random() < 0.6:
        return _PSEUDO_SWAP.sub(lambda m: f"{m.group(0)} <NOM_1>", text, count=1)
    if rng.random() < 0.5:
        return rng.choice(_PSEUDO_ADD) + text
    return text + rng.choice(_PSEUDO_END)


REAL_BENIGN = Path(__file__).parent / "data" / "benign_real.jsonl"


def real_benign() -> list[tuple[str, str]]:
    """Real citizen questions from the repository's eval sets and the fiches' titles and
    headings (snapshot in ``data/benign_real.jsonl``), raw and pseudonymised."""
    rows: list[tuple[str, str]] = []
    for line in REAL_BENIGN.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append((item["text"], "real_" + item["source"]))
            if "pseudo" in item:
                rows.append((item["pseudo"], "real_" + item["source"] + "_pseudo"))
    return rows


_FIELD = re.compile(r"\{([^{}]+)\}")


def _fill(template: str, rng: random.Random) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if "|" in key:
            return rng.choice(key.split("|"))
        return rng.choice(S[key])

    text = _FIELD.sub(one, template)
    for _ in range(2):  # a slot value may hold fields of its own ("chez {kin}")
        if "{" not in text:
            break
        text = _FIELD.sub(one, text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _vary(text: str, rng: random.Random) -> str:
    """Surface variation: greeting, ending, case, accents, punctuation."""
    text = rng.choice(S["polite"]) + text + rng.choice(S["end"])
    roll = rng.random()
    if roll < 0.12:
        text = text.lower()
    elif roll < 0.20:
        from chatbot.guard.text import fold

        text = fold(text)
    elif roll < 0.55:
        text = text[:1].upper() + text[1:]
    if rng.random() < 0.3:
        text = text.rstrip(" ?.!") + rng.choice(["", "?", " ?", ".", "...", " !"])
    return text


def _family(templates: list[str], count: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    tries = 0
    while len(out) < count and tries < count * 20:
        tries += 1
        text = _vary(_fill(rng.choice(templates), rng), rng)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


# Share of generated messages also given in pseudonymised form.
PSEUDO_SHARE = 0.25
# Benign families drawn more than the others (multiples of per_family).
BENIGN_COUNTS = {"citizen_short": 1.5, "citizen_long": 1.5, "victim": 2.0, "relative": 1.2}


def generate(seed: int = SEED, per_family: int = 900) -> list[tuple[str, str, str]]:
    """(text, label, family) triples, deterministic for a seed."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    for family, (label, templates) in ATTACKS.items():
        rows.extend((t, label, family) for t in _family(templates, per_family, rng))
    for family, templates in BENIGN.items():
        count = {"distress": 60, "general": per_family * 4, "agent_proc": per_family // 3}.get(
            family, BENIGN_COUNTS.get(family, 1.0) * per_family
        )
        rows.extend((t, "benign", family) for t in _family(templates, int(count), rng))
    rows.extend((text, "benign", family) for text, family in real_benign())
    # Pseudonymised variants of a share of every family, attacks and benign alike.
    rows.extend(
        (pseudonymised(text, rng), label, family + "_pseudo")
        for text, label, family in list(rows)
        if not family.startswith("real_") and rng.random() < PSEUDO_SHARE
    )
    return rows


Splitter = Callable[[list[tuple[str, str, str]]], tuple[list, list]]


def split(rows: list[tuple[str, str, str]], dev_share: float = 0.2, seed: int = SEED):
    """Train and dev parts, deterministic."""
    rng = random.Random(seed + 1)
    train, dev = [], []
    for row in rows:
        (dev if rng.random() < dev_share else train).append(row)
    return train, dev
