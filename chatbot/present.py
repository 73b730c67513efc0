"""Turn a TurnResult into the Markdown a user reads (chat page, widget, CLI text output).

The answer was checked for display by the turn (``chatbot.display``); the sources list is
built here, from fiche metadata: its labels are escaped and a link is made only to a plain
web address, so a fiche's title or address cannot bring in an image, HTML or another link.
"""

from __future__ import annotations

import re

from chatbot.display import safe_url
from chatbot.turn import Source, TurnResult

_MARKUP = re.compile(r"[\\`\[\]<>!&]")


def _escape(text: str) -> str:
    return _MARKUP.sub(r"\\\g<0>", " ".join(text.split()))


def source_line(source: Source) -> str:
    section = source.heading.split(" > ")[-1] if source.heading else ""
    label = f"{source.title} — {section}" if section and section != source.title else source.title
    if not safe_url(source.url):
        return f"{source.n}. {_escape(label)}"
    return f"{source.n}. [{_escape(label)}]({source.url})"


def as_markdown(result: TurnResult) -> str:
    parts = [result.answer.strip()]
    if result.sources:
        parts.append("**Sources**\n" + "\n".join(source_line(s) for s in result.sources))
    if result.notice:
        parts.append(f"*{result.notice}*")
    return "\n\n".join(p for p in parts if p)
