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
ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "eval" / "retrieval.jsonl"


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


def test_check_eval_passes_on_the_real_knowledge(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "check", "--eval", "--dir", str(ROOT / "knowledge")]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    asked = sum(1 for line in DEV_SET.read_text().splitlines() if '"expected": ["' in line)
    assert f"évaluation : {asked} questions, 0 régressions" in captured.err


def test_check_eval_exits_1_when_an_expected_fiche_is_removed(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An administration's content repository: its own folder and question set, as options.
    shutil.copytree(ROOT / "knowledge", env)
    (env / "public" / "passeport.md").unlink()
    questions = env.parent / "questions.jsonl"
    lines = [
        line
        for line in DEV_SET.read_text(encoding="utf-8").splitlines()
        if '"audience": "agents"' not in line
    ]
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["kb", "check", "--eval", "--dir", str(env), "--set", str(questions)]) == 1
    captured = capsys.readouterr()
    # The removed fiche's links are broken too: errors for editors, before the evaluation.
    assert "lien interne cassé vers `passeport.md`" in captured.out
    out = [line for line in captured.out.splitlines() if line.startswith(str(questions))]
    expected = {
        n: json.loads(line)
        for n, line in enumerate(lines, 1)
        if "passeport" in json.loads(line).get("expected", [])
    }
    only = {n for n, q in expected.items() if q["expected"] == ["passeport"]}
    reported = set()
    for line in out:
        # file:line of the question, what went wrong in French, what to check.
        where, _, what = line.partition(": ")
        n = int(where.rsplit(":", 1)[1])
        assert where == f"{questions}:{n}" and n in expected, line
        assert f"« {expected[n]['query']} »" in what and "fiche attendue passeport" in what
        assert "dans les 5 premiers résultats" in what and " — vérifiez" in what
        reported.add(n)
    assert only and only <= reported, (only, reported)
    assert f"{len(out)} régressions" in captured.err


def test_check_eval_refuses_a_missing_question_set(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "good", env)
    assert main(["kb", "check", "--eval", "--set", str(env / "absent.jsonl")]) == 2
    assert "absent.jsonl does not exist" in capsys.readouterr().err


def test_check_flags_yearly_amounts_past_their_review_date(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "good", env)
    assert main(["kb", "check", "--today", "2026-10-15"]) == 0
    assert capsys.readouterr().out == ""
    path = env / "public" / "apl.md"
    text = path.read_text(encoding="utf-8").replace("licence:", "review_by: 2027-04-01\nlicence:")
    path.write_text(text + "\nMontant indicatif : 250 € par mois.\n", encoding="utf-8")
    line = next(n for n, x in enumerate(text.splitlines(), 1) if x.startswith("review_by"))
    assert main(["kb", "check", "--today", "2027-04-01"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["kb", "check", "--today", "2027-04-02"]) == 0  # a warning: still served
    (out,) = capsys.readouterr().out.splitlines()
    assert out.startswith(f"public/apl.md:{line}: attention : montants annuels à revérifier")
    assert "mettez à jour `checked` et `review_by`" in out
