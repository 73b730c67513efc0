"""The gate as the conversation uses it: placeholders, re-personalisation, streaming, the
notice shown to the user, the allow list, no network, no personal value in the logs."""

from __future__ import annotations

import json
import socket

import pytest
import structlog

from chatbot.logs import configure_logging
from chatbot.outbound import Outbound
from chatbot.privacy import Pseudonymiser, analyze, masked_notice, scrub_once


@pytest.fixture(autouse=True)
def _logs_to_this_tests_stderr() -> None:
    # Another test may have left structlog writing to a stream that is now closed.
    configure_logging("json", "INFO")


TURN_1 = "Bonjour, je m'appelle Jean Dupont, mon numéro de sécu est 1 85 05 78 006 084 91."
TURN_2 = "Rappelez-moi au 06 12 34 56 78 ; Jean Dupont, NIR 185057800608491."


def test_scrub_returns_outbound_without_the_values() -> None:
    gate = Pseudonymiser()
    scrubbed = gate.scrub(TURN_1)
    assert isinstance(scrubbed.text, Outbound)
    assert "Dupont" not in scrubbed.text and "084" not in scrubbed.text
    assert scrubbed.text == "Bonjour, je m'appelle <NOM_1>, mon numéro de sécu est <NIR_1>."
    assert [e.type for e in scrubbed.entities] == ["NOM", "NIR"]
    # Offsets refer to the input text.
    first = scrubbed.entities[0]
    assert TURN_1[first.start : first.end] == "Jean Dupont"


def test_same_value_same_placeholder_across_turns() -> None:
    gate = Pseudonymiser()
    gate.clear(TURN_1)
    second = gate.clear(TURN_2)
    # The NIR typed without spaces is the same NIR; the phone is new.
    assert second == "Rappelez-moi au <TEL_1> ; <NOM_1>, NIR <NIR_1>."
    assert gate.masked_types == {"NOM", "NIR", "TEL"}


def test_conversations_do_not_share_placeholders() -> None:
    one, other = Pseudonymiser(), Pseudonymiser()
    one.clear("je m'appelle Paul Martin")
    assert other.clear("je m'appelle Jean Dupont") == "je m'appelle <NOM_1>"
    assert other.repersonalise("<NOM_1>") == "Jean Dupont"


def test_repersonalise_round_trip_and_unknown_placeholder() -> None:
    gate = Pseudonymiser()
    outbound = gate.clear(TURN_2)
    assert gate.repersonalise(outbound) == TURN_2
    answer = "Bonjour <NOM_1>, nous vous rappelons au <TEL_1>. Voir <NOM_7> et <IBAN_1>."
    assert gate.repersonalise(answer) == (
        "Bonjour Jean Dupont, nous vous rappelons au 06 12 34 56 78. Voir <NOM_7> et <IBAN_1>."
    )


def test_stream_never_shows_a_broken_placeholder() -> None:
    gate = Pseudonymiser()
    gate.clear("je m'appelle Jean Dupont, tel 06 12 34 56 78")
    stream = gate.stream()
    deltas = ["Bonjour <", "NO", "M_", "1", ">, on vous appelle au <TEL", "_1> demain", " (a<b)."]
    shown = []
    for delta in deltas:
        piece = stream.feed(delta)
        assert "<N" not in piece and "<T" not in piece and "_1>" not in piece
        shown.append(piece)
    shown.append(stream.flush())
    assert "".join(shown) == "Bonjour Jean Dupont, on vous appelle au 06 12 34 56 78 demain (a<b)."


def test_stream_flush_gives_back_an_unfinished_tail() -> None:
    stream = Pseudonymiser().stream()
    assert stream.feed("coût < 10") == "coût < 10"
    assert stream.feed(" euros <NO") == " euros "
    assert stream.flush() == "<NO"


def test_masked_notice_in_french() -> None:
    assert masked_notice([]) == ""
    assert masked_notice({"TEL", "NOM"}) == (
        "Par précaution, votre nom et votre numéro de téléphone ont été masqués : "
        "ils n'ont pas été transmis au modèle de langue."
    )
    assert masked_notice(["ADRESSE"]) == (
        "Par précaution, votre adresse a été masquée : elle n'a pas été transmise au modèle "
        "de langue."
    )
    assert masked_notice(["NIR", "IBAN", "DATE_NAISSANCE"]) == (
        "Par précaution, votre numéro de sécurité sociale, votre IBAN et votre date de "
        "naissance ont été masqués : ils n'ont pas été transmis au modèle de langue."
    )
    # No backend (the embedded default): nothing is sent anywhere, no model to speak of.
    assert masked_notice(["ADRESSE"], has_model=False) == (
        "Par précaution, votre adresse a été masquée : elle n'a été transmise à aucun service "
        "extérieur."
    )
    assert masked_notice({"TEL", "NOM"}, has_model=False) == (
        "Par précaution, votre nom et votre numéro de téléphone ont été masqués : "
        "ils n'ont été transmis à aucun service extérieur."
    )


def test_operator_allow_list_keeps_a_term(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Adressez-vous à Maître Lucien Fabre, médiateur de la ville."
    assert "Lucien Fabre" not in scrub_once(text)
    assert "Lucien Fabre" in Pseudonymiser(allow_list=["Lucien Fabre"]).clear(text)

    # The gate reads no settings: the operator's list reaches it through the CLI's own reader.
    from chatbot.privacy.commands import _allow_list

    monkeypatch.setenv("GUICHET_PRIVACY_ALLOW_LIST", "Lucien Fabre,Espace Rosa Parks")
    assert "Lucien Fabre" in Pseudonymiser(_allow_list()).clear(text)
    monkeypatch.delenv("GUICHET_PRIVACY_ALLOW_LIST")
    assert "Lucien Fabre" not in Pseudonymiser().clear(text)


def test_analysis_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network used during analysis")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a) or [])
    text = "écrivez à jean.dupont@exemple.co.uk ou marie@mairie-exemple.fr, tel 06 12 34 56 78"
    assert [e.type for e in analyze(text)] == ["EMAIL", "EMAIL", "TEL"]
    assert attempts == []


def test_logs_carry_types_and_counts_only(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")  # the operators' format, writing to (captured) stderr
    try:
        gate = Pseudonymiser()
        gate.clear(TURN_1)
        gate.clear(TURN_2)
        logged = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
    events = [json.loads(line) for line in logged.splitlines()]
    # The values themselves, not the timestamps (whose microseconds may well read "084").
    fields = json.dumps([{k: v for k, v in e.items() if k != "timestamp"} for e in events])
    assert "Dupont" not in fields and "084" not in fields and "56 78" not in fields
    assert [e["event"] for e in events] == ["privacy.scrubbed", "privacy.scrubbed"]
    assert events[0]["entities"] == {"NOM": 1, "NIR": 1}
    assert events[1]["entities"] == {"TEL": 1, "NOM": 1, "NIR": 1}
    assert "Dupont" not in repr(gate)


def test_history_sent_again_keeps_its_placeholders() -> None:
    gate = Pseudonymiser()
    first = gate.clear("Bonjour, je suis Jean Dupont, tel 06 12 34 56 78")
    again = gate.clear(first + " Merci <NOM_1> !")
    assert again == first + " Merci <NOM_1> !"
    assert gate.repersonalise(again).count("Jean Dupont") == 2


def test_no_break_spaces_from_copy_paste() -> None:
    nbsp = "\u00a0"
    text = "tél : 06 12 34 56 78, IBAN FR76 3000 6000 0112 3456 7890 189".replace(" ", nbsp)
    assert [e.type for e in analyze(text)] == ["TEL", "IBAN"]


def test_long_document_is_analysed_in_pieces_with_input_offsets() -> None:
    from chatbot.privacy import analyzer

    line = "Le dossier est complet et la CAF a répondu dans les délais habituels.\n"
    text = line * 700 + "Contact : Mme Durand, 06 12 34 56 78.\n" + line * 10
    assert len(text) > 2 * analyzer.CHUNK_CHARS
    found = [(e.type, text[e.start : e.end]) for e in analyze(text)]
    assert found == [("NOM", "Durand"), ("TEL", "06 12 34 56 78")]


def test_registry_holds_only_the_french_recognizers() -> None:
    from chatbot.privacy import get_analyzer

    analyzer = get_analyzer()
    assert analyzer is get_analyzer()  # built once per process
    names = {r.name for r in analyzer.registry.recognizers}
    # No US recognizers, no medical licence, no Presidio e-mail (tldextract would download).
    assert names and all(name.startswith("Fr") for name in names)
    assert analyzer.nlp_engine.nlp["fr"].pipe_names == ["ner"]


def test_mask_known_needs_no_analyser(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Pseudonymiser()
    gate.clear("Je m'appelle Amandine Leroux, mon numéro est le 06 12 34 56 78.")
    import chatbot.privacy.pseudonymise as module

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the analyser ran on text already pseudonymised")

    monkeypatch.setattr(module, "analyze", refuse)
    # Re-personalised text (what the screen shows) goes back to its placeholders.
    shown = "Bonjour Amandine Leroux, nous vous rappellerons au 06 12 34 56 78."
    assert str(gate.mask_known(shown)) == "Bonjour <NOM_1>, nous vous rappellerons au <TEL_1>."
    # The same message scrubbed again (the data layer storing it) hits the session's cache.
    again = gate.clear("Je m'appelle Amandine Leroux, mon numéro est le 06 12 34 56 78.")
    assert "Leroux" not in str(again)


def test_recognizers_are_built_once_however_many_gates(monkeypatch: pytest.MonkeyPatch) -> None:
    from chatbot.privacy import analyzer as module

    built: list[object] = []
    real = module.build_recognizers

    def counting() -> list:
        recognizers = real()
        built.append(recognizers)
        return recognizers

    monkeypatch.setattr(module, "build_recognizers", counting)
    monkeypatch.setattr(module, "_analyzer", None)  # as in a fresh process
    for _ in range(2):  # two conversations, each with its own gate, two messages each
        gate = Pseudonymiser()
        assert "Dupont" not in str(gate.clear(TURN_1))
        assert "06 12" not in str(gate.clear(TURN_2))
    assert len(built) == 1
