"""One fiche: front matter model, parsing with line-accurate problems, and `##` chunking."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from chatbot.knowledge.models import Chunk, Problem
from chatbot.knowledge.text import fold

MAX_BYTES = 200_000
# libyaml when available: ~10x faster, which matters when 1,000 fiches are parsed at start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Long sections are cut on paragraph boundaries so one chunk stays a focused excerpt.
MAX_CHUNK_CHARS = 2000
# Near-duplicate bodies are compared on runs of this many words.
SHINGLE_WORDS = 5

REQUIRED = ("title", "summary", "source_url", "updated", "tags", "licence")
HINTS = {
    "title": "add `title: Titre de la fiche`",
    "summary": "add `summary: Une phrase qui résume la fiche.`",
    "source_url": "add `source_url: https://...` (the official page)",
    "updated": "add `updated: YYYY-MM-DD` (the date the facts were checked)",
    "review_by": "write it as `review_by: YYYY-MM-DD` or remove it",
    "tags": "add `tags: [mot-clé, autre]`",
    "licence": "add `licence: ...` (attribution and licence)",
}


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    title: str
    summary: str
    source_url: str
    updated: dt.date
    review_by: dt.date | None = None
    tags: list[str]
    licence: str

    @field_validator("title", "summary", "licence", "source_url")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("empty")
        return value

    @field_validator("source_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
            raise ValueError("not a web address")
        return value

    @field_validator("updated", "review_by", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        # YAML already turns 2026-10-15 into a date; a string here is a badly written date.
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            return dt.date.fromisoformat(value.strip())
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [t.strip() for t in value.split(",") if t.strip()]
        if isinstance(value, list):
            return [str(t).strip() for t in value if t is not None and str(t).strip()]
        return value


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


def _problem(path: str, line: int, message: str, hint: str, warning: bool = False) -> Problem:
    return Problem(
        path=path, line=line, message=message, hint=hint, severity="warning" if warning else "error"
    )


def _key_line(front_lines: list[str], key: str) -> int:
    """1-based file line of `key:` in the front matter (the opening `---` is line 1)."""
    for i, line in enumerate(front_lines):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return i + 2
    return 1


def _yaml_problem(exc: yaml.YAMLError, front_count: int) -> tuple[int, str]:
    """The file line to fix (the opening `---` is line 1) and what is wrong there.

    YAML notices an unclosed quote or bracket only lines later, at the next key or at the end
    of the front matter: the line to fix is then the one where it opens (the context mark).
    """
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    what = str(getattr(exc, "problem", None) or "invalid YAML")
    doing = str(getattr(exc, "context", None) or "")
    mark = problem
    if context is not None and "quoted scalar" in doing:
        mark, what = context, "a quote is not closed"
    elif context is not None and "flow" in doing:
        mark, what = context, "a `[` or `{` is not closed"
    mark = mark or context
    if mark is None:
        return 2, what
    # Marks count from 0 at the first line after `---`; never point past the front matter.
    return min(mark.line, max(front_count - 1, 0)) + 2, what


def read_text(data: bytes, rel: str) -> tuple[str | None, list[Problem]]:
    """Decode a fiche's bytes, or say why it cannot be read as a text file."""
    if len(data) > MAX_BYTES:
        return None, [
            _problem(
                rel,
                1,
                f"file too large ({len(data) // 1000} kB, limit {MAX_BYTES // 1000} kB)",
                "split it into several fiches",
            )
        ]
    if b"\x00" in data[:8192]:
        return None, [
            _problem(rel, 1, "binary file, not Markdown text", "save it as a UTF-8 .md text file")
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            _problem(rel, line, "not valid UTF-8 text", "re-save the file with UTF-8 encoding")
        ]
    return text.removeprefix("\ufeff").replace("\r\n", "\n"), []


def parse(text: str, rel: str, audience: str, fiche_id: str) -> tuple[Fiche | None, list[Problem]]:
    """Parse a decoded fiche. Returns the fiche (None if unusable) and its own problems."""
    problems: list[Problem] = []
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, [
            _problem(rel, 1, "no front matter", "start the file with a `---` line, then the fields")
        ]
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return None, [
            _problem(rel, 1, "front matter is not closed", "add a `---` line after the fields")
        ]
    front_lines = lines[1:end]
    try:
        raw = yaml.load("\n".join(front_lines), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        line, what = _yaml_problem(exc, len(front_lines))
        return None, [
            _problem(
                rel,
                line,
                f"malformed YAML in front matter ({what})",
                "check the indentation and quote values containing ':' or '#'",
            )
        ]
    if not isinstance(raw, dict):
        return None, [
            _problem(rel, 2, "front matter is not a list of `key: value` fields", "see HINTS")
        ]
    try:
        meta = FrontMatter.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else "?"
            hint = HINTS.get(key, "fix this field")
            if err["type"] == "missing":
                problems.append(_problem(rel, end + 1, f"missing field `{key}`", hint))
            elif key in ("updated", "review_by"):
                problems.append(
                    _problem(
                        rel,
                        _key_line(front_lines, key),
                        f"bad date in `{key}`",
                        "write the date as YYYY-MM-DD, e.g. 2026-10-15",
                    )
                )
            elif raw.get(key) in (None, "", []) or "empty" in str(err.get("msg", "")):
                problems.append(
                    _problem(rel, _key_line(front_lines, key), f"empty field `{key}`", hint)
                )
            else:
                problems.append(
                    _problem(
                        rel,
                        _key_line(front_lines, key),
                        f"invalid field `{key}` ({err['msg']})",
                        hint,
                    )
                )
        return None, problems

    body_line = end + 2
    body = "\n".join(lines[end + 1 :])
    if not body.strip():
        return None, [
            _problem(
                rel,
                min(body_line, len(lines)),
                "empty body",
                "write the fiche text below the front matter",
            )
        ]
    if not meta.tags:
        problems.append(
            _problem(rel, _key_line(front_lines, "tags"), "no tags", HINTS["tags"], warning=True)
        )
    for key in sorted(set(raw) - set(FrontMatter.model_fields)):
        problems.append(
            _problem(
                rel,
                _key_line(front_lines, key),
                f"unknown field `{key}` is ignored",
                "check its spelling or remove it",
                warning=True,
            )
        )
    if meta.review_by and meta.review_by < meta.updated:
        problems.append(
            _problem(
                rel,
                _key_line(front_lines, "review_by"),
                "`review_by` is before `updated`",
                "set the next review date after the check date",
                warning=True,
            )
        )
    fiche = Fiche(
        id=fiche_id,
        audience=audience,
        path=rel,
        meta=meta,
        body=body,
        body_line=body_line,
        field_lines={key: _key_line(front_lines, key) for key in ("title", "source_url")},
    )
    fiche.links = _links(body, body_line)
    return fiche, problems


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
    """Split the body on `##` headings (outside code fences), keeping heading path and anchor."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_fence = False
    for line in fiche.body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _H2.match(line)
        if heading:
            sections.append((heading.group(1).strip(), []))
        else:
            sections[-1][1].append(line)

    meta = fiche.meta
    tags = ", ".join(meta.tags)
    chunks: list[Chunk] = []
    used: dict[str, int] = {}
    for name, body_lines in sections:
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
                    url=meta.source_url,
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
