"""NIR (numéro de sécurité sociale) in any grouping, or with its key apart.

"152 1233 7511 23 46", "1850578006084 clé 36": always checksummed, except when the key is
named as such ("... 432 clé 18"): then a mistyped number is still a NIR.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.privacy import checksums
from chatbot.privacy.recognizers import FrenchRecognizer

_NIR_SEP = " .-/"
_NIR_START = re.compile(r"(?<![\w])(?<![\d][ .\-/])[12378]")
_KEY_AFTER = re.compile(
    r"\s*(?:[,;:/\-]\s*)?(?:(?:cl[ée]|key|cle)\s*:?\s*)?(\d{2})(?![\w]|[ .\-]\d)", re.IGNORECASE
)


def _nir_body(text: str, start: int, wanted: int) -> int | None:
    """End of ``wanted`` NIR characters from ``start``, one separator at most between."""
    count, pos, end = 0, start, start
    while pos < len(text) and count < wanted:
        char = text[pos]
        if char.isdigit() or (count == 6 and char in "ABab" and text[pos - 1] == "2"):
            count += 1
            end = pos + 1
            pos += 1
        elif char in _NIR_SEP and count and pos + 1 < len(text) and text[pos + 1].isalnum():
            pos += 1
        else:
            break
    return end if count == wanted else None


class GroupedNirRecognizer(FrenchRecognizer):
    """NIR in any grouping, or with its key apart ("1850578006084 clé 36"): checksummed."""

    def __init__(self) -> None:
        super().__init__("NIR", [], score=0.93)

    def candidates(self, text: str) -> Iterable[tuple[int, int]]:
        for match in _NIR_START.finditer(text):
            start = match.start()
            end = _nir_body(text, start, 15)
            if end is not None and not re.match(r"[ .\-]?\d", text[end : end + 2]):
                if checksums.nir_ok(text[start:end]):
                    yield start, end
                    continue
            body_end = _nir_body(text, start, 13)
            if body_end is None or re.match(r"\d", text[body_end : body_end + 1]):
                continue
            key = _KEY_AFTER.match(text, body_end)
            if key is None:
                continue
            # "... 432 clé 18": a key named as such makes a NIR, checksum or not (a typo)
            named = re.search(r"cl[ée]|key", key.group(0), re.IGNORECASE) is not None
            if named or checksums.nir_ok(text[start:body_end] + key.group(1)):
                yield start, key.end(1)
