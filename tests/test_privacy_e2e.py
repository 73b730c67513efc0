"""Invariants 1 and 2 end to end: a conversation full of personal data goes through the real
flow against the Albert test double; nothing personal reaches the backend, the stores or the
logs, while the user sees their own values in the answer."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import uuid

import pytest

from chatbot.flows.status import Status
from chatbot.logs import configure_logging
from chatbot.privacy import Pseudonymiser
from chatbot.services import Services
from chatbot.turn import ask
from tests.conftest import make_settings

VALUES = {
    "name": "Jean Dupont",
    "nir": "1 85 05 78 006 084 91",
    "address": "12 rue des Lilas 75011 Paris",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "phone": "06 12 34 56 78",
    "email": "jean.dupont@example.org",
}
TURNS = [
    f"Bonjour, je m'appelle {VALUES['name']}, mon numéro de sécurité sociale est {VALUES['nir']}"
    f" et j'habite {VALUES['address']}. Comment déclarer mon changement d'adresse ?",
    f"Mon IBAN est {VALUES['iban']} et mon téléphone le {VALUES['phone']} : comment recevoir "
    "la prime d'activité ?",
    f"et pour {VALUES['name']}, faut-il refaire la carte grise ? Écrivez-moi à {VALUES['email']}",
]


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"\s+", " ", text)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaks(haystack: str) -> list[str]:
    """Values found in the text, compared as typed, case-folded and digits only."""
    folded, only_digits = fold(haystack), digits(haystack)
    found = []
    for key, value in VALUES.items():
        if value in haystack or fold(value) in folded:
            found.append(key)
        elif len(digits(value)) >= 8 and digits(value) in only_digits:
            found.append(key)
    # Parts of the name alone are personal too.
    found += [part for part in ("Dupont",) if part.casefold() in folded]
    return found


@pytest.fixture
async def conversation(albert, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    configure_logging("json", "DEBUG")  # logs go to the captured stderr, at every level
    albert.reset()
    settings = make_settings(tmp_path, albert)
    services = await Services.start(settings)
    privacy, thread = Pseudonymiser(), uuid.uuid4().hex
    try:
        results = [await ask(services, text, thread_id=thread, privacy=privacy) for text in TURNS]
    finally:
        await services.aclose()
    captured = capsys.readouterr()
    yield settings, results, captured.out + captured.err + caplog.text
    configure_logging("json", "INFO")


async def test_nothing_personal_reaches_the_backend(conversation, albert) -> None:
    _, results, _ = conversation
    assert [r.status for r in results] == [Status.answered] * 3
    sent = " ".join(albert.sent_texts())
    assert "<NOM_1>" in sent, "the model got placeholders instead of values"
    assert leaks(sent) == []
    assert any("/embeddings" in r.path for r in albert.requests)
    assert any("/rerank" in r.path for r in albert.requests)


async def test_the_user_sees_their_own_values(conversation) -> None:
    _, results, _ = conversation
    # The double answers "Pour <NOM_1>, ..." when the question carries placeholders.
    assert results[0].answer.startswith(f"Pour {VALUES['name']}")
    assert VALUES["iban"] in results[1].answer and VALUES["phone"] in results[1].answer
    assert "NOM" in results[0].masked and "NIR" in results[0].masked
    assert "masqu" in results[0].notice


async def test_a_turn_logs_no_presidio_chatter(conversation) -> None:
    _, _, logs = conversation
    assert "turn_finished" in logs, "the logs were captured"
    # Presidio said this at INFO on every message once Chainlit set the root logger to INFO.
    assert "Fetching all recognizers" not in logs


async def test_nothing_personal_is_stored_or_logged(conversation) -> None:
    settings, _, logs = conversation
    assert "turn_finished" in logs, "the logs were captured"
    assert leaks(logs) == []
    stored = settings.sqlite_path.read_bytes().decode("utf-8", "ignore")
    assert "NOM_1" in stored, "the checkpoint holds the conversation, pseudonymised"
    assert leaks(stored) == []
    for line in logs.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            assert "question" not in event and "text" not in event


async def test_the_analyser_runs_once_per_turn(albert, tmp_path, monkeypatch) -> None:
    """spaCy and the recognizers run on the new message only: the steps send state text
    (question, history, standalone) through ``mask_known``, with classifier and rewrite on."""
    from chatbot.privacy import pseudonymise

    runs: list[str] = []
    real = pseudonymise.analyze

    def counting(text: str, allow_list=()):
        runs.append(text)
        return real(text, allow_list)

    monkeypatch.setattr(pseudonymise, "analyze", counting)
    albert.reset()
    services = await Services.start(make_settings(tmp_path, albert))
    assert services.flows["citizen"].guard.classifier, "the classifier layer is on"
    privacy, thread, per_turn = services.privacy(), uuid.uuid4().hex, []
    try:
        for text in TURNS:
            before = len(runs)
            result = await ask(services, text, thread_id=thread, privacy=privacy)
            assert result.status == Status.answered
            per_turn.append(len(runs) - before)
    finally:
        await services.aclose()
    assert per_turn == [1, 1, 1]
    sent = [r.json for r in albert.requests if r.json]
    assert any("CLASSIFIER:" in str(body) for body in sent), "the classifier ran"
    assert any("REWRITE:" in str(body) for body in sent), "the follow-up was rewritten"
    assert any(body.get("stream") for body in sent), "the answer was generated"
