"""Turn a TurnResult into the Markdown a user reads (chat page, widget, CLI text output)."""

from __future__ import annotations

from chatbot.turn import Source, TurnResult


def source_line(source: Source) -> str:
    section = source.heading.split(" > ")[-1] if source.heading else ""
    label = f"{source.title} — {section}" if section and section != source.title else source.title
    return f"{source.n}. [{label}]({source.url})"


def as_markdown(result: TurnResult) -> str:
    parts = [result.answer.strip()]
    if result.sources:
        parts.append("**Sources**\n" + "\n".join(source_line(s) for s in result.sources))
    if result.notice:
        parts.append(f"*{result.notice}*")
    return "\n\n".join(p for p in parts if p)
