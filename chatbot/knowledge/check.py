"""Validate the whole knowledge folder: every problem with its file, line and fix.

`scan` is what sync uses (valid fiches + problems); `check` is the editor's view
(`chatbot kb check`), usable without any store.
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from chatbot.knowledge.body import OFFICIAL_HOSTS, foreign_links, official_host, personal_data
from chatbot.knowledge.fiche import (
    ID_PATTERN,
    MAX_BYTES,
    Fiche,
    has_yearly_amounts,
    parse,
    read_text,
)
from chatbot.knowledge.models import AUDIENCES, Problem
from chatbot.knowledge.text import fold

# Files an editor's tools leave around; never fiches, never problems.
_IGNORED_NAMES = re.compile(r"(^\.|~$|\.swp$|\.swx$|\.tmp$|^#.*#$|^4913$)")
_ROOT_DOCS = {"readme.md", "contributing.md", "licence.md", "license.md"}


@dataclass
class Scan:
    fiches: dict[str, Fiche] = field(default_factory=dict)  # by key "<audience>/<id>"
    drafts: dict[str, Fiche] = field(default_factory=dict)  # `status: draft`: never served
    problems: list[Problem] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)  # paths with an error: keep last good

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _error(rel: str, line: int, message: str, hint: str) -> Problem:
    return Problem(path=rel, line=line, message=message, hint=hint, severity="error")


def _warning(rel: str, line: int, message: str, hint: str) -> Problem:
    return Problem(path=rel, line=line, message=message, hint=hint, severity="warning")


def candidate_files(knowledge_dir: Path) -> list[Path]:
    if not knowledge_dir.is_dir():
        return []
    files = []
    for path in sorted(knowledge_dir.rglob("*")):
        rel = path.relative_to(knowledge_dir)
        if any(_IGNORED_NAMES.search(part) for part in rel.parts) or not path.is_file():
            continue
        files.append(path)
    return files


FileCache = dict[str, tuple[tuple[int, int, int], "Fiche | None", list[Problem]]]


def _read_fiche(
    path: Path, rel: str, audience: str, stem: str, cache: FileCache | None
) -> tuple[Fiche | None, list[Problem]]:
    """Parse one file, reusing the previous result while the file is untouched (mtime, size,
    inode): a re-sync of 1,000 fiches then only parses the one that changed."""
    try:
        stat = path.stat()
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if cache is not None and rel in cache and cache[rel][0] == signature:
            return cache[rel][1], list(cache[rel][2])
        data = path.read_bytes()
    except OSError as exc:
        return None, [
            _error(rel, 1, f"fichier illisible ({exc.strerror})", "vérifiez ses droits d'accès")
        ]
    text, problems = read_text(data, rel)
    fiche = None
    if text is not None:
        fiche, more = parse(text, rel, audience, stem)
        problems += more
        if fiche is not None:
            problems += personal_data(fiche)
            problems += foreign_links(fiche)
    if cache is not None:
        cache[rel] = (signature, fiche, list(problems))
    return fiche, problems


def scan(
    knowledge_dir: Path,
    cache: FileCache | None = None,
    today: dt.date | None = None,
    *,
    serve_drafts: bool = False,
) -> Scan:
    """Validate the folder. With a `cache` (kept by the caller), unchanged files are reused.

    Drafts (`status: draft`) are validated and listed in `drafts`, never in `fiches` (what is
    served) unless `serve_drafts` (a throw-away preview index, never the served one). Review
    dates are compared with `today` (default: the current date)."""
    result = Scan()
    by_id: dict[str, list[Fiche]] = {}
    existing: set[str] = set()
    for path in candidate_files(knowledge_dir):
        rel = path.relative_to(knowledge_dir).as_posix()
        parts = rel.split("/")
        if len(parts) == 1:
            if path.suffix.lower() == ".md" and path.name.lower() not in _ROOT_DOCS:
                result.problems.append(
                    _error(
                        rel,
                        1,
                        "fiche hors d'un dossier d'audience",
                        "déplacez-la dans public/ ou agents/",
                    )
                )
                result.blocked.add(rel)
            continue
        if path.suffix.lower() != ".md":
            result.problems.append(
                _warning(
                    rel, 1, "pas un fichier .md, ignoré", "renommez-le en .md si c'est une fiche"
                )
            )
            continue
        existing.add(rel)
        if parts[0] not in AUDIENCES:
            result.problems.append(
                _error(
                    rel,
                    1,
                    f"dossier d'audience inconnu `{parts[0]}`",
                    "mettez la fiche dans public/ (tout le monde) ou agents/ (agents seulement)",
                )
            )
            result.blocked.add(rel)
            continue
        if len(parts) > 2:
            result.problems.append(
                _error(
                    rel,
                    1,
                    "fiche dans un sous-dossier",
                    f"déplacez-la directement dans {parts[0]}/",
                )
            )
            result.blocked.add(rel)
            continue
        stem = path.stem
        if not ID_PATTERN.match(stem):
            result.problems.append(
                _error(
                    rel,
                    1,
                    f"identifiant de fiche invalide `{stem}` (le nom du fichier)",
                    "n'utilisez que des minuscules sans accents, des chiffres et des tirets,"
                    " par exemple carte-identite.md",
                )
            )
            result.blocked.add(rel)
            continue
        fiche, problems = _read_fiche(path, rel, parts[0], stem, cache)
        result.problems += problems
        if fiche is None:
            result.blocked.add(rel)
        elif fiche.meta.draft and not serve_drafts:
            result.drafts[fiche.key] = fiche
        else:
            by_id.setdefault(stem, []).append(fiche)

    for fiche_id, fiches in by_id.items():
        if len(fiches) > 1:
            paths = ", ".join(f.path for f in fiches)
            for fiche in fiches:
                result.problems.append(
                    _error(
                        fiche.path,
                        1,
                        f"identifiant de fiche en double `{fiche_id}` ({paths})",
                        "renommez l'un des fichiers : un identifiant doit être unique,"
                        " tous dossiers confondus",
                    )
                )
                result.blocked.add(fiche.path)
            continue
        result.fiches[fiches[0].key] = fiches[0]

    # Links are checked against the files present, so a link to a fiche with an error is
    # not reported twice. A broken link is an error for `kb check`, but the fiche is still
    # served: its text is right, only the link is not.
    drafts = {f.path for f in result.drafts.values()}
    for fiche in [*result.fiches.values(), *result.drafts.values()]:
        for line, target in fiche.links:
            result.problems += _check_link(fiche, line, target, existing, drafts)
        result.problems += review_dates(fiche, today or dt.date.today())
    result.problems += near_duplicates(list(result.fiches.values()))
    result.problems.sort(key=lambda p: (p.path, p.line))
    return result


def _check_link(
    fiche: Fiche, line: int, target: str, existing: set[str], drafts: set[str]
) -> list[Problem]:
    target_path = target.split("#", 1)[0].split("?", 1)[0]
    if not target_path:
        return []
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(fiche.path), target_path))
    if not target_path.endswith(".md"):
        return []  # a relative link to something else (an image, a PDF) is not a fiche link
    if resolved not in existing:
        return [
            _error(
                fiche.path,
                line,
                f"lien interne cassé vers `{target}`",
                "liez une fiche existante, par exemple [passeport](passeport.md)"
                " ou [passeport](../public/passeport.md)",
            )
        ]
    if resolved in drafts and not fiche.meta.draft:
        return [
            _warning(
                fiche.path,
                line,
                f"lien vers la fiche en brouillon `{target}`",
                "publiez-la (supprimez `status: draft`) ou retirez le lien",
            )
        ]
    if fiche.audience == "public" and resolved.startswith("agents/"):
        return [
            _warning(
                fiche.path,
                line,
                f"fiche publique qui renvoie vers la fiche réservée aux agents `{target}`",
                "les usagers ne peuvent pas lire les fiches agents : liez une fiche publique",
            )
        ]
    return []


# Bodies sharing at least this share of their 5-word runs (Jaccard) are near-identical.
SAME_BODY = 0.9


def _same_title(title: str) -> str:
    """The title with case, accents, punctuation and spacing folded: "Carte Vitale !" and
    "carte vitale" are the same title to a reader."""
    return " ".join(re.findall(r"\w+", fold(title)))


def _same_url(url: str) -> str:
    url = url.strip().split("#", 1)[0].rstrip("/")
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}/{path}"


def near_duplicates(fiches: list[Fiche]) -> list[Problem]:
    """A warning for each pair of fiches that look like copies of one another: same source
    page, same title, or near-identical text. Readers would get the same fiche twice, and an
    edit to one would leave the other stale. Reported on the second file (by path), naming
    the first."""
    fiches = sorted(fiches, key=lambda f: f.path)
    reasons: dict[tuple[int, int], list[str]] = {}
    lines: dict[tuple[int, int], int] = {}

    def note(pair: tuple[int, int], reason: str, line: int) -> None:
        reasons.setdefault(pair, []).append(reason)
        lines.setdefault(pair, line)

    for key, field_name, label in (
        (lambda f: _same_url(f.meta.source_url), "source_url", "même source_url"),
        (lambda f: _same_title(f.meta.title), "title", "même titre"),
    ):
        first_of: dict[str, int] = {}
        for i, fiche in enumerate(fiches):
            value = key(fiche)
            if value in first_of:
                note((first_of[value], i), label, fiche.field_lines.get(field_name, 1))
            else:
                first_of[value] = i

    # Near-identical bodies: Jaccard >= t needs a shared run among the first
    # |A| - ceil(t |A|) + 1 runs of each, in one fixed order (prefix filtering), so only
    # fiches sharing such a run are compared.
    shingles = [fiche.shingles for fiche in fiches]
    by_run: dict[int, list[int]] = {}
    for i, runs in enumerate(shingles):
        prefix = len(runs) - math.ceil(SAME_BODY * len(runs)) + 1
        for run in sorted(runs)[:prefix]:
            by_run.setdefault(run, []).append(i)
    candidates = {(a, b) for ids in by_run.values() for a in ids for b in ids if a < b}
    for a, b in sorted(candidates):
        union = len(shingles[a] | shingles[b])
        similarity = len(shingles[a] & shingles[b]) / union if union else 0.0
        if similarity >= SAME_BODY:
            note((a, b), f"texte identique à {similarity:.0%}", fiches[b].body_line)

    problems = []
    for (a, b), why in sorted(reasons.items()):
        problems.append(
            _warning(
                fiches[b].path,
                lines[(a, b)],
                f"quasi-doublon de {fiches[a].path} ({', '.join(why)})",
                f"fusionnez les deux fiches, ou supprimez {fiches[a].path} ou {fiches[b].path}",
            )
        )
    return problems


def review_dates(fiche: Fiche, today: dt.date) -> list[Problem]:
    """Amounts revalued every year (benefits, thresholds) go stale: a fiche holding them (€
    amounts in its text, or `yearly_amounts: true`) needs a `review_by` date, and is flagged
    once that date has passed."""
    if not has_yearly_amounts(fiche):
        return []
    review_by = fiche.meta.review_by
    if review_by is None:
        return [
            _warning(
                fiche.path,
                fiche.body_line - 1,
                "montants qui changent chaque année, sans date de revue",
                "ajoutez `review_by: AAAA-MM-JJ` (au plus tard la prochaine revalorisation),"
                " ou `yearly_amounts: false` si ces montants sont fixes",
            )
        ]
    if review_by < today:
        return [
            _warning(
                fiche.path,
                fiche.field_lines.get("review_by", 1),
                f"montants annuels à revérifier : date de revue dépassée ({review_by.isoformat()})",
                "vérifiez les montants sur les sources officielles,"
                " puis mettez à jour `checked` et `review_by`",
            )
        ]
    return []


def check(knowledge_dir: Path) -> list[Problem]:
    """Every problem in the knowledge folder, errors and warnings, sorted by file and line."""
    return scan(knowledge_dir).problems


__all__ = [
    "MAX_BYTES",
    "OFFICIAL_HOSTS",
    "FileCache",
    "Scan",
    "check",
    "foreign_links",
    "near_duplicates",
    "official_host",
    "personal_data",
    "review_dates",
    "scan",
]
