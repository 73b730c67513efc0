"""Pseudonymisation: personal values become placeholders before anything leaves.

One ``Pseudonymiser`` per conversation. The mapping from placeholders to the user's values
lives in this object only: it is never persisted and never logged, so what is stored and
what reaches the model holds ``<NOM_1>``, ``<NIR_1>``... and the user's own values come back
only on their screen.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from chatbot.logs import get_logger
from chatbot.outbound import Outbound, _clear
from chatbot.privacy.analyzer import ENTITY_TYPES, Entity, analyze
from chatbot.privacy.checksums import compact

log = get_logger("chatbot.privacy")

# Tolerant of what models do to placeholders: spaces inside the brackets.
PLACEHOLDER = re.compile(r"<\s*(" + "|".join(ENTITY_TYPES) + r")_(\d{1,4})\s*>")
# A possible start of a placeholder at the end of a streamed chunk: "<", "<NO", "<NOM_1 ".
_PARTIAL = re.compile(r"<\s*(?P<name>[A-Z_]{0,16})(?:(?<=_)\d{1,4}\s*)?")


def could_be_placeholder(tail: str) -> bool:
    """``tail`` may be the start of a placeholder still being streamed ("<", "<NO", "<NOM_1 ")."""
    match = _PARTIAL.fullmatch(tail)
    if match is None:
        return False
    name = match.group("name")
    return any(f"{t}_".startswith(name) or name.startswith(f"{t}_") for t in ENTITY_TYPES)


# In the word around a placeholder, what makes it part of a URL, an address or markup.
_URLISH = re.compile(r"[/\\@=%]|\]\(|www\.|\w:\S", re.IGNORECASE)
# What a value must not bring into Markdown: links, images, HTML, entities, escapes.
_MARKUP = re.compile(r"[\\\[\]()<>!&`]")


def _in_url(text: str, start: int, end: int) -> bool:
    left = re.search(r"\S*\Z", text[:start])
    right = re.match(r"\S*", text[end:])
    word = (left.group(0) if left else "") + " " + (right.group(0) if right else "")
    return bool(_URLISH.search(PLACEHOLDER.sub(" ", word)))


# Types whose value is compared on letters and digits only ("06 12 34 56 78" = "0612345678").
_COMPACT_TYPES = frozenset(ENTITY_TYPES) - {"NOM", "ADRESSE", "EMAIL", "DATE_NAISSANCE"}


class Scrubbed(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    text: Outbound
    entities: list[Entity]


def _key(entity_type: str, value: str) -> tuple[str, str]:
    if entity_type in _COMPACT_TYPES:
        return entity_type, compact(value)
    return entity_type, " ".join(value.casefold().split())


# Recently scrubbed texts per conversation: the same message seen twice (the turn, then the
# data layer storing it) costs one NER run, not two.
_RECENT = 8


class Pseudonymiser:
    """Consistent placeholders for one conversation: the same value, the same placeholder.

    The gate reads no settings: the caller passes the operator's allow list (``Services``
    builds it from the settings and the knowledge base's proper nouns).
    """

    def __init__(self, allow_list: Iterable[str] = ()) -> None:
        self.allow_list: tuple[str, ...] = tuple(sorted({t for t in allow_list if t.strip()}))
        self._placeholders: dict[tuple[str, str], str] = {}
        self._values: dict[str, str] = {}
        self._counts: Counter[str] = Counter()
        self._recent: OrderedDict[str, Scrubbed] = OrderedDict()
        self.masked_types: set[str] = set()

    def __repr__(self) -> str:  # never show the mapping, even in a traceback or debugger
        return f"Pseudonymiser(placeholders={len(self._values)})"

    def _placeholder(self, entity_type: str, value: str) -> str:
        key = _key(entity_type, value)
        placeholder = self._placeholders.get(key)
        if placeholder is None:
            self._counts[entity_type] += 1
            placeholder = f"<{entity_type}_{self._counts[entity_type]}>"
            self._placeholders[key] = placeholder
            self._values[placeholder] = value
        return placeholder

    def apply(self, text: str, entities: list[Entity]) -> Scrubbed:
        """Replace the given entities (found by ``analyze`` on ``text``)."""
        parts: list[str] = []
        cursor = 0
        for entity in sorted(entities, key=lambda e: e.start):
            parts.append(text[cursor : entity.start])
            parts.append(self._placeholder(entity.type, text[entity.start : entity.end]))
            cursor = entity.end
            self.masked_types.add(entity.type)
        parts.append(text[cursor:])
        if entities:
            log.info("privacy.scrubbed", entities=dict(Counter(e.type for e in entities)))
        return Scrubbed(text=_clear("".join(parts)), entities=entities)

    def scrub(self, text: str) -> Scrubbed:
        """New text from the user: the analyser (spaCy and the recognizers) runs on it once."""
        cached = self._recent.get(text)
        if cached is not None:
            self._recent.move_to_end(text)
            return cached
        scrubbed = self.apply(text, analyze(text, self.allow_list))
        self._recent[text] = scrubbed
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        return scrubbed

    def clear(self, text: str) -> Outbound:
        """New text as it may leave the app (runs the analyser; see ``mask_known``)."""
        return self.scrub(text).text

    def mask_known(self, text: str) -> Outbound:
        """Text this gate already pseudonymised (graph state, history, an answer shown to the
        user): no analyser run. Values this conversation masked become their placeholders
        again, even where re-personalisation put them back or the context would hide them."""
        for placeholder, value in sorted(self._values.items(), key=lambda item: -len(item[1])):
            if value.strip():
                pattern = r"(?<!\w)" + re.escape(value) + r"(?!\w)"
                text = re.sub(pattern, lambda _m, p=placeholder: p, text, flags=re.IGNORECASE)
        return _clear(text)

    def repersonalise(self, text: str) -> str:
        """Placeholders back to the user's values; unknown placeholders are left as they are."""

        def value(match: re.Match[str]) -> str:
            return self._values.get(f"<{match.group(1)}_{match.group(2)}>", match.group(0))

        return PLACEHOLDER.sub(value, text)

    def repersonalise_display(self, text: str) -> str:
        """For a checked answer (``chatbot.display``): placeholders back to the user's values in
        plain text only. A placeholder in a word that holds a URL, an address or markup
        ("https://…<NOM_1>", "<EMAIL_1>@host", "](…") stays a placeholder, so a value never
        ends up in a link; values are escaped so they cannot form Markdown links or HTML."""

        def value(match: re.Match[str]) -> str:
            found = self._values.get(f"<{match.group(1)}_{match.group(2)}>")
            if found is None or _in_url(match.string, match.start(), match.end()):
                return match.group(0)
            return _MARKUP.sub(r"\\\g<0>", found)

        return PLACEHOLDER.sub(value, text)

    def stream(self) -> StreamRepersonaliser:
        return StreamRepersonaliser(self)


class StreamRepersonaliser:
    """Re-personalises a streamed answer without ever showing half a placeholder."""

    def __init__(self, pseudonymiser: Pseudonymiser) -> None:
        self._pseudonymiser = pseudonymiser
        self._pending = ""

    def feed(self, delta: str) -> str:
        """Text safe to display now; a possible placeholder start is held back."""
        self._pending += delta
        cut = len(self._pending)
        start = self._pending.rfind("<")
        if start != -1 and could_be_placeholder(self._pending[start:]):
            cut = start
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._pseudonymiser.repersonalise(ready)

    def flush(self) -> str:
        ready, self._pending = self._pending, ""
        return self._pseudonymiser.repersonalise(ready)


def scrub_once(text: str, allow_list: Iterable[str] = ()) -> Outbound:
    """Pseudonymise one text with a throwaway mapping (CLI and editor tools)."""
    return Pseudonymiser(allow_list).clear(text)


# What the user is told was masked: (words, feminine?)
_LABELS: dict[str, tuple[str, bool]] = {
    "NOM": ("votre nom", False),
    "NIR": ("votre numéro de sécurité sociale", False),
    "IBAN": ("votre IBAN", False),
    "TEL": ("votre numéro de téléphone", False),
    "EMAIL": ("votre adresse e-mail", True),
    "FISCAL": ("votre numéro fiscal", False),
    "SIRET": ("votre numéro SIRET", False),
    "SIREN": ("votre numéro SIREN", False),
    "PASSEPORT": ("votre numéro de passeport", False),
    "CNI": ("votre numéro de carte d'identité", False),
    "CAF": ("votre numéro d'allocataire", False),
    "FRANCE_TRAVAIL": ("votre identifiant France Travail", False),
    "PLAQUE": ("votre plaque d'immatriculation", True),
    "CB": ("votre numéro de carte bancaire", False),
    "ADRESSE": ("votre adresse", True),
    "DATE_NAISSANCE": ("votre date de naissance", True),
}


def masked_notice(types: Iterable[str]) -> str:
    """A discreet French sentence saying what was masked and that it was not sent."""
    wanted = set(types)
    labels = [_LABELS[t] for t in ENTITY_TYPES if t in wanted]
    if not labels:
        return ""
    words = [label for label, _ in labels]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]
    feminine = all(fem for _, fem in labels)
    if len(labels) == 1:
        verb, pronoun, sent = (
            ("a été masquée", "elle n'a", "transmise")
            if feminine
            else ("a été masqué", "il n'a", "transmis")
        )
    else:
        verb, pronoun, sent = (
            ("ont été masquées", "elles n'ont", "transmises")
            if feminine
            else ("ont été masqués", "ils n'ont", "transmis")
        )
    return f"Par précaution, {listed} {verb} : {pronoun} pas été {sent} au modèle."
