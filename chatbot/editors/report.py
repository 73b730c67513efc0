"""The editors' figures, computed once for the page and for ``chatbot report gaps|stale``.

    await gaps_report(settings, days=30, kb=kb)    unanswered, out of scope, badly rated,
                                                   grouped by subject, with the closest fiches
    await stale_report(settings, days=30, kb=kb)   fiches to review, never cited, most cited,
                                                   current ``kb check`` problems

Everything read here was pseudonymised before it was stored (citizens' anonymous signals,
``chatbot.store.signals``). ``chatbot report feedback`` (``chatbot.store.reports``) gives the
ratings themselves.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select

from chatbot.editors.groups import Item, group_items
from chatbot.flows.status import Status
from chatbot.logs import get_logger
from chatbot.store.schema import cutoff_timestamp, database_url, loads, open_engine, signals

if TYPE_CHECKING:
    from chatbot.knowledge.base import KnowledgeBase
    from chatbot.settings import Settings

log = get_logger("guichet.editors")

KINDS_FR = {
    "unanswered": "sans réponse",
    "out_of_scope": "hors sujet",
    "badly_rated": "mal notée",
}
MAX_GROUPS = 25  # shown, largest first; the rest are counted
EXAMPLES = 3
SOON_DAYS = 30


class FicheScore(BaseModel):
    id: str
    title: str
    score: float


class Group(BaseModel):
    label: str  # the most asked wording of the group
    count: int
    kinds: dict[str, int]
    trend: list[tuple[str, int]]  # (day or week, count), oldest first
    examples: list[str]
    questions: list[str]  # distinct wordings (for the preview), most asked first
    closest: list[FicheScore]


class GapsReport(BaseModel):
    days: float
    total: int
    kinds: dict[str, int]
    mode: str  # offline | backend
    groups: list[Group]
    more_groups: int  # groups not shown
    buckets: list[str]  # the trend's x axis
    unit: str  # "jour" | "semaine"


class FicheLine(BaseModel):
    id: str
    title: str
    path: str
    review_by: str | None = None
    editor: str | None = None
    overdue: bool = False
    cited: int = 0


class StaleReport(BaseModel):
    days: float
    today: str
    to_review: list[FicheLine]
    never_cited: list[FicheLine]
    most_cited: list[FicheLine]
    problems: list[str]
    citations: int


# --------------------------------------------------------------------------- reading


async def _rows(settings: Settings, days: float) -> list[dict[str, Any]]:
    """This period's signals, oldest first (ratings: only the bad ones)."""
    async with open_engine(database_url(settings)) as engine:
        async with engine.connect() as conn:
            query = (
                select(
                    signals.c.createdAt,
                    signals.c.flow,
                    signals.c.kind,
                    signals.c.status,
                    signals.c.value,
                    signals.c.question,
                    signals.c.sources,
                )
                .where(signals.c.createdAt >= cutoff_timestamp(days))
                .order_by(signals.c.createdAt)
            )
            return [dict(row) for row in (await conn.execute(query)).mappings()]


async def stored_answered(settings: Settings, days: float) -> list[str]:
    """Questions citizens rated after an answer (the only answered questions stored)."""
    answered = {Status.answered, Status.answered_excerpts}
    return [
        row["question"]
        for row in await _rows(settings, days)
        if row["kind"] == "feedback" and row["question"] and row["status"] in answered
    ]


def items_of(rows: Sequence[dict[str, Any]]) -> list[Item]:
    items = []
    for row in rows:
        if not row["question"]:
            continue
        if row["kind"] == "unanswered":
            kind = "out_of_scope" if row["status"] == Status.out_of_scope else "unanswered"
        elif row["kind"] == "feedback" and row["value"] is not None and int(row["value"]) == 0:
            kind = "badly_rated"
        else:
            continue
        items.append(Item(question=row["question"], at=row["createdAt"] or "", kind=kind,
                          flow=row["flow"] or ""))  # fmt: skip
    return items


def buckets_for(days: float, today: dt.date | None = None) -> tuple[list[str], str]:
    """The trend's x axis: days for a month or less, else ISO weeks (Monday)."""
    today = today or dt.datetime.now(dt.UTC).date()
    count = max(1, int(round(days)))
    if count <= 31:
        return [
            (today - dt.timedelta(days=i)).isoformat() for i in range(count - 1, -1, -1)
        ], "jour"
    monday = today - dt.timedelta(days=today.weekday())
    weeks = max(1, (count + 6) // 7)
    return [
        (monday - dt.timedelta(weeks=i)).isoformat() for i in range(weeks - 1, -1, -1)
    ], "semaine"


def _bucket(at: str, unit: str) -> str:
    day = dt.date.fromisoformat(at[:10]) if len(at) >= 10 else dt.date.min
    if unit == "semaine":
        day -= dt.timedelta(days=day.weekday())
    return day.isoformat()


# --------------------------------------------------------------------------- gaps

_cache: dict[float, tuple[tuple[Any, ...], GapsReport]] = {}


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


async def _signature(settings: Settings, days: float) -> tuple[int, str]:
    """How many signals the period holds and the newest one's time."""
    from sqlalchemy import func

    async with open_engine(database_url(settings)) as engine:
        async with engine.connect() as conn:
            query = select(func.count(), func.max(signals.c.createdAt)).where(
                signals.c.createdAt >= cutoff_timestamp(days)
            )
            count, newest = (await conn.execute(query)).one()
    return int(count or 0), str(newest or "")


async def gaps_report(
    settings: Settings, days: float = 30, kb: KnowledgeBase | None = None
) -> GapsReport:
    """Unanswered, out-of-scope and badly rated questions of the last ``days``, by subject.

    Remembered while nothing changes (the period's signals, the fiches, the day): a reload
    costs one COUNT query, not a new grouping of 10,000 questions."""
    key = (days, await _signature(settings, days), id(kb), _kb_version(kb), _today())
    cached = _cache.get(days)
    if cached and cached[0] == key:
        return cached[1]
    rows = await _rows(settings, days)
    items = items_of(rows)
    backend = getattr(kb, "backend", None) if settings.use_backend_embeddings else None
    mode = "offline"
    clusters = None
    if backend is not None:
        try:
            clusters = await group_items(items, backend=backend, model=settings.embedding_model)
            mode = "backend"
        except Exception as exc:  # the backend is down: group offline
            log.warning("editors_grouping_degraded", error=type(exc).__name__)
    if clusters is None:
        clusters = await group_items(items)
    buckets, unit = buckets_for(days)
    groups = []
    for members in clusters.members[:MAX_GROUPS]:
        wordings = Counter(" ".join(clusters.topics[i].split()) for i in members)
        ordered = [w for w, _ in sorted(wordings.items(), key=lambda kv: (-kv[1], len(kv[0])))]
        per_bucket = Counter(_bucket(items[i].at, unit) for i in members)
        questions = list(dict.fromkeys(items[i].question for i in members))
        groups.append(
            Group(
                label=ordered[0] if ordered else "",
                count=len(members),
                kinds=dict(Counter(items[i].kind for i in members)),
                trend=[(b, per_bucket.get(b, 0)) for b in buckets],
                examples=questions[:EXAMPLES],
                questions=ordered[:50],
                closest=await closest_fiches(kb, ordered[0]) if kb and ordered else [],
            )
        )
    report = GapsReport(
        days=days,
        total=len(items),
        kinds=dict(Counter(i.kind for i in items)),
        mode=mode,
        groups=groups,
        more_groups=max(0, len(clusters.members) - MAX_GROUPS),
        buckets=buckets,
        unit=unit,
    )
    _cache[days] = (key, report)
    return report


def _kb_version(kb: Any) -> int:
    """Changes when the knowledge base does (chunk ids and hashes)."""
    chunks = getattr(kb, "chunks", None)
    if not chunks:
        return 0
    return hash(frozenset((i, c.hash) for i, c in chunks.items()))


_closest: dict[tuple[int, int, str], list[FicheScore]] = {}


async def closest_fiches(kb: Any, question: str, k: int = 3) -> list[FicheScore]:
    """The fiches that came closest to a stored (pseudonymised) question, best first
    (remembered until the knowledge base changes)."""
    key = (id(kb), _kb_version(kb), question)
    if key not in _closest:
        if len(_closest) > 5000:
            _closest.clear()
        _closest[key] = await _search_closest(kb, question, k)
    return _closest[key]


async def _search_closest(kb: Any, question: str, k: int) -> list[FicheScore]:
    from chatbot.knowledge.models import AUDIENCES
    from chatbot.privacy import Pseudonymiser

    query = Pseudonymiser().subject(question)  # no analyser run: already pseudonymised
    try:
        hits = await kb.search(query, frozenset(AUDIENCES), k=8)
    except Exception as exc:
        log.warning("editors_search_failed", error=type(exc).__name__)
        return []
    seen: dict[str, FicheScore] = {}
    for hit in hits:
        if hit.fiche_id not in seen:
            seen[hit.fiche_id] = FicheScore(id=hit.fiche_id, title=hit.title, score=hit.score)
    return list(seen.values())[:k]


# --------------------------------------------------------------------------- stale


_scan_cache: dict[Any, Any] = {}


def _editor_of(meta: Any) -> str | None:
    extra = getattr(meta, "model_extra", None) or {}
    for key in ("editor", "editors", "author", "owner", "contact"):
        value = extra.get(key)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value:
            return str(value)
    return None


async def stale_report(
    settings: Settings, days: float = 30, kb: Any = None, today: dt.date | None = None
) -> StaleReport:
    """Fiches to review (past ``review_by`` or within 30 days), never cited and most cited over
    the period (citizens' answers), and the current ``kb check`` problems."""
    import asyncio

    from chatbot.knowledge.check import scan

    today = today or dt.datetime.now(dt.UTC).date()
    # Unchanged files are not parsed again (the cache is keyed on mtime, size and inode).
    result = await asyncio.to_thread(scan, settings.knowledge_dir, _scan_cache)
    cited: Counter[str] = Counter()
    async with open_engine(database_url(settings)) as engine:
        async with engine.connect() as conn:
            query = select(signals.c.sources).where(
                (signals.c.kind == "cited") & (signals.c.createdAt >= cutoff_timestamp(days))
            )
            for (sources,) in await conn.execute(query):
                ids = loads(sources, [])
                cited.update(str(i) for i in ids if isinstance(ids, list))
    lines = []
    for fiche in result.fiches.values():
        review_by = fiche.meta.review_by
        lines.append(
            FicheLine(
                id=fiche.id,
                title=fiche.meta.title,
                path=fiche.path,
                review_by=review_by.isoformat() if review_by else None,
                editor=_editor_of(fiche.meta),
                overdue=bool(review_by and review_by < today),
                cited=cited.get(fiche.id, 0),
            )
        )
    soon = today + dt.timedelta(days=SOON_DAYS)
    to_review = sorted(
        (f for f in lines if f.review_by and dt.date.fromisoformat(f.review_by) <= soon),
        key=lambda f: f.review_by or "",
    )
    return StaleReport(
        days=days,
        today=today.isoformat(),
        to_review=to_review,
        never_cited=sorted((f for f in lines if not f.cited), key=lambda f: f.path),
        most_cited=sorted((f for f in lines if f.cited), key=lambda f: (-f.cited, f.id))[:10],
        problems=[str(p) for p in result.problems],
        citations=sum(cited.values()),
    )


# --------------------------------------------------------------------------- French text


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count < 2 else plural or singular + 's'}"


def print_gaps(report: GapsReport) -> str:
    kinds = ", ".join(f"{KINDS_FR.get(k, k)} {v}" for k, v in sorted(report.kinds.items()))
    out = [
        f"Questions restées sans réponse ({report.days:g} derniers jours) : "
        f"{_n(report.total, 'question')}" + (f" ({kinds})" if kinds else ""),
        f"{_n(len(report.groups) + report.more_groups, 'sujet')}, du plus demandé au moins "
        f"demandé (regroupement {'par le modèle' if report.mode == 'backend' else 'hors ligne'})",
    ]
    for number, group in enumerate(report.groups, start=1):
        out.append(f"\n{number}. « {group.label} » : {_n(group.count, 'question')}")
        trend = " ".join(str(n) for _, n in group.trend)
        out.append(f"   tendance par {report.unit} : {trend}")
        for example in group.examples:
            out.append(f"   - {example}")
        if group.closest:
            near = ", ".join(f"{f.id} ({f.score:.2f})" for f in group.closest)
            out.append(f"   fiches les plus proches : {near}")
    if report.more_groups:
        out.append(f"\n… et {_n(report.more_groups, 'autre sujet', 'autres sujets')}")
    return "\n".join(out)


def print_stale(report: StaleReport) -> str:
    out = [f"Fiches à revoir (au {report.today}, échéance dans {SOON_DAYS} jours ou dépassée) :"]
    for f in report.to_review or []:
        state = "dépassée" if f.overdue else "bientôt"
        out.append(f"  - {f.path} : revoir avant le {f.review_by} ({state}), "
                   f"rédacteur : {f.editor or 'non indiqué'}")  # fmt: skip
    if not report.to_review:
        out.append("  aucune")
    total = _n(report.citations, "citation")
    out.append(
        f"\nFiches jamais citées ({report.days:g} derniers jours, {total} en tout) : "
        f"{len(report.never_cited)}"
    )
    out += [f"  - {f.path}" for f in report.never_cited]
    out.append("\nFiches les plus citées :")
    out += [f"  - {f.path} : {f.cited}" for f in report.most_cited] or ["  aucune"]
    out.append(f"\nProblèmes signalés par kb check : {len(report.problems)}")
    out += [f"  - {p}" for p in report.problems]
    return "\n".join(out)
