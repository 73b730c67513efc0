"""A fiche written from several official pages: every page is an allowed, displayed link under
the answer, and a section marked `<!-- source: n -->` cites its own page only."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from chatbot.flows.status import Status
from chatbot.present import as_markdown
from chatbot.privacy import Pseudonymiser
from chatbot.services import Services
from chatbot.turn import TurnResult, run_turn
from tests.conftest import make_settings

SP = "https://www.service-public.fr/particuliers/vosdroits/"
MATERNITY, PATERNITY = SP + "F2265", SP + "F3156"
FICHE = f"""---
title: Congés de naissance
summary: Le congé maternité et le congé de paternité à la naissance d'un enfant.
sources:
  - url: {MATERNITY}
    title: Congé de maternité
  - url: {PATERNITY}
    title: Congé de paternité et d'accueil de l'enfant
updated: 2026-11-30
checked: 2026-11-30
tags: [naissance, congé]
licence: Test
---
À la naissance d'un enfant, les deux parents ont droit à un congé.

## Congé de paternité
<!-- source: 2 -->
Le second parent a droit à 25 jours de congé de paternité.

## Indemnités journalières
Les indemnités journalières des congés de naissance sont versées par la caisse d'assurance
maladie, sans délai de carence.
"""


def write_folder(root: Path) -> Path:
    folder = root / "knowledge"
    (folder / "public").mkdir(parents=True)
    (folder / "public" / "conges-naissance.md").write_text(FICHE, encoding="utf-8")
    return folder


async def ask(services: Services, question: str) -> TurnResult:
    result = None
    async for event in run_turn(
        services, question, thread_id=uuid.uuid4().hex, privacy=Pseudonymiser()
    ):
        result = event
    assert isinstance(result, TurnResult)
    return result


def linked(markdown: str) -> list[str]:
    return re.findall(r"\]\((https://[^)]+)\)", markdown)


async def test_an_unmarked_section_shows_a_link_to_each_source(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    services = await Services.start(make_settings(tmp_path, knowledge_dir=folder))
    try:
        result = await ask(
            services, "Qui verse les indemnités journalières des congés de naissance ?"
        )
    finally:
        await services.aclose()
    assert result.status == Status.answered_excerpts
    assert result.sources[0].heading.endswith("Indemnités journalières")
    text = as_markdown(result)
    # One line for the fiche, a link to each of its pages, labelled with the page's title.
    assert sorted(set(linked(text))) == [MATERNITY, PATERNITY], text
    assert f"[Congé de maternité]({MATERNITY})" in text
    assert f"[Congé de paternité et d'accueil de l'enfant]({PATERNITY})" in text


def cite_section(section: str):
    """A model that cites the given section's number and links to both pages and a foreign one."""

    def responder(body: dict) -> str:
        system = str(body["messages"][0]["content"])
        if "CLASSIFIER:" in system:
            return "safe"
        if "REWRITE:" in system:
            return body["messages"][-1]["content"]
        user = str(body["messages"][-1]["content"])
        n = re.search(rf'<source n="(\d+)" title="[^"]*" section="{section}', user)
        assert n, user
        return (
            f"Le second parent a droit à 25 jours [{n.group(1)}]. Voir [la page]({PATERNITY}), "
            f"[l'autre page]({MATERNITY}) et [ce site](https://evil.example/conges)."
        )

    return responder


@pytest.fixture
async def with_model(albert, tmp_path: Path):
    folder = write_folder(tmp_path)
    services = await Services.start(make_settings(tmp_path, albert, knowledge_dir=folder))
    yield services
    await services.aclose()


async def test_every_source_of_the_cited_fiche_is_an_allowed_link(with_model, double) -> None:
    double.responder = cite_section("Congé de paternité")
    result = await ask(with_model, "Combien de jours dure le congé de paternité ?")
    assert result.status == Status.answered, result
    # Both pages of the fiche retrieved are links the answer may keep; a foreign one is not.
    assert f"]({PATERNITY})" in result.answer and f"]({MATERNITY})" in result.answer
    assert "evil.example" not in result.answer
    # The cited section is marked `source: 2`: only its page is listed under the answer.
    assert [s.heading for s in result.sources] == ["Congés de naissance > Congé de paternité"]
    listed = as_markdown(result).split("**Sources**", 1)[1]
    assert linked(listed) == [PATERNITY], listed
