"""Data shapes at the documents boundary: what a parser returns, what an owner sees."""

from __future__ import annotations

from pydantic import BaseModel, Field

# The kinds of file an agent may upload, by what their bytes say (not their name).
KINDS = ("pdf", "docx", "odt", "txt", "md", "html")


class DocumentError(Exception):
    """A file we refuse. ``code`` keys the French message in ``chatbot.replies``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail  # for operators' logs: never file content

    @property
    def message(self) -> str:
        from chatbot.replies import DOCUMENT_REPLIES

        return DOCUMENT_REPLIES.get(self.code, DOCUMENT_REPLIES["unreadable"])


class Section(BaseModel):
    """A run of text under one heading on one page: the unit a citation points at."""

    page: int | None = None  # 1-based; None for formats without pages (DOCX, ODT, TXT...)
    heading: str = ""  # "Titre > Sous-titre", "" before the first heading
    text: str


class Parsed(BaseModel):
    kind: str
    pages: int = 0  # pages of a PDF; 0 for formats without pages
    sections: list[Section] = Field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(s.text) for s in self.sections)


class DocChunk(BaseModel):
    """One indexed piece of a document (pseudonymised text)."""

    id: str  # "<doc_id>:<n>"
    doc_id: str
    n: int
    title: str  # the document's shown name (pseudonymised)
    page: int | None = None
    heading: str = ""
    text: str


class DocumentInfo(BaseModel):
    """A document as its owner sees it in their list (and the API returns it)."""

    id: str
    filename: str  # pseudonymised: the file name may hold a name too
    kind: str
    pages: int
    chunks: int
    chars: int
    created_at: str  # ISO 8601, UTC
    masked: dict[str, int] = Field(default_factory=dict)  # entity type -> count masked
