"""Output checks on a generated answer: citations, links, canary. Pure functions."""

from __future__ import annotations

import re

from pydantic import BaseModel

CITATION = re.compile(r"\[(\d{1,2})\]")
URL = re.compile(r"https?://[^\s)\]>\"']+|www\.[^\s)\]>\"']+", re.IGNORECASE)


class Checked(BaseModel):
    text: str
    cited: list[int]  # source numbers the answer cites, in order of first use
    invalid_citations: int = 0
    removed_urls: int = 0
    canary_leak: bool = False


def check_answer(text: str, n_sources: int, allowed_urls: set[str], canary: str) -> Checked:
    """Drop citations to sources that do not exist and URLs that are not sources."""
    if canary and canary.lower() in text.lower():
        return Checked(text="", cited=[], canary_leak=True)

    invalid = 0

    def _citation(match: re.Match[str]) -> str:
        nonlocal invalid
        if 1 <= int(match.group(1)) <= n_sources:
            return match.group(0)
        invalid += 1
        return ""

    text = CITATION.sub(_citation, text)
    removed = 0

    def _url(match: re.Match[str]) -> str:
        nonlocal removed
        url = match.group(0).rstrip(".,;:")
        if url in allowed_urls:
            return match.group(0)
        removed += 1
        return "(lien retiré)"

    text = URL.sub(_url, text)
    cited: list[int] = []
    for match in CITATION.finditer(text):
        n = int(match.group(1))
        if n not in cited:
            cited.append(n)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return Checked(text=text, cited=cited, invalid_citations=invalid, removed_urls=removed)
