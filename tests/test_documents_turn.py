"""Agents' documents inside a turn and the synthesis: the helpdesk cites the owner's own
document with its page, nobody else's turn sees it, and summaries are cited and labelled."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from chatbot.documents import samples
from chatbot.documents.synthesis import (
    COMPARE_LABEL,
    EXTRACTIVE_LABEL,
    MAP_PROMPT,
    MODEL_LABEL,
    REDUCE_PROMPT,
    compare_markdown,
    summarise,
)
from chatbot.present import as_markdown
from chatbot.privacy import Pseudonymiser
from chatbot.services import Services
from chatbot.turn import Caller, TurnResult, ask
from tests.conftest import ROOT, make_settings

OWNER = Caller(user_id="agent.martin", role="agent")
OTHER = Caller(user_id="agent.durand", role="agent")
CITIZEN = Caller(user_id=None, role="citizen")
QUESTION = "Dans quel délai le service instructeur doit-il notifier sa décision au demandeur ?"
PERSONAL = ("Marchetti", "Glycines", "198 044")


@pytest.fixture(scope="module")
async def offline(tmp_path_factory: pytest.TempPathFactory):
    settings = make_settings(
        tmp_path_factory.mktemp("docs-offline"), knowledge_dir=ROOT / "knowledge"
    )
    svc = await Services.start(settings)
    await svc.documents.add(OWNER.user_id, "circulaire.pdf", samples.circular_pdf(filler_pages=3))
    yield svc
    await svc.aclose()


@pytest.fixture(scope="module")
async def online(albert, tmp_path_factory: pytest.TempPathFactory):
    settings = make_settings(
        tmp_path_factory.mktemp("docs-online"), albert, knowledge_dir=ROOT / "knowledge"
    )
    svc = await Services.start(settings)
    await svc.documents.add(OWNER.user_id, "circulaire.pdf", samples.circular_pdf(filler_pages=3))
    yield svc
    await svc.aclose()


async def turn(svc: Services, caller: Caller, flow: str, text: str = QUESTION) -> TurnResult:
    return await ask(
        svc,
        text,
        thread_id=uuid.uuid4().hex,
        privacy=Pseudonymiser(),
        caller=caller,
        flow_name=flow,
    )


def document_sources(result: TurnResult) -> list:
    return [s for s in result.sources if s.audience == "document"]


async def test_the_owner_gets_an_answer_citing_the_page(offline: Services) -> None:
    result = await turn(offline, OWNER, "helpdesk")
    mine = document_sources(result)
    assert mine and mine[0].page == 3, result.sources
    assert "quarante-cinq jours" in result.answer
    shown = as_markdown(result)
    assert "Votre document « circulaire.pdf » — p. 3, 3. Délai d'instruction" in shown
    assert "](" not in shown.split("**Sources**")[1].split("Votre document")[1]  # no link


async def test_another_agent_and_a_citizen_never_see_it(offline: Services) -> None:
    for caller, flow in ((OTHER, "helpdesk"), (CITIZEN, "citizen")):
        result = await turn(offline, caller, flow)
        assert document_sources(result) == [], caller
        assert "quarante-cinq jours" not in result.answer, caller
    # A citizen cannot use the helpdesk flow at all.
    with pytest.raises(Exception, match="not available"):
        await turn(offline, CITIZEN, "helpdesk")


async def test_with_a_model_the_answer_cites_the_document_and_no_value_is_sent(
    online: Services, double
) -> None:
    result = await turn(online, OWNER, "helpdesk")
    assert document_sources(result), result.sources
    sent = "\n".join(double.sent_texts())
    assert "quarante-cinq" in sent and 'page="3"' in sent
    for value in PERSONAL:
        assert value not in sent, value


async def test_offline_synthesis_is_extractive_cited_and_labelled(offline: Services) -> None:
    [info] = offline.documents.list(OWNER.user_id)
    chunks = offline.documents.chunks_of(OWNER.user_id, info.id)
    text, mode = await summarise(None, Pseudonymiser(), info.filename, chunks)
    assert mode == "extractive" and text.startswith(EXTRACTIVE_LABEL)
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= 8
    assert all("*p. " in line for line in bullets)  # each sentence cited with its page
    assert all(value not in text for value in PERSONAL)


async def test_model_synthesis_is_map_reduce_with_cited_parts(online: Services, double) -> None:
    [info] = online.documents.list(OWNER.user_id)
    chunks = online.documents.chunks_of(OWNER.user_id, info.id)
    text, mode = await summarise(online.backend, Pseudonymiser(), info.filename, chunks)
    assert mode == "model" and text.startswith(MODEL_LABEL)
    partials = text.split("**Résumés partiels**")[1]
    parts = [line for line in partials.splitlines() if line.startswith("- \\[")]
    assert len(parts) >= 2 and all("p. " in line for line in parts)
    prompts = [
        (r.json or {}).get("messages", [{}])[0].get("content")
        for r in double.requests
        if r.path.endswith("/chat/completions")
    ]
    # One call per part, then the reduce (other requests on the shared double are ignored).
    assert prompts.count(MAP_PROMPT) == len(parts) and prompts.count(REDUCE_PROMPT) == 1
    for value in PERSONAL:
        assert value not in "\n".join(double.sent_texts()), value


async def test_a_backend_failure_falls_back_to_the_extractive_summary(
    online: Services, double
) -> None:
    [info] = online.documents.list(OWNER.user_id)
    chunks = online.documents.chunks_of(OWNER.user_id, info.id)
    double.inject("503", times=10, path="/v1/chat/completions", retry_after=0)
    text, mode = await summarise(online.backend, Pseudonymiser(), info.filename, chunks)
    assert mode == "extractive" and text.startswith(EXTRACTIVE_LABEL)


async def test_comparison_shows_what_changed(offline: Services) -> None:
    owner = "agent.compare"
    old = await offline.documents.add(owner, "v1.md", samples.circular_markdown().encode())
    changed = samples.circular_markdown().replace("quarante-cinq jours", "soixante jours")
    changed += (
        "\n## 5. Recours\n\nLe recours contentieux se forme devant le tribunal administratif.\n"
    )
    new = await offline.documents.add(owner, "v2.md", changed.encode())
    text = compare_markdown(
        "v1.md",
        offline.documents.chunks_of(owner, old.id),
        "v2.md",
        offline.documents.chunks_of(owner, new.id),
    )
    assert text.startswith(COMPARE_LABEL)
    assert "Sections seulement dans « v2.md »** : 5. Recours" in text
    modified = text.split("**Passages modifiés**")[1]
    assert "quarante-cinq jours" in modified and "soixante jours" in modified
    assert "tribunal administratif" in text.split("Seulement dans « v2.md »")[1]


def test_the_helpdesk_flow_searches_documents_and_the_citizen_flow_does_not(tmp_path: Path) -> None:
    from chatbot.flows.schema import load_flows

    flows, problems = load_flows(ROOT / "flows")
    assert not problems
    assert flows["helpdesk"].documents is True
    assert flows["citizen"].documents is False
