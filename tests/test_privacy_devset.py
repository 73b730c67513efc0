"""The labelled dev set is sound: offsets point at the values, identifiers that have a
checksum carry a valid one, and every entity type is represented."""

from __future__ import annotations

from chatbot.privacy import ENTITY_TYPES, checksums
from chatbot.privacy.evaluate import DEFAULT_SET, load_set

VALIDATORS = {
    "NIR": checksums.nir_ok,
    "IBAN": checksums.iban_ok,
    "FISCAL": checksums.fiscal_ok,
    "SIREN": checksums.siren_ok,
    "SIRET": checksums.siret_ok,
    "CB": checksums.card_ok,
}


def test_dev_set_is_consistent() -> None:
    examples = load_set(DEFAULT_SET)
    assert len(examples) >= 300
    assert len({e.id for e in examples}) == len(examples)
    seen_types = set()
    for example in examples:
        for entity in example.entities:
            value = example.text[entity.start : entity.end]
            assert value and value == value.strip(), (example.id, value)
            seen_types.add(entity.type)
            if entity.type in VALIDATORS:
                assert VALIDATORS[entity.type](value), (example.id, value)
        for term in example.must_survive:
            assert term in example.text, (example.id, term)
    assert seen_types == set(ENTITY_TYPES)
    assert sum(1 for e in examples if not e.entities) >= 60  # negatives
