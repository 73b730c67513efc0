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
from chatbot.privacy.informal import normalise
from chatbot.privacy.topic import topic_of

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


# A phone number typed over two messages: "mon numéro c'est 06 12 34", then "56 78".
_TAIL = re.compile(r"(?<![\w+])((?:\+33|0033|0)\s?\d(?:[ .\-/]?\d){0,7})[\s.,;!?]*$")
_HEAD = re.compile(r"^\s*(\d(?:[ .\-/]?\d){0,8})(?![ .\-/]?\d)")
_PHONE_CUE = re.compile(r"(?i:t[ée]l|num[ée]ro|num|portable|mobile|joindre|appel|06|07)")


def _digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return (
        "0" + digits[4:]
        if digits.startswith("0033")
        else ("0" + digits[2:] if value.lstrip().startswith("+33") else digits)
    )


def _unfinished_phone(text: str, entities: list[Entity]) -> tuple[str, tuple[int, int]] | None:
    """Digits of a phone number cut short at the end of a message, and their span."""
    match = _TAIL.search(text)
    if match is None or any(e.start < match.end(1) and match.start(1) < e.end for e in entities):
        return None
    digits = _digits(match.group(1))
    if not 2 <= len(digits) < 10 or digits[1:2] in ("", "8"):
        return None
    return digits, match.span(1)


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
        # Unfinished phone digits at the end of the last message: memory only, never stored.
        self._phone_tail = ""

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
        entities = self._split_phone(text, analyze(text, self.allow_list))
        scrubbed = self.apply(text, entities)
        self._recent[text] = scrubbed
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        return scrubbed

    def _split_phone(self, text: str, entities: list[Entity]) -> list[Entity]:
        """Mask a phone number typed over two messages, in both halves' messages.

        The end of the first half is masked when a phone cue precedes it ("mon numéro
        c'est 06 12 34"); the start of the next message is masked when its digits complete
        the number ("56 78").
        """
        norm = normalise(text)
        tail, self._phone_tail = self._phone_tail, ""
        head = _HEAD.match(norm) if tail else None
        if head and len(tail) + len(re.sub(r"\D", "", head.group(1))) == 10:
            span = head.span(1)
            if not any(e.start < span[1] and span[0] < e.end for e in entities):
                entities = [*entities, Entity(type="TEL", start=span[0], end=span[1], score=0.8)]
        unfinished = _unfinished_phone(norm, entities)
        if unfinished is not None:
            self._phone_tail, (start, end) = unfinished
            before = norm[max(0, start - 40) : start]
            if len(self._phone_tail) >= 4 and _PHONE_CUE.search(before):
                entities = [*entities, Entity(type="TEL", start=start, end=end, score=0.6)]
        return sorted(entities, key=lambda e: e.start)

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

    def subject(self, text: str) -> Outbound:
        """What text this gate already pseudonymised is about, for routing and retrieval:
        known values masked, then the placeholders and the words introducing them removed."""
        return _clear(topic_of(str(self.mask_known(text))))

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


def masked_notice(types: Iterable[str], has_model: bool = True) -> str:
    """A discreet French sentence saying what was masked and that it was not sent.

    ``has_model``: a language model (backend) is configured. Without one nothing is sent
    anywhere, so the sentence must not mention a model.
    """
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
    if has_model:
        return f"Par précaution, {listed} {verb} : {pronoun} pas été {sent} au modèle de langue."
    return f"Par précaution, {listed} {verb} : {pronoun} été {sent} à aucun service extérieur."
