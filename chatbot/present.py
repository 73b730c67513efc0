"""Turn a TurnResult into the Markdown a user reads (chat page, widget, CLI text output).

The answer was checked for display by the turn (``chatbot.display``); the sources list is
built here, from fiche metadata: its labels are escaped and a link is made only to a plain
web address, so a fiche's title or address cannot bring in an image, HTML or another link.
"""

from __future__ import annotations

import re

from chatbot.display import safe_url
from chatbot.knowledge.models import SourceLink
from chatbot.turn import Source, TurnResult

# Said only where sources are listed (the page's footer no longer mentions them).
SOURCES_HEADING = "**Sources** : vérifiez sur ces pages avant d'agir."
_MARKUP = re.compile(r"[\\`\[\]<>!&]")


def _escape(text: str) -> str:
    return _MARKUP.sub(r"\\\g<0>", " ".join(text.split()))


def _section(source: Source) -> str:
    section = source.heading.split(" > ")[-1] if source.heading else ""
    return section if section != source.title else ""


def _marker(n: int) -> str:
    # Escaped so Markdown never reads "[1]" as a link reference.
    return f"\\[{n}\\]"


def _links(group: list[Source]) -> list[tuple[str, str]]:
    """The (label, url) of every official page the group's sections come from, in order."""
    found: dict[str, str] = {}
    for source in group:
        for link in source.links or [SourceLink(url=source.url)]:
            found.setdefault(link.url, link.title or source.title)
    return [(label, url) for url, label in found.items()]


def source_lines(sources: list[Source]) -> list[str]:
    """One line per fiche, even when several of its sections are cited.

    The line carries every number the answer may cite for that fiche ("[1] [3] Carte Vitale
    — Perte ; Commande"), so each [n] in the answer still leads to its fiche, and the fiche's
    link appears once. A fiche written from several official pages lists, after its
    sections, a link to each page the cited sections come from, labelled with the page's
    title from the fiche's `sources`.
    """
    groups: dict[str, list[Source]] = {}
    for source in sources:
        groups.setdefault(source.id or source.url, []).append(source)
    lines = []
    for group in groups.values():
        first = group[0]
        if first.audience == "document":
            lines.append(_document_line(group))
            continue
        sections = list(dict.fromkeys(s for s in map(_section, group) if s))
        markers = " ".join(_marker(s.n) for s in group)
        title = _escape(first.title)
        links = _links(group)
        if len(links) == 1:
            url = links[0][1]
            line = f"- {markers} [{title}]({url})" if safe_url(url) else f"- {markers} {title}"
        else:
            line = f"- {markers} {title}"
        if sections:
            line += " — " + " ; ".join(_escape(s) for s in sections)
        if len(links) > 1:
            shown = [f"[{_escape(label)}]({url})" for label, url in links if safe_url(url)]
            line += " — " + ", ".join(shown) if shown else ""
        lines.append(line)
    return lines


def _document_line(group: list[Source]) -> str:
    """An agent's own document: no address (none exists, and none may leak), the pages and
    sections cited instead."""
    markers = " ".join(_marker(s.n) for s in group)
    places = []
    for source in group:
        section = _section(source)
        place = ", ".join(p for p in (f"p. {source.page}" if source.page else "", section) if p)
        if place and place not in places:
            places.append(place)
    line = f"- {markers} Votre document « {_escape(group[0].title)} »"
    return line + (" — " + " ; ".join(_escape(p) for p in places) if places else "")


def as_markdown(result: TurnResult) -> str:
    parts = [result.answer.strip()]
    if result.sources:
        parts.append(SOURCES_HEADING + "\n\n" + "\n".join(source_lines(result.sources)))
    if result.notice:
        parts.append(f"*{result.notice}*")
    return "\n\n".join(p for p in parts if p)
