"""The editors' space without a browser: grouping, reports, the fiche preview and the routes.

Real SQLite (signals written by ``record_signal``, as the data layer writes them), real Chroma
(the served store is a PersistentClient in the test's data folder), the real route over ASGI.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from chatbot.editors.evaluate import purity_completeness
from chatbot.editors.groups import Item, group_items
from chatbot.editors.synonyms import concepts, with_concepts
from chatbot.roles import Role, may_edit
from chatbot.store.schema import database_url, open_engine
from chatbot.store.signals import record_signal
from tests.conftest import ROOT, make_settings

DRAFT = """---
title: Permis bateau (permis plaisance)
summary: Comment passer le permis bateau côtier ou fluvial, son prix et l'examen.
source_url: https://www.service-public.fr/particuliers/vosdroits/F2195
updated: 2026-11-30
checked: 2026-11-30
tags: [permis bateau, plaisance, côtier, fluvial, navigation]
licence: Licence Ouverte 2.0
status: draft
---

## Passer le permis bateau

Le permis plaisance (option côtière ou eaux intérieures) est obligatoire pour conduire un
bateau à moteur. On s'inscrit dans un bateau-école agréé, dès 16 ans. L'examen théorique
comporte 40 questions.

## Prix du permis bateau

Comptez environ 300 à 500 euros pour la formation au permis bateau.
"""

BOAT = [
    "comment passer le permis bateau",
    "Bonjour je m'appelle <NOM_1>, combien coûte le permis bateau ?",
    "permis bateau à 16 ans c'est possible ? mon numéro <TEL_1>",
]
DIVORCE = [
    "comment divorcer à l'amiable",
    "Je suis <NOM_1>, quelles démarches pour un divorce par consentement mutuel ?",
    "faut il passer devant le juge pour divorcer",
]


def test_purity_and_completeness_follow_their_definitions() -> None:
    subjects = ["a", "a", "a", "b", "b", "c"]
    # One group mixing a and b, one of b, c alone: purity (3 + 1 + 1) / 6; completeness:
    # a -> 3 in group 0, b -> 1 at most in one group, c -> 1: (3 + 1 + 1) / 6.
    purity, completeness = purity_completeness(subjects, [[0, 1, 2, 3], [4], [5]])
    assert purity == pytest.approx(5 / 6) and completeness == pytest.approx(5 / 6)
    assert purity_completeness(subjects, [[i] for i in range(6)])[0] == 1.0
    assert purity_completeness(subjects, [list(range(6))])[1] == 1.0


async def test_paraphrases_with_personal_details_group_together() -> None:
    items = [Item(question=q) for q in BOAT + DIVORCE]
    clusters = await group_items(items)
    as_sets = sorted(sorted(members) for members in clusters.members)
    assert as_sets == [[0, 1, 2], [3, 4, 5]]
    assert all("<" not in topic for topic in clusters.topics)  # placeholders left out


def test_the_synonym_table_names_subjects_said_in_other_words() -> None:
    assert concepts("Les HLM de ma ville") == ["logement social"]
    # The longest variant wins: "taxe foncière" is about property, not tax in general.
    assert concepts("avis de TAXE FONCIÈRE") == ["foncier"]
    assert concepts("vacarme  et tapages la nuit") == ["bruit"]  # plural, spaces, case
    assert concepts("tapageur") == []  # whole words only
    assert concepts("il ne marche plus") == []  # "plu" (urbanisme) takes no plural "s"
    assert concepts("un vide-grenier") == ["brocante"]  # hyphen or space
    assert with_concepts("rien à voir") == "rien à voir"


async def test_paraphrases_sharing_no_word_meet_through_the_table() -> None:
    noise = ["vacarme dans l'immeuble toute la nuit", "nuisances sonores après 22 h"]
    waste = ["les encombrants ne sont pas passés", "où jeter mes ordures"]
    clusters = await group_items([Item(question=q) for q in noise + waste])
    assert sorted(sorted(m) for m in clusters.members) == [[0, 1], [2, 3]]


def test_editors_and_admins_open_the_space_agents_do_not() -> None:
    assert may_edit(Role.editor) and may_edit("admin")
    assert not may_edit(Role.agent) and not may_edit("citizen") and not may_edit("boss")


# --------------------------------------------------------------------------- stored signals


@pytest.fixture
def settings(tmp_path: Path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    return make_settings(tmp_path, knowledge_dir=knowledge)


async def _signals(settings, **extra) -> None:
    async with open_engine(database_url(settings)) as engine:
        for question in BOAT + BOAT[:1]:
            await record_signal(engine, "unanswered", flow="citizen", status="no_content",
                                question=question)  # fmt: skip
        for question in DIVORCE:
            await record_signal(engine, "unanswered", flow="citizen", status="out_of_scope",
                                question=question)  # fmt: skip
        await record_signal(engine, "feedback", flow="citizen", status="answered",
                            question="mon passeport est périmé", value=0)  # fmt: skip
        await record_signal(engine, "feedback", flow="citizen", status="answered",
                            question="carte vitale perdue", value=1)  # fmt: skip
        for _ in range(3):
            await record_signal(engine, "cited", flow="citizen", status="answered",
                                question=None, sources=["passeport", "carte-identite"])  # fmt: skip


async def _kb(settings):
    from chatbot.knowledge.base import KnowledgeBase

    kb = KnowledgeBase.open(settings)
    await kb.sync()
    return kb


async def test_gaps_report_groups_counts_and_closest_fiches(settings) -> None:
    from chatbot.editors.report import gaps_report, print_gaps

    await _signals(settings)
    report = await gaps_report(settings, days=7, kb=await _kb(settings))
    assert report.total == 4 + 3 + 1  # the good rating is not a gap
    assert report.kinds == {"unanswered": 4, "out_of_scope": 3, "badly_rated": 1}
    first = report.groups[0]
    assert first.count == 4 and "bateau" in first.label  # largest first
    assert sum(n for _, n in first.trend) == 4 and len(first.trend) == 7
    assert len(first.examples) == 3 and all("<NOM_1>" not in q for q in first.questions)
    passport = next(g for g in report.groups if "passeport" in g.label)
    assert passport.closest[0].id == "passeport" and passport.closest[0].score > 0.3
    text = print_gaps(report)
    assert "Questions restées sans réponse" in text and "4 questions" in text


async def test_stale_report_review_dates_and_citations(settings) -> None:
    from chatbot.editors.report import stale_report

    fiche = settings.knowledge_dir / "public" / "timbre-fiscal.md"
    text = fiche.read_text(encoding="utf-8")
    fiche.write_text(
        text.replace("\ntags:", "\nreview_by: 2020-01-01\neditor: Équipe timbres\ntags:", 1),
        encoding="utf-8",
    )
    await _signals(settings)
    report = await stale_report(settings, days=7, today=dt.date(2026, 12, 1))
    overdue = next(f for f in report.to_review if f.id == "timbre-fiscal")
    assert overdue.overdue and overdue.editor == "Équipe timbres"
    assert [(f.id, f.cited) for f in report.most_cited] == [("carte-identite", 3), ("passeport", 3)]
    assert "timbre-fiscal" in {f.id for f in report.never_cited}
    assert "passeport" not in {f.id for f in report.never_cited}


async def test_old_signals_table_gets_the_sources_column(tmp_path: Path) -> None:
    from sqlalchemy import text

    from chatbot.store.schema import make_engine

    settings = make_settings(tmp_path)
    engine = make_engine(database_url(settings))
    async with engine.begin() as conn:  # the table as the previous version created it
        await conn.execute(text(
            'CREATE TABLE guichet_signals ("id" TEXT PRIMARY KEY, "createdAt" TEXT NOT NULL, '
            '"flow" TEXT, "kind" TEXT NOT NULL, "status" TEXT, "value" INTEGER, '
            '"question" TEXT, "comment" TEXT)'
        ))  # fmt: skip
    await engine.dispose()
    async with open_engine(database_url(settings)) as engine:
        await record_signal(engine, "cited", flow="citizen", status="answered", question=None,
                            sources=["rsa"])  # fmt: skip
        async with engine.connect() as conn:
            rows = (await conn.execute(text('SELECT "sources" FROM guichet_signals'))).all()
    assert rows == [('["rsa"]',)]


# --------------------------------------------------------------------------- preview


async def test_preview_answers_the_group_on_a_throwaway_index(settings) -> None:
    from chatbot.editors.preview import known_questions, preview

    served = await _kb(settings)
    result = await preview(
        settings, DRAFT, "permis-bateau", "public",
        ["comment passer le permis bateau", "combien coûte le permis bateau", "comment divorcer"],
        known=known_questions(["mon passeport est périmé"]),
    )  # fmt: skip
    assert [o.question for o in result.now_answered] == [
        "comment passer le permis bateau",
        "combien coûte le permis bateau",
    ]
    assert [o.question for o in result.still_unanswered] == ["comment divorcer"]
    assert not result.lost and result.checked > 200
    # Never served: neither the served store nor the knowledge folder hold it.
    assert not any(c.fiche_id == "permis-bateau" for c in served.chunks.values())
    reopened = await _kb(settings)
    assert not any(c.fiche_id == "permis-bateau" for c in reopened.chunks.values())
    assert not list(settings.knowledge_dir.rglob("permis-bateau.md"))


async def test_a_changed_fiche_shows_what_it_would_lose(settings) -> None:
    from chatbot.editors.preview import preview

    changed = (
        "---\ntitle: Horaires de la mairie\nsummary: Les jours et heures d'ouverture.\n"
        "source_url: https://www.example.gouv.fr/horaires\n"
        "updated: 2026-11-30\nchecked: 2026-11-30\n"
        "tags: [horaires, ouverture]\nlicence: Licence Ouverte 2.0\n---\n\n"
        "## Horaires\n\nLa mairie est ouverte le samedi matin.\n"
    )
    result = await preview(
        settings, changed, "passeport", "public", [],
        known=[("comment refaire mon passeport périmé", "public")],
    )  # fmt: skip
    assert [o.question for o in result.lost] == ["comment refaire mon passeport périmé"]


async def test_a_broken_draft_gets_a_french_message(settings) -> None:
    from chatbot.editors.preview import DraftError, draft_from_file, preview

    with pytest.raises(DraftError, match="ne peut pas être lue"):
        await preview(settings, "---\ntitle: x\n---\n", "x", "public", [])
    with pytest.raises(DraftError, match="dossier des fiches"):
        draft_from_file(settings.knowledge_dir, "../../etc/passwd.md")


# --------------------------------------------------------------------------- routes


@pytest.fixture
def client(settings, monkeypatch):
    from chainlit.auth import create_jwt
    from starlette.applications import Starlette

    from chatbot.editors.web import install_editors
    from chatbot.web.auth import make_user

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "test-secret-" + "x" * 32)
    app = Starlette()
    install_editors(app, settings, lambda: SimpleNamespace(kb=None, flows={}))

    def make(role: Role | None) -> httpx.AsyncClient:
        jar = {}
        if role is not None:
            jar["access_token"] = create_jwt(make_user(f"u-{role}", role, "password"))
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", cookies=jar
        )

    return make


async def test_only_editors_and_admins_see_the_page(client) -> None:
    async with client(None) as anonymous:
        response = await anonymous.get("/editeurs")
        assert response.status_code == 401 and "Connectez-vous" in response.text
    for role, status in ((Role.citizen, 403), (Role.agent, 403), (Role.editor, 200),
                         (Role.admin, 200)):  # fmt: skip
        async with client(role) as session:
            response = await session.get("/editeurs")
            assert response.status_code == status, role
    async with client(Role.agent) as agent:
        assert "Accès refusé" in (await agent.get("/editeurs")).text
    async with client(Role.editor) as editor:
        page = (await editor.get("/editeurs")).text
        assert '<html lang="fr">' in page and "Espace des rédacteurs" in page
        assert "Avis des utilisateurs" in page and "Aucun avis sur la période" in page
        assert "<script" not in page and "http://" not in page.split("</style>")[1].replace(
            'xmlns="http://www.w3.org/2000/svg"', ""
        )


async def test_forged_role_cookie_is_refused(client) -> None:
    import jwt

    forged = jwt.encode(
        {"identifier": "x", "metadata": {"role": "editor"}, "exp": 9999999999}, "wrong", "HS256"
    )
    async with client(None) as anonymous:
        anonymous.cookies.set("access_token", forged)
        assert (await anonymous.get("/editeurs")).status_code == 401


async def test_the_preview_form_needs_its_token_same_origin_and_a_bounded_size(client) -> None:
    import re

    async with client(Role.editor) as editor:
        page = (await editor.get("/editeurs")).text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = {"csrf": token, "fiche": DRAFT, "identifiant": "permis-bateau", "public": "public"}
        ok = await editor.post("/editeurs/essai", data=form)
        assert ok.status_code == 200 and "Résultat pour « Permis bateau" in ok.text
        assert (await editor.post("/editeurs/essai", data={**form, "csrf": "x"})).status_code == 403
        other = await editor.post(
            "/editeurs/essai", data=form, headers={"Origin": "https://evil.example"}
        )
        assert other.status_code == 403
        big = await editor.post("/editeurs/essai", data={**form, "fiche": "x" * 200_000})
        assert big.status_code == 413
        bad = await editor.post("/editeurs/essai", data={**form, "identifiant": "Pas Bon"})
        assert bad.status_code == 422 and "Identifiant de fiche invalide" in bad.text
    async with client(Role.agent) as agent:  # a token from another session is no use
        assert (await agent.post("/editeurs/essai", data=form)).status_code == 403


# --------------------------------------------------------------------------- with a backend


async def test_backend_grouping_sends_topics_only_and_falls_back_offline(
    tmp_path: Path, double
) -> None:
    from chatbot.backend import Backend
    from chatbot.editors.report import gaps_report

    settings = make_settings(tmp_path, double, max_retries=0)
    items = [Item(question=q) for q in BOAT + DIVORCE]
    backend = Backend(settings)
    try:
        clusters = await group_items(items, backend=backend, model=settings.embedding_model)
        # The double embeds a bag of words: its groups say nothing of a real model's quality
        # (``chatbot eval groups --backend`` measures that); each question is in one group.
        assert sorted(i for m in clusters.members for i in m) == list(range(6))
        sent = " ".join(double.sent_texts())
        assert "comment divorcer" in sent and "<NOM_1>" not in sent and "<TEL_1>" not in sent

        async with open_engine(database_url(settings)) as engine:
            for question in BOAT:
                await record_signal(engine, "unanswered", flow="citizen", status="no_content",
                                    question=question)  # fmt: skip
        double.inject("503", times=10, path="/v1/embeddings")
        kb = SimpleNamespace(backend=backend, chunks={}, search=None)
        report = await gaps_report(settings, days=7, kb=kb)
        assert report.mode == "offline" and report.groups[0].count == 3
    finally:
        await backend.aclose()


async def test_a_draft_file_is_tried_from_the_knowledge_folder(settings) -> None:
    from chatbot.editors.preview import draft_from_file, preview

    (settings.knowledge_dir / "public" / "permis-bateau.md").write_text(DRAFT, encoding="utf-8")
    text, fiche_id, audience = draft_from_file(settings.knowledge_dir, "public/permis-bateau.md")
    assert (fiche_id, audience) == ("permis-bateau", "public")
    result = await preview(settings, text, fiche_id, audience, ["comment passer le permis bateau"])
    # The draft file is left out of what is published today: the question becomes answered.
    assert [o.question for o in result.now_answered] == ["comment passer le permis bateau"]
    assert not result.warnings  # ``status`` is what a draft says, not a mistake


async def test_report_commands_print_the_page_figures_in_french(
    settings, monkeypatch, capsys
) -> None:
    import asyncio

    from chatbot.cli import main

    await _signals(settings)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GUICHET_KNOWLEDGE_DIR", str(settings.knowledge_dir))
    monkeypatch.setenv("GUICHET_BACKEND_URL", "")
    # The commands run their own event loop, as from a shell.
    assert await asyncio.to_thread(main, ["report", "gaps", "--days", "7"]) == 0
    gaps = capsys.readouterr().out
    assert "Questions restées sans réponse (7 derniers jours) : 8 questions" in gaps
    assert "1. « comment passer le permis bateau » : 4 questions" in gaps
    assert await asyncio.to_thread(main, ["report", "stale", "--days", "7"]) == 0
    stale = capsys.readouterr().out
    assert "Fiches les plus citées :\n  - public/carte-identite.md : 3" in stale
