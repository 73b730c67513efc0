"""Data shapes at the knowledge base boundary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

AUDIENCES = ("public", "agents")


class Problem(BaseModel):
    """Something wrong in a knowledge file, pointing at the line an editor must fix."""

    path: str
    line: int
    message: str
    hint: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message} — {self.hint}"


class SourceLink(BaseModel):
    """An official page a section comes from; `title` may be "" (a fiche's single
    `source_url`): the fiche's title then labels the link."""

    url: str
    title: str = ""


class Hit(BaseModel):
    """One retrieved section of a fiche."""

    fiche_id: str
    title: str
    audience: str
    heading: str  # "Fiche title > Section"
    anchor: str  # slug of the section, "" for the introduction
    url: str  # the section's first official source page
    text: str
    score: float  # 0..1, higher is better
    page: int | None = None  # an agent's own document: the page cited (fiches have none)
    sources: list[SourceLink] = Field(default_factory=list)  # every page the section is from

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.sources] or [self.url]


def source_urls(hits: Iterable[Hit]) -> set[str]:
    """Every official page the hits come from: the links an answer may contain."""
    return {url for hit in hits for url in hit.urls}


class Source(BaseModel):
    """A hit as listed under an answer: the number [n] the answer cites it by."""

    n: int
    id: str  # the fiche id
    title: str
    heading: str = ""
    anchor: str = ""
    url: str
    audience: str = "public"
    links: list[SourceLink] = Field(default_factory=list)  # every page the section is from
    page: int | None = None  # an agent's own document (audience "document"): its page

    @classmethod
    def of(cls, hit: Hit, n: int) -> Source:
        shown = hit.model_dump(include={"title", "heading", "anchor", "url", "audience", "page"})
        return cls(n=n, id=hit.fiche_id, links=list(hit.sources), **shown)


class SyncReport(BaseModel):
    """What one sync changed, counted in fiches (chunks embedded counted apart)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    moved: int = 0  # renamed or moved between folders with the same content
    embedded: int = 0  # chunks sent to an embedder in this sync (all spaces)
    errors: list[Problem] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.moved)


class Chunk(BaseModel):
    """One `##` section (or part of a long one) ready to index."""

    id: str  # "<audience>/<fiche_id>#<anchor>[~n]"
    fiche_id: str
    audience: str
    title: str
    summary: str
    tags: str  # comma-separated, Chroma metadata must be scalar
    heading: str
    anchor: str
    url: str  # the first of `sources`
    path: str  # relative to the knowledge folder, e.g. "public/passeport.md"
    sources: list[SourceLink] = Field(default_factory=list)
    text: str  # the section as written, shown and cited
    text_hash: str = ""  # hash of `index_text`: same hash -> same embedding
    hash: str = ""  # hash of everything stored: same hash -> nothing to write

    @property
    def key(self) -> str:
        return f"{self.audience}/{self.fiche_id}"

    @property
    def index_text(self) -> str:
        """What is embedded and indexed: section plus the fiche context that gives it sense."""
        return f"{self.heading}\n{self.summary}\n{self.tags}\n{self.text}"

    def metadata(self) -> dict[str, str]:
        return {
            "fiche_id": self.fiche_id,
            "audience": self.audience,
            "title": self.title,
            "summary": self.summary,
            "tags": self.tags,
            "heading": self.heading,
            "anchor": self.anchor,
            "url": self.url,
            "path": self.path,
            # Chroma metadata values are scalars: the list is stored as JSON.
            "sources": json.dumps([s.model_dump() for s in self.sources], ensure_ascii=False),
            "text_hash": self.text_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_store(cls, chunk_id: str, document: str, meta: dict) -> Chunk:
        fields = {k: str(meta.get(k, "")) for k in _META_KEYS}
        try:
            stored = json.loads(str(meta.get("sources") or "[]"))
            sources = [SourceLink.model_validate(s) for s in stored]
        except ValueError:
            sources = []
        # Stored before sections carried their sources: the one page they had.
        sources = sources or [SourceLink(url=fields["url"])]
        return cls(id=chunk_id, text=document, sources=sources, **fields)


_META_KEYS = (
    "fiche_id",
    "audience",
    "title",
    "summary",
    "tags",
    "heading",
    "anchor",
    "url",
    "path",
    "text_hash",
    "hash",
)
