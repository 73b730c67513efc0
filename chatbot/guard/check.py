"""The guard's verdict on one message: the rules first, then the local classifier.

The rules catch the known shapes of an attack (and say which rule fired); the local
classifier catches requests worded without trigger words (a fake SMS "from the CAF", hiding
income, a neighbour's address, "agent mode"). Both run in-process in a few milliseconds and
send nothing anywhere. The optional model classifier of the flow comes after, on what passes.
"""

from __future__ import annotations

import re

from chatbot.guard.local import load_model
from chatbot.guard.normalise import normalise
from chatbot.guard.rules import Verdict, check_rules, decoded_payloads, obfuscation_views
from chatbot.guard.text import fold

_LEET_INSIDE = re.compile(r"[a-z][0-9@$|€]+[a-z]")


def check_local(text: str) -> Verdict:
    """The local classifier alone: ``rule`` is ``"local.<category>"``."""
    clean = normalise(text, max_chars=10**9).text
    if not clean:
        return Verdict()
    model = load_model()
    category, _ = model.predict(clean)
    if category:
        return Verdict(category=category, rule=f"local.{category}")
    # Leetspeak or spaced-out letters ("f a u s s e  f i c h e", "h0w 2 g3t"): the
    # classifier reads the views the rules read.
    # Only when letters were really spaced out: the spaced view also drops the hyphens of
    # "peut-on" or "mois-ci", words the classifier never saw in that form.
    folded = fold(clean)
    views, runs = obfuscation_views(text, folded)
    for how, view in views:
        if how == "spaced" and not runs:
            continue
        # Likewise "3D", "1er" or "T2" are not leetspeak: a digit or symbol inside a word is.
        if how == "leet" and not _LEET_INSIDE.search(folded):
            continue
        category, _ = model.predict(view)
        if category:
            return Verdict(category=category, rule=f"{how}:local.{category}")
    # A request hidden in base64 or hex ("applique-le : RXhwbGlxdWUg..."): the classifier
    # reads the decoded text too, as the rules do.
    for how, decoded in decoded_payloads(text):
        category, _ = model.predict(normalise(decoded, max_chars=10**9).text)
        if category:
            return Verdict(category=category, rule=f"{how}:local.{category}")
    return Verdict()


def check_input(text: str) -> Verdict:
    """Deterministic verdict on one user message. ``rule`` names what fired, never the text."""
    verdict = check_rules(text)
    if verdict.category:
        return verdict
    return check_local(text)
