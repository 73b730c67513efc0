"""Checksum validators for French and European identifiers.

A number that fails its checksum is not masked as that type: this keeps amounts, form
numbers and references readable for the model while real identifiers are caught.
"""

from __future__ import annotations

import re

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")

# IBAN lengths for the EU/EEA countries (and a few neighbours) citizens actually mention.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}  # fmt: skip


def compact(value: str) -> str:
    """Letters and digits only, upper case: the form checksums are computed on."""
    return _NON_ALNUM.sub("", value).upper()


def luhn_ok(value: str) -> bool:
    digits = compact(value)
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def nir_ok(value: str) -> bool:
    """Numéro de sécurité sociale: 13 characters then key = 97 - (number mod 97).

    Corsica (2A, 2B) has letters in the department: 2A counts as 19 and 2B as 18.
    """
    nir = compact(value)
    if len(nir) != 15 or nir[0] not in "12378":
        return False
    body, key = nir[:13], nir[13:]
    dept = body[5:7]
    if dept == "2A":
        body = body[:5] + "19" + body[7:]
    elif dept == "2B":
        body = body[:5] + "18" + body[7:]
    if not body.isdigit() or not key.isdigit():
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    return 97 - int(body) % 97 == int(key)


def iban_ok(value: str) -> bool:
    iban = compact(value)
    country = iban[:2]
    if IBAN_LENGTHS.get(country) != len(iban) or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(char, 36)) for char in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def fiscal_ok(value: str) -> bool:
    """Numéro fiscal (SPI): 13 digits, the last three are the first ten mod 511."""
    digits = compact(value)
    if len(digits) != 13 or not digits.isdigit() or digits[0] not in "0123":
        return False
    return int(digits[:10]) % 511 == int(digits[10:])


def siren_ok(value: str) -> bool:
    digits = compact(value)
    return len(digits) == 9 and luhn_ok(digits)


def siret_ok(value: str) -> bool:
    digits = compact(value)
    if len(digits) != 14 or not digits.isdigit():
        return False
    if digits.startswith("356000000"):  # La Poste's establishments: digit sum mod 5
        return sum(int(d) for d in digits) % 5 == 0
    return luhn_ok(digits)


def card_ok(value: str) -> bool:
    digits = compact(value)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)
