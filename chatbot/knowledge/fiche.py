"""One fiche: front matter model, parsing with line-accurate problems, and `##` chunking."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chatbot.knowledge.body import foreign_links, personal_data
from chatbot.knowledge.front import FrontMatter, key_line, problem, validate
from chatbot.knowledge.models import Chunk, Problem, SourceLink
from chatbot.knowledge.text import fold

MAX_BYTES = 200_000
# libyaml when available: ~10x faster, which matters when 1,000 fiches are parsed at start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Long sections are cut on paragraph boundaries so one chunk stays a focused excerpt.
MAX_CHUNK_CHARS = 2000
# Near-duplicate bodies are compared on runs of this many words.
SHINGLE_WORDS = 5

# A section names the sources it comes from on a line of its own: `<!-- source: 2 -->` or
# `<!-- sources: 1, 3 -->` (numbers in the order of `sources:`). Unmarked sections come from
# every source of the fiche. The line is not part of the section's text.
_SOURCE_MARK = re.compile(r"^\s*<!--\s*sources?\s*:\s*([^>]*?)\s*-->\s*$", re.IGNORECASE)
# Amounts in euros ("150 €", "1 200 euros", "25€"): benefits and thresholds are revalued
# every year, so a fiche holding them must be reviewed by its `review_by` date.
# The bounded run keeps the search linear on long runs of digits (a table of figures).
_AMOUNT = re.compile(r"\d[\d\s.,]{0,12}(?:€|euros?\b)", re.IGNORECASE)


@dataclass
class Fiche:
    id: str
    audience: str
    path: str  # relative to the knowledge folder, with forward slashes
    meta: FrontMatter
    body: str
    body_line: int  # file line where the body starts
    links: list[tuple[int, str]] = field(default_factory=list)  # (line, target)
    field_lines: dict[str, int] = field(default_factory=dict)  # front matter key -> file line
    _chunks: list[Chunk] | None = field(default=None, repr=False)
    _shingles: frozenset[int] | None = field(default=None, repr=False)

    @property
    def shingles(self) -> frozenset[int]:
        """Hashes of the body's 5-word runs (folded), computed once per parsed version."""
        if self._shingles is None:
            words = re.findall(r"\w+", fold(self.body))
            size = min(SHINGLE_WORDS, len(words)) or 1
            self._shingles = frozenset(
                hash(" ".join(words[i : i + size])) for i in range(max(len(words) - size + 1, 1))
            )
        return self._shingles

    @property
    def chunks(self) -> list[Chunk]:
        """Chunked once per parsed version of the file."""
        if self._chunks is None:
            self._chunks = chunk(self)
        return self._chunks

    @property
    def key(self) -> str:
        return f"{self.audience}/{self.id}"


def _yaml_problem(exc: yaml.YAMLError, front_count: int) -> tuple[int, str]:
    """The file line to fix (the opening `---` is line 1) and what is wrong there.

    YAML notices an unclosed quote or bracket only lines later, at the next key or at the end
    of the front matter: the line to fix is then the one where it opens (the context mark).
    """
    at = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    what = str(getattr(exc, "problem", None) or "YAML invalide")
    doing = str(getattr(exc, "context", None) or "")
    mark = at
    if context is not None and "quoted scalar" in doing:
        mark, what = context, "un guillemet n'est pas fermé"
    elif context is not None and "flow" in doing:
        mark, what = context, "un `[` ou `{` n'est pas fermé"
    mark = mark or context
    if mark is None:
        return 2, what
    # Marks count from 0 at the first line after `---`; never point past the front matter.
    return min(mark.line, max(front_count - 1, 0)) + 2, what


def read_text(data: bytes, rel: str) -> tuple[str | None, list[Problem]]:
    """Decode a fiche's bytes, or say why it cannot be read as a text file."""
    if len(data) > MAX_BYTES:
        return None, [
            problem(
                rel,
                1,
                f"fichier trop gros ({len(data) // 1000} ko, limite {MAX_BYTES // 1000} ko)",
                "découpez-le en plusieurs fiches",
            )
        ]
    if b"\x00" in data[:8192]:
        return None, [
            problem(
                rel,
                1,
                "fichier binaire, pas un texte Markdown",
                "enregistrez-le comme fichier texte .md en UTF-8",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            problem(
                rel,
                line,
                "texte qui n'est pas en UTF-8 (accents mal enregistrés)",
                "réenregistrez le fichier en UTF-8",
            )
        ]
    return text.removeprefix("\ufeff").replace("\r\n", "\n"), []


def parse(text: str, rel: str, audience: str, fiche_id: str) -> tuple[Fiche | None, list[Problem]]:
    """Parse a decoded fiche. Returns the fiche (None if unusable) and its own problems.

    A draft (`status: draft`) is parsed like any fiche; keeping it from being served is the
    folder scan's job (`check.scan`)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, [
            problem(
                rel,
                1,
                "pas d'en-tête (front matter)",
                "commencez le fichier par une ligne `---`, puis les champs",
            )
        ]
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return None, [
            problem(rel, 1, "l'en-tête n'est pas fermé", "ajoutez une ligne `---` après les champs")
        ]
    front_lines = lines[1:end]
    try:
        raw = yaml.load("\n".join(front_lines), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        line, what = _yaml_problem(exc, len(front_lines))
        return None, [
            problem(
                rel,
                line,
                f"en-tête YAML mal formé ({what})",
                "vérifiez l'indentation et mettez entre guillemets les valeurs"
                " qui contiennent « : » ou « # »",
            )
        ]
    if not isinstance(raw, dict):
        return None, [
            problem(
                rel,
                2,
                "l'en-tête n'est pas une liste de champs `clé: valeur`",
                "écrivez un champ par ligne, par exemple `title: Titre de la fiche`",
            )
        ]
    meta, problems = validate(raw, front_lines, rel)
    if meta is None:
        return None, problems

    body_line = end + 2
    body = "\n".join(lines[end + 1 :])
    if not body.strip():
        return None, [
            problem(
                rel,
                min(body_line, len(lines)),
                "fiche sans texte",
                "écrivez le texte de la fiche sous l'en-tête",
            )
        ]
    fiche = Fiche(
        id=fiche_id,
        audience=audience,
        path=rel,
        meta=meta,
        body=body,
        body_line=body_line,
        field_lines={
            key: key_line(front_lines, key)
            for key in ("title", "source_url", "sources", "review_by")
        },
    )
    fiche.links = _links(body, body_line)
    problems += _source_marks(fiche)
    return fiche, problems


def parse_fiche_text(text: str, path: str) -> tuple[Fiche | None, list[Problem]]:
    """A fiche from its text alone, whatever its `status` (drafts included): for previews.

    `path` is where the file is or would be in the knowledge folder, e.g.
    "public/carte-grise.md": its folder is the audience and its stem the fiche id. Returns
    the fiche (None if unusable) and every problem `kb check` would report for this file
    alone (links to other fiches are not checked here)."""
    rel = path.replace("\\", "/").lstrip("/")
    parts = rel.split("/")
    audience = parts[0] if len(parts) == 2 else "public"
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    fiche, problems = parse(text, rel, audience, Path(rel).stem)
    if fiche is not None:
        problems += personal_data(fiche) + foreign_links(fiche)
    return fiche, problems


def has_yearly_amounts(fiche: Fiche) -> bool:
    """Whether the fiche holds amounts revalued every year: as its `yearly_amounts` says, or
    else if its text has an amount in euros."""
    declared = fiche.meta.yearly_amounts
    return bool(_AMOUNT.search(fiche.body)) if declared is None else declared


def _marked_sources(line: str) -> list[int] | None:
    """The source numbers a `<!-- source: n -->` line names ([] if malformed), or None."""
    match = _SOURCE_MARK.match(line)
    if match is None:
        return None
    numbers = [n.strip() for n in re.split(r"[,;\s]+", match.group(1)) if n.strip()]
    if not numbers or not all(n.isdigit() for n in numbers):
        return []
    return [int(n) for n in numbers]


def _source_marks(fiche: Fiche) -> list[Problem]:
    """An error for each `<!-- source: n -->` line naming no listed source (the section then
    cites every source, as an unmarked one)."""
    found = []
    count = len(fiche.meta.sources)
    for i, line in enumerate(fiche.body.split("\n")):
        numbers = _marked_sources(line)
        if numbers is None:
            continue
        if not numbers or any(not 1 <= n <= count for n in numbers):
            found.append(
                problem(
                    fiche.path,
                    fiche.body_line + i,
                    f"marque de source invalide : la fiche a {count} source(s)",
                    f"écrivez `<!-- source: N -->` avec N entre 1 et {count},"
                    " dans l'ordre de la liste `sources`",
                )
            )
    return found


_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_H2 = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def _links(body: str, first_line: int) -> list[tuple[int, str]]:
    """Internal link targets (relative, not web or mail), with their file lines."""
    found: list[tuple[int, str]] = []
    if "](" not in body:
        return found
    for i, line in enumerate(body.split("\n")):
        for match in _LINK.finditer(line):
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
                continue
            found.append((first_line + i, target))
    return found


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def chunk(fiche: Fiche) -> list[Chunk]:
    """Split the body on `##` headings (outside code fences), keeping heading path and anchor.

    Each section carries the sources it comes from: those its `<!-- source: n -->` line
    names, or every source of the fiche."""
    sections: list[tuple[str, list[str], list[int]]] = [("", [], [])]
    in_fence = False
    count = len(fiche.meta.sources)
    for line in fiche.body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _H2.match(line)
        numbers = None if in_fence else _marked_sources(line)
        if heading:
            sections.append((heading.group(1).strip(), [], []))
        elif numbers is not None:
            sections[-1][2].extend(n for n in numbers if 1 <= n <= count)
        else:
            sections[-1][1].append(line)

    meta = fiche.meta
    tags = ", ".join(meta.tags)
    every = [SourceLink(url=s.url, title=s.title) for s in meta.sources]
    chunks: list[Chunk] = []
    used: dict[str, int] = {}
    for name, body_lines, numbers in sections:
        text = "\n".join(body_lines).strip()
        if not text:
            continue
        anchor = slug(name) if name else ""
        if anchor in used:
            used[anchor] += 1
            anchor = f"{anchor}-{used[anchor]}"
        else:
            used[anchor] = 0
        heading = f"{meta.title} > {name}" if name else meta.title
        base_id = f"{fiche.key}#{anchor or 'intro'}"
        links = [every[n - 1] for n in dict.fromkeys(numbers)] or every
        parts = _split_long(text)
        for n, part in enumerate(parts):
            chunks.append(
                Chunk(
                    id=base_id if n == 0 else f"{base_id}~{n}",
                    fiche_id=fiche.id,
                    audience=fiche.audience,
                    title=meta.title,
                    summary=meta.summary,
                    tags=tags,
                    heading=heading,
                    anchor=anchor,
                    url=links[0].url,
                    sources=links,
                    path=fiche.path,
                    text=part,
                )
            )
    for c in chunks:
        c.text_hash = _digest(c.index_text)
        fields = c.metadata()
        fields.pop("hash")
        c.hash = _digest(c.text, json.dumps(fields, sort_keys=True))
    return chunks


def _split_long(text: str) -> list[str]:
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    parts: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", text):
        if current and len(current) + len(para) + 2 > MAX_CHUNK_CHARS:
            parts.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        parts.append(current)
    return parts


def fiche_path(knowledge_dir: Path, path: Path) -> str:
    return path.relative_to(knowledge_dir).as_posix()
