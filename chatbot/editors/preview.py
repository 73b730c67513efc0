"""A fiche tried before it is published: what it would answer, take over or lose.

The draft is parsed with the fiche parser (any ``status`` field is ignored here: a draft is
what one tries) and indexed, with a copy of the published fiches, in a **throw-away index**:
an in-memory Chroma client (``chromadb.EphemeralClient``) and the project's offline embedding
(vectors always passed explicitly: Chroma's default embedding function, a download, is never
used). The served store is never written, and nothing here is ever served. The questions are
then searched twice, without the draft and with it, exactly as a turn searches (the flow's
``k`` and ``min_score``):

- **now answered**: questions of the chosen group whose answer would now draw on the draft
  (it is among the hits good enough to answer from, and was not before);
- **taken over**: currently answered questions (the dev sets, stored answered questions)
  whose best fiche was another one and is now the draft;
- **lost**: questions the fiche helped answer (a changed fiche, same id) that it no longer
  does.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chatbot.knowledge.fiche import ID_PATTERN, MAX_BYTES, parse
from chatbot.logs import get_logger
from chatbot.paths import ROOT

if TYPE_CHECKING:
    from chatbot.settings import Settings

log = get_logger("guichet.editors")

MAX_DRAFT_CHARS = 60_000  # a fiche is a few kilobytes; the form refuses more
MAX_KNOWN = 400  # currently answered questions checked per preview
DEV_SETS = (ROOT / "tests" / "eval" / "retrieval.jsonl",)
# One throw-away index at a time: in-memory Chroma clients of one process share their system.
_lock = asyncio.Lock()


class DraftError(ValueError):
    """The draft cannot be tried; the message is French, for the editor."""


class Outcome(BaseModel):
    question: str
    before: str | None  # best fiche id before, None when nothing was good enough
    after: str | None
    score: float  # the best score with the draft


class PreviewResult(BaseModel):
    fiche_id: str
    title: str
    audience: str
    warnings: list[str]
    now_answered: list[Outcome]
    still_unanswered: list[Outcome]
    taken_over: list[Outcome]
    lost: list[Outcome]
    checked: int  # currently answered questions checked


def draft_from_text(text: str, fiche_id: str, audience: str) -> tuple[str, str, str]:
    if len(text) > MAX_DRAFT_CHARS:
        raise DraftError(f"Fiche trop longue : {MAX_DRAFT_CHARS} caractères au plus.")
    if not text.strip():
        raise DraftError("Collez le texte de la fiche (Markdown avec son en-tête).")
    if not ID_PATTERN.match(fiche_id or ""):
        raise DraftError(
            "Identifiant de fiche invalide : lettres minuscules, chiffres et tirets "
            "(par exemple : permis-bateau)."
        )
    if audience not in ("public", "agents"):
        raise DraftError("Public de la fiche inconnu : « public » ou « agents ».")
    return text, fiche_id, audience


def draft_from_file(knowledge_dir: Path, name: str) -> tuple[str, str, str]:
    """A draft file named relative to the knowledge folder (``public/x.md``), never outside."""
    root = knowledge_dir.resolve()
    candidate = (root / name.strip().lstrip("/")).resolve()
    if not candidate.is_relative_to(root) or candidate.suffix != ".md":
        raise DraftError("Nommez un fichier .md du dossier des fiches, par exemple public/x.md.")
    relative = candidate.relative_to(root)
    if len(relative.parts) != 2 or relative.parts[0] not in ("public", "agents"):
        raise DraftError("Le fichier doit être dans public/ ou agents/ du dossier des fiches.")
    try:
        data = candidate.read_bytes()
    except OSError:
        raise DraftError(f"Fichier introuvable : {relative.as_posix()}.") from None
    if len(data) > MAX_BYTES:
        raise DraftError("Fichier trop volumineux.")
    return data.decode("utf-8", errors="replace"), candidate.stem, relative.parts[0]


_FRONT = re.compile(r"\A(---[ \t]*\r?\n)(.*?)(\r?\n---[ \t]*(?:\r?\n|\Z))", re.DOTALL)


def without_status(text: str) -> str:
    """The fiche without its ``status`` front matter line: the throw-away index must index a
    draft (the served knowledge base may skip ``status: draft``)."""
    match = _FRONT.match(text)
    if not match:
        return text
    kept = [line for line in match.group(2).splitlines() if not re.match(r"status\s*:", line)]
    return match.group(1) + "\n".join(kept) + match.group(3) + text[match.end() :]


def is_draft(path: Path) -> bool:
    """A file whose front matter says ``status: draft``."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    match = _FRONT.match(head)
    return bool(match and re.search(r"^status\s*:\s*['\"]?draft\b", match.group(2), re.M))


def known_questions(stored: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(question, audience) currently answered: the dev sets, then stored answered ones."""
    import json

    found: list[tuple[str, str]] = []
    for path in DEV_SETS:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(item, dict) and isinstance(item.get("query"), str):
                found.append((item["query"], str(item.get("audience") or "public")))
    found += [(q, "public") for q in stored]
    return list(dict.fromkeys(found))[:MAX_KNOWN]


async def preview(
    settings: Settings,
    text: str,
    fiche_id: str,
    audience: str,
    questions: Sequence[str],
    *,
    known: Sequence[tuple[str, str]] = (),
    k: int = 4,
    min_score: float = 0.3,
) -> PreviewResult:
    """Try the draft on a throw-away index (see the module docstring)."""
    rel = f"{audience}/{fiche_id}.md"
    fiche, problems = parse(text, rel, audience, fiche_id)
    errors = [p for p in problems if p.severity == "error"]
    if fiche is None or errors:
        first = errors[0] if errors else None
        where = f" (ligne {first.line} : {first.message} — {first.hint})" if first else ""
        raise DraftError(f"La fiche ne peut pas être lue{where}.")
    async with _lock:
        return await _preview(settings, fiche, text, questions, known, k, min_score, problems)


async def _preview(
    settings: Settings,
    fiche: Any,
    text: str,
    questions: Sequence[str],
    known: Sequence[tuple[str, str]],
    k: int,
    min_score: float,
    problems: Sequence[Any],
) -> PreviewResult:
    import chromadb

    from chatbot.knowledge.base import KnowledgeBase
    from chatbot.knowledge.check import candidate_files
    from chatbot.privacy import Pseudonymiser

    folder = Path(tempfile.mkdtemp(prefix="guichet-preview-"))
    client = chromadb.EphemeralClient(settings=chromadb.Settings(anonymized_telemetry=False))
    try:
        source = settings.knowledge_dir
        for path in candidate_files(source):
            if is_draft(path):
                continue  # not published: not part of what citizens get today
            target = folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        throwaway = settings.model_copy(update={"knowledge_dir": folder})
        kb = KnowledgeBase(throwaway, client, backend=None)  # offline vectors, no model
        draft_path = folder / fiche.audience / f"{fiche.id}.md"
        had_fiche = draft_path.exists()
        await kb.sync()
        gate = Pseudonymiser()
        audiences_all = frozenset({"public", "agents"})

        async def best(question: str, audience: str) -> tuple[str | None, float, set[str]]:
            """The best fiche, its score, and every fiche good enough to answer from."""
            allowed = frozenset({"public"}) if audience == "public" else audiences_all
            hits = await kb.search(gate.subject(question), allowed, k=k)
            good = [h for h in hits if h.score >= min_score]
            if not good:
                return None, 0.0, set()
            return good[0].fiche_id, good[0].score, {h.fiche_id for h in good}

        group_audience = "public"
        before_group = [await best(q, group_audience) for q in questions]
        before_known = [await best(q, a) for q, a in known]
        draft_path.parent.mkdir(parents=True, exist_ok=True)
        draft_path.write_text(without_status(text), encoding="utf-8")
        await kb.sync()
        after_group = [await best(q, group_audience) for q in questions]
        after_known = [await best(q, a) for q, a in known]
    finally:
        for collection in client.list_collections():
            client.delete_collection(collection.name)
        shutil.rmtree(folder, ignore_errors=True)

    now, still, taken, lost = [], [], [], []
    for q, (b, _, b_all), (a, score, a_all) in zip(
        questions, before_group, after_group, strict=True
    ):
        outcome = Outcome(question=q, before=b, after=a, score=round(score, 3))
        (now if fiche.id in a_all and fiche.id not in b_all else still).append(outcome)
    for (q, _), (b, _, b_all), (a, score, a_all) in zip(
        known, before_known, after_known, strict=True
    ):
        outcome = Outcome(question=q, before=b, after=a, score=round(score, 3))
        if a == fiche.id and b is not None and b != fiche.id:
            taken.append(outcome)
        elif had_fiche and fiche.id in b_all and fiche.id not in a_all:
            lost.append(outcome)
    log.info("editors_preview", questions=len(questions), known=len(known),
             now=len(now), taken=len(taken), lost=len(lost))  # fmt: skip
    return PreviewResult(
        fiche_id=fiche.id,
        title=fiche.meta.title,
        audience=fiche.audience,
        # ``status: draft`` is what a draft says; the parser may not know the field yet.
        warnings=[
            str(p) for p in problems if p.severity == "warning" and "`status`" not in p.message
        ],
        now_answered=now,
        still_unanswered=still,
        taken_over=taken,
        lost=lost,
        checked=len(known),
    )
