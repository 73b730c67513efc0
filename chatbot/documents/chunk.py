"""Sections into chunks small enough to embed and cite, each keeping its page and heading."""

from __future__ import annotations

import re

from chatbot.documents.models import DocChunk, Section

MAX_CHARS = 1200  # about 300 tokens: a paragraph or two, precise enough to cite
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def _pieces(text: str, limit: int) -> list[str]:
    """Paragraphs packed up to ``limit``; a longer paragraph is cut between sentences."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) <= limit:
            units.append(paragraph)
            continue
        sentence_buffer = ""
        for sentence in _SENTENCE_END.split(paragraph):
            while len(sentence) > limit:  # one endless sentence: cut between words
                cut = sentence.rfind(" ", 0, limit)
                cut = cut if cut > limit // 2 else limit
                units.append(sentence[:cut])
                sentence = sentence[cut:].strip()
            if sentence_buffer and len(sentence_buffer) + 1 + len(sentence) > limit:
                units.append(sentence_buffer)
                sentence_buffer = sentence
            else:
                sentence_buffer = f"{sentence_buffer} {sentence}".strip()
        if sentence_buffer:
            units.append(sentence_buffer)
    out, current = [], ""
    for unit in filter(None, units):
        if current and len(current) + 1 + len(unit) > limit:
            out.append(current)
            current = unit
        else:
            current = f"{current}\n{unit}" if current else unit
    return [*out, current] if current else out


def chunk_sections(
    doc_id: str, title: str, sections: list[Section], limit: int = MAX_CHARS
) -> list[DocChunk]:
    chunks: list[DocChunk] = []
    for section in sections:
        for piece in _pieces(section.text, limit):
            chunks.append(
                DocChunk(
                    id=f"{doc_id}:{len(chunks):05d}",
                    doc_id=doc_id,
                    n=len(chunks),
                    title=title,
                    page=section.page,
                    heading=section.heading,
                    text=piece,
                )
            )
    return chunks
