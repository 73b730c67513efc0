"""Checksums decide whether a number is masked as that identifier: valid ones must pass,
one wrong digit must fail."""

from __future__ import annotations

import pytest

from chatbot.privacy import checksums


@pytest.mark.parametrize(
    "nir",
    [
        "1 85 05 78 006 084 91",
        "185057800608491",
        "2 84 02 97 320 450 25",
        "1 78 07 2A 454 646 85",  # Corse-du-Sud: 2A counts as 19
        "2 92 01 2B 123 456 88",  # Haute-Corse: 2B counts as 18
        "1.85.05.78.006.084.91",
    ],
)
def test_valid_nir(nir: str) -> None:
    assert checksums.nir_ok(nir)


@pytest.mark.parametrize(
    "nir",
    [
        "1 85 05 78 006 084 92",  # wrong key
        "1 78 07 2B 454 646 85",  # 2A's key does not fit 2B
        "5 85 05 78 006 084 91",  # no such first digit
        "1 85 05 78 006 084",  # no key
    ],
)
def test_invalid_nir(nir: str) -> None:
    assert not checksums.nir_ok(nir)


def test_iban_mod97_france_and_europe() -> None:
    assert checksums.iban_ok("FR76 3000 6000 0112 3456 7890 189")
    assert checksums.iban_ok("fr7630006000011234567890189")
    assert checksums.iban_ok("DE89 3704 0044 0532 0130 00")
    assert checksums.iban_ok("BE68 5390 0754 7034")
    assert not checksums.iban_ok("FR76 3000 6000 0112 3456 7890 188")
    assert not checksums.iban_ok("DE89 3704 0044 0532 0130 0")  # wrong length


def test_fiscal_number_key_is_first_ten_mod_511() -> None:
    assert checksums.fiscal_ok("1234567890066")
    assert checksums.fiscal_ok("30 12 345 678 167")
    assert not checksums.fiscal_ok("1234567890067")
    assert not checksums.fiscal_ok("4234567890066")  # starts with 0 to 3


def test_siren_siret_card_luhn() -> None:
    assert checksums.siren_ok("732 829 320")
    assert not checksums.siren_ok("732 829 321")
    assert checksums.siret_ok("732 829 320 00074")
    assert not checksums.siret_ok("732 829 320 00075")
    assert checksums.card_ok("4970 1000 0000 0006")
    assert not checksums.card_ok("4970 1000 0000 0007")
