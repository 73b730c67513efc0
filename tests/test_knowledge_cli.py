"""`chatbot kb check|sync|search` as an editor or a script runs them."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path

import pytest

from chatbot.knowledge.commands import register
from tests.test_knowledge_fiche import EXPECTED, make_broken_folder

FIXTURES = Path(__file__).parent / "fixtures" / "kb"


def main(argv: list[str]) -> int:
    """`chatbot ...` with only the knowledge commands registered (the other parts' imports
    are slow and not under test here); `chatbot.cli` wires the same `register`."""
    parser = argparse.ArgumentParser(prog="chatbot")
    sub = parser.add_subparsers()
    register(sub, sub.add_parser("eval").add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("GUICHET_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GUICHET_BACKEND_URL", "")
    monkeypatch.setenv("GUICHET_CHROMA_URL", "")
    return tmp_path / "knowledge"


def test_check_prints_file_line_what_and_fix_and_exits_1(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_broken_folder(env)
    assert main(["kb", "check"]) == 1
    out = capsys.readouterr().out.splitlines()
    for path, line, message in EXPECTED:
        assert any(o.startswith(f"{path}:{line}: ") and message in o and " — " in o for o in out), (
            path,
            out,
        )
    assert any(o.startswith("public/donnees-perso.md:12: attention : ") for o in out)


def test_check_passes_on_good_files(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(FIXTURES / "good", env)
    assert main(["kb", "check"]) == 0
    assert capsys.readouterr().out == ""


def test_check_warns_about_a_copy_under_another_id(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "good", env)
    shutil.copy(env / "public" / "apl.md", env / "public" / "aide-logement.md")
    assert main(["kb", "check"]) == 0  # a warning: both fiches still serve
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()
    assert line.startswith("public/apl.md:") and "attention : quasi-doublon de" in line
    assert "public/aide-logement.md" in line
    assert "1 avertissements" in captured.err


def test_sync_then_search_jsonl(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURES / "good", env)
    assert main(["kb", "sync"]) == 0
    assert (
        "added 7, updated 0, removed 0, moved 0, unchanged 0, errors 0" in capsys.readouterr().out
    )
    assert main(["kb", "sync"]) == 0
    assert "added 0, updated 0, removed 0, moved 0, unchanged 7" in capsys.readouterr().out

    lines = [
        {"id": "a", "query": "combien coûte un passeport"},
        {"id": "b", "query": "quetzalcoatl", "audience": "agents"},
        {"id": "c", "query": "quetzalcoatl"},
        "not json",
        {"id": "e", "query": ""},
        {"id": "f", "query": "passeport", "audience": "admin"},
        {"id": 7, "query": "aide au loyer"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["kb", "search", "--jsonl", "-k", "3"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", None, "e", "f", 7]
    assert out[0]["hits"][0]["id"] == "passeport"
    assert set(out[0]["hits"][0]) == {"id", "title", "audience", "heading", "url", "score"}
    assert out[1]["hits"][0]["id"] == "canari-interne"
    assert all(h["audience"] == "public" for h in out[2]["hits"])
    assert all("error" in o for o in out[3:6])
    assert out[6]["hits"][0]["id"] == "apl"

    assert main(["kb", "search", "combien coûte un passeport", "--json", "-k", "1"]) == 0
    hit = json.loads(capsys.readouterr().out)[0]
    assert hit["fiche_id"] == "passeport" and hit["anchor"] == "delais-et-cout"
