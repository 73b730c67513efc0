"""A fiche's front matter: the model, and what to tell an editor (in French) when it is wrong.

Keys (English, like the first ones): `title`, `summary`, one `source_url` or a list `sources`
(each `url` + `title`), `updated` (text last changed), `checked` (facts last checked against
the official texts), `review_by`, `status` (`draft` is never served), `yearly_amounts`
(override of the € amount detection), `tags`, `licence`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from chatbot.knowledge.models import Problem

DATES = ("updated", "checked", "review_by")
HINTS = {
    "title": "ajoutez `title: Titre de la fiche`",
    "summary": "ajoutez `summary: Une phrase qui résume la fiche.`",
    "source_url": "écrivez `source_url: https://...` (la page officielle)",
    "sources": "ajoutez `sources:` avec, pour chaque page officielle, `- url: https://...` "
    "et `title: ...` (ou une seule `source_url: https://...`)",
    "updated": "ajoutez `updated: AAAA-MM-JJ` (date de la dernière modification du texte)",
    "checked": "ajoutez `checked: AAAA-MM-JJ` (date où les faits ont été vérifiés"
    " sur les textes officiels)",
    "review_by": "écrivez `review_by: AAAA-MM-JJ` ou supprimez la ligne",
    "status": "écrivez `status: draft` (brouillon) ou `status: published`, ou supprimez la ligne",
    "yearly_amounts": "écrivez `yearly_amounts: true` ou `yearly_amounts: false`",
    "tags": "ajoutez `tags: [mot-clé, autre]`",
    "licence": "ajoutez `licence: ...` (auteur et licence)",
}
_DATE_HINT = "écrivez la date sous la forme AAAA-MM-JJ, par exemple 2026-10-15"
_WEB_ADDRESS = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


class FicheSource(BaseModel):
    """One official page a fiche is written from, as listed under `sources:`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str
    title: str  # a short French label, shown as the link's text

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not _WEB_ADDRESS.match(value):
            raise ValueError("not a web address")
        return value

    @field_validator("title")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("empty")
        return value


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    title: str
    summary: str
    # One official page (`source_url`, the original form) or several (`sources`). After
    # validation both are filled: `sources` lists them all, `source_url` is the first.
    source_url: str = ""
    sources: list[FicheSource] = []
    updated: dt.date  # when the text was last changed
    checked: dt.date | None = None  # when its facts were last checked against official texts
    review_by: dt.date | None = None
    status: Literal["published", "draft"] = "published"
    yearly_amounts: bool | None = None  # None: decided by the € amounts in the text
    tags: list[str]
    licence: str

    @field_validator("title", "summary", "licence")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("empty")
        return value

    @field_validator("source_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not _WEB_ADDRESS.match(value):
            raise ValueError("not a web address")
        return value

    @model_validator(mode="after")
    def _source_list(self) -> FrontMatter:
        if self.sources:
            self.source_url = self.sources[0].url  # `sources` wins (parse warns about both)
        elif self.source_url:
            self.sources = [FicheSource.model_construct(url=self.source_url, title="")]
        else:
            raise ValueError("no source")
        return self

    @property
    def draft(self) -> bool:
        return self.status == "draft"

    @field_validator("updated", "checked", "review_by", mode="before")
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


def problem(path: str, line: int, message: str, hint: str, warning: bool = False) -> Problem:
    return Problem(
        path=path, line=line, message=message, hint=hint, severity="warning" if warning else "error"
    )


def key_line(front_lines: list[str], key: str) -> int:
    """1-based file line of `key:` in the front matter (the opening `---` is line 1)."""
    for i, line in enumerate(front_lines):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return i + 2
    return 1


def item_line(front_lines: list[str], key: str, index: int) -> int:
    """File line of the `index`-th `- ` item under `key:` (the key's line if not found)."""
    start = key_line(front_lines, key)
    if start == 1:
        return 1
    seen = -1
    for i in range(start - 1, len(front_lines)):
        line = front_lines[i]
        if line[:1] not in ("", " ", "\t", "-"):
            break
        if re.match(r"^\s*-\s", line) or line.strip() == "-":
            seen += 1
            if seen == index:
                return i + 2
    return start


def validate(
    raw: dict[str, Any], front_lines: list[str], rel: str
) -> tuple[FrontMatter | None, list[Problem]]:
    """The front matter, or the problems that make it unusable; then its warnings."""
    end = len(front_lines) + 2  # the closing `---`
    try:
        meta = FrontMatter.model_validate(raw)
    except ValidationError as exc:
        return None, _errors(exc, raw, front_lines, rel, end)
    return meta, _warnings(meta, raw, front_lines, rel)


def _errors(
    exc: ValidationError, raw: dict[str, Any], front_lines: list[str], rel: str, end: int
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = err["loc"]
        key = str(loc[0]) if loc else "sources"
        hint = HINTS.get(key, "corrigez ce champ")
        msg = str(err.get("msg", ""))
        if not loc:  # the model's own check: neither `source_url` nor `sources`
            problems.append(problem(rel, end, "champ `sources` (ou `source_url`) manquant", hint))
        elif err["type"] == "missing" and key != "sources":
            problems.append(problem(rel, end, f"champ `{key}` manquant", hint))
        elif key == "sources":
            problems.append(_source_error(err, raw, front_lines, rel))
        elif key in DATES:
            problems.append(
                problem(rel, key_line(front_lines, key), f"date invalide dans `{key}`", _DATE_HINT)
            )
        elif raw.get(key) in (None, "", []) or "empty" in msg:
            problems.append(problem(rel, key_line(front_lines, key), f"champ `{key}` vide", hint))
        else:
            why = "adresse web invalide" if "web address" in msg else msg
            problems.append(
                problem(rel, key_line(front_lines, key), f"champ `{key}` invalide ({why})", hint)
            )
    return problems


def _source_error(err: Any, raw: dict[str, Any], front_lines: list[str], rel: str) -> Problem:
    loc, msg = err["loc"], str(err.get("msg", ""))
    hint = HINTS["sources"]
    if len(loc) < 2 or not isinstance(loc[1], int):
        return problem(
            rel,
            key_line(front_lines, "sources"),
            "`sources` doit être une liste de pages (`- url: ...` et `title: ...`)",
            hint,
        )
    n, line = loc[1] + 1, item_line(front_lines, "sources", loc[1])
    part = str(loc[2]) if len(loc) > 2 else ""
    if err["type"] == "missing":
        what = f"`{part}` manquant"
    elif err["type"] == "extra_forbidden":
        what = f"champ inconnu `{part}` (seuls `url` et `title` sont permis)"
    elif "web address" in msg:
        what = "adresse web invalide"
    elif "empty" in msg:
        what = f"`{part}` vide"
    else:
        what = "ni `url` ni `title`" if not part else f"`{part}` invalide ({msg})"
    return problem(rel, line, f"source {n} : {what}", hint)


def _warnings(
    meta: FrontMatter, raw: dict[str, Any], front_lines: list[str], rel: str
) -> list[Problem]:
    found = []
    if not meta.tags:
        found.append(
            problem(rel, key_line(front_lines, "tags"), "aucun mot-clé", HINTS["tags"], True)
        )
    if "source_url" in raw and "sources" in raw:
        found.append(
            problem(
                rel,
                key_line(front_lines, "source_url"),
                "`source_url` et `sources` sont tous deux présents : `source_url` est ignoré",
                "mettez la page dans la liste `sources` et supprimez la ligne `source_url`",
                True,
            )
        )
    if meta.checked is None:
        found.append(
            problem(
                rel,
                len(front_lines) + 2,
                "date de vérification des faits manquante",
                HINTS["checked"],
                True,
            )
        )
    for key in sorted(set(raw) - set(FrontMatter.model_fields)):
        found.append(
            problem(
                rel,
                key_line(front_lines, key),
                f"champ inconnu `{key}`, ignoré",
                "vérifiez son orthographe ou supprimez-le",
                True,
            )
        )
    if meta.review_by and meta.review_by < meta.updated:
        found.append(
            problem(
                rel,
                key_line(front_lines, "review_by"),
                "`review_by` est avant `updated`",
                "mettez la prochaine date de revue après la date de modification",
                True,
            )
        )
    return found
