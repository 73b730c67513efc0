"""``chatbot privacy scrub``: plain, --json and --jsonl (offsets refer to the input, a bad
line gets an error line and the rest goes on); ``bench`` is shared with other parts."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from chatbot.privacy.commands import register


def parser_with(*, existing_bench: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatbot")
    sub = parser.add_subparsers()
    if existing_bench:  # as another part (bench knowledge) may have registered first
        other = sub.add_parser("bench").add_subparsers()
        other.add_parser("knowledge").set_defaults(func=lambda args: 0)
    eval_sub = sub.add_parser("eval").add_subparsers()
    register(sub, eval_sub)
    return parser


def run(argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = parser_with().parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_scrub_plain(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    out = run(["privacy", "scrub"], "je m'appelle jean dupont, CAF de Lyon\n", monkeypatch, capsys)
    assert out == "je m'appelle <NOM_1>, CAF de Lyon\n"


def test_scrub_json(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    text = "tel 06 12 34 56 78"
    out = json.loads(run(["privacy", "scrub", "--json"], text, monkeypatch, capsys))
    assert out["text"] == "tel <TEL_1>"
    assert out["entities"] == [{"type": "TEL", "start": 4, "end": 18, "score": pytest.approx(0.95)}]


def test_scrub_jsonl_offsets_refer_to_input(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    lines = [
        {"id": "a", "text": "Mme Durand habite 12 rue des Lilas 69003 Lyon, tel 0612345678."},
        "not json",
        {"id": "c"},
        {"id": 4, "text": "Comment joindre la CAF au 3230 ?"},
        {"id": "e", "text": "Mme Durand encore, iban FR76 3000 6000 0112 3456 7890 189"},
    ]
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    out = [
        json.loads(line)
        for line in run(["privacy", "scrub", "--jsonl"], stdin, monkeypatch, capsys).splitlines()
    ]
    assert [o["id"] for o in out] == ["a", None, "c", 4, "e"]
    first = out[0]
    source = lines[0]["text"]
    assert [(e["type"], source[e["start"] : e["end"]]) for e in first["entities"]] == [
        ("NOM", "Durand"),
        ("ADRESSE", "12 rue des Lilas 69003 Lyon"),
        ("TEL", "0612345678"),
    ]
    assert first["text"] == "Mme <NOM_1> habite <ADRESSE_1>, tel <TEL_1>."
    assert "error" in out[1] and "line 2" in out[1]["error"]
    assert "text" in out[2]["error"]
    assert out[3] == {"id": 4, "text": "Comment joindre la CAF au 3230 ?", "entities": []}
    # Each line is its own text: placeholders restart at 1.
    assert out[4]["text"].startswith("Mme <NOM_1> encore, iban <IBAN_1>")


def test_bench_group_is_shared() -> None:
    parser = parser_with(existing_bench=True)
    assert parser.parse_args(["bench", "knowledge"]).func(None) == 0
    args = parser.parse_args(["bench", "privacy", "--runs", "3"])
    assert args.runs == 3 and args.func.__name__ == "cmd_bench"
    assert parser_with().parse_args(["eval", "privacy"]).func.__name__ == "cmd_eval"
