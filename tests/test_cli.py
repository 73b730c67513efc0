"""The ``chatbot`` command as an operator runs it: a subprocess, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import OFFLINE_ENV, ROOT


def chatbot(
    *args: str, tmp: Path, stdin: str = "", env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess:
    full_env = {
        **os.environ,
        **OFFLINE_ENV,
        "GUICHET_DATA_DIR": str(tmp / "data"),
        "GUICHET_NETGUARD": "1",
        "PYTHONPATH": f"{ROOT / 'tests' / 'netguard'}{os.pathsep}{ROOT}",
        **(env or {}),
    }
    for name in ("GUICHET_BACKEND_URL", "GUICHET_API_KEY"):
        if name not in (env or {}):
            full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "chatbot.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=ROOT,
        env=full_env,
        timeout=timeout,
    )


def test_ask_jsonl_offline(tmp_path: Path) -> None:
    lines = [
        {"id": "q1", "question": "j'ai perdu ma carte vitale, je fais comment ?"},
        {"id": 2, "question": "   "},
        {"id": "q3", "question": "Bonjour"},
    ]
    stdin = (
        "\n".join(json.dumps(line) for line in lines[:2]) + "\nnot json\n" + json.dumps(lines[2])
    )
    run = chatbot("ask", "--jsonl", tmp=tmp_path, stdin=stdin)
    assert run.returncode == 0, run.stderr[-2000:]
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", 2, None, "q3"], "one line per input, in order"
    first = out[0]
    assert set(first) == {"id", "status", "answer", "sources"}
    assert first["status"] == "answered_excerpts" and "extraits" in first["answer"]
    assert first["sources"][0] == {
        "id": "carte-vitale",
        "title": "Carte Vitale",
        "url": first["sources"][0]["url"],
    } and first["sources"][0]["url"].startswith("https://")
    assert len({s["id"] for s in first["sources"]}) == len(first["sources"])
    assert out[1]["status"] == "invalid_input" and "vide" in out[1]["answer"]
    assert out[2]["status"] == "invalid_input" and "line 3" in out[2]["error"]
    assert out[3]["status"] == "smalltalk"


def test_ask_json_single_question(tmp_path: Path) -> None:
    run = chatbot(
        "ask", "Comment obtenir un extrait de casier judiciaire ?", "--json", tmp=tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["status"] == "answered_excerpts"
    assert result["sources"][0]["id"] == "casier-judiciaire"


def test_wrong_settings_are_one_clear_line(tmp_path: Path) -> None:
    bad_url = chatbot(
        "serve", "--port", "1", tmp=tmp_path, env={"GUICHET_BACKEND_URL": "albert.example"}
    )
    assert bad_url.returncode == 2
    assert bad_url.stderr.strip().count("\n") == 0, bad_url.stderr
    assert "GUICHET_BACKEND_URL" in bad_url.stderr and "Traceback" not in bad_url.stderr


HEAVY = ("spacy", "chromadb", "sqlalchemy", "chainlit", "presidio_analyzer", "langgraph")


def test_help_loads_no_model_nor_store() -> None:
    # Building the parser (what ``chatbot --help`` and every command do first) must not load
    # spaCy, Chroma, SQLAlchemy or Chainlit: each takes seconds.
    code = (
        "import sys, chatbot.cli; chatbot.cli.build_parser(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
    help_ = chatbot("--help", tmp=Path("/nonexistent"))
    assert help_.returncode == 0
    for command in ("serve", "ask", "kb", "privacy", "report", "users", "fake-albert", "eval"):
        assert command in help_.stdout


def test_lazy_packages_still_export_their_functions() -> None:
    # A submodule named like the function it exports (guard.normalise, knowledge.check):
    # importing the submodule first must not hide the function behind the package name.
    code = (
        "import chatbot.guard.normalise, chatbot.knowledge.check\n"
        "from chatbot.guard import normalise, check_input\n"
        "from chatbot.knowledge import check, scan\n"
        "from chatbot.fake_albert import FakeAlbert\n"
        "from chatbot.privacy import checksums\n"
        "assert callable(normalise) and callable(check) and callable(scan), (normalise, check)\n"
        "assert normalise('  Bonjour ').text == 'Bonjour' and check_input('x').category is None\n"
        "assert checksums.__name__ == 'chatbot.privacy.checksums' and FakeAlbert.__name__\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.returncode == 0, run.stderr


def test_serve_on_a_busy_port_says_so_and_fails(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = chatbot("serve", "--port", str(port), tmp=tmp_path, timeout=120)
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, run.stderr
    assert f"port {port}" in errors[0] and "already in use" in errors[0]
    assert "--port" in errors[0]
    assert "open http" not in run.stdout, "nothing listens: do not tell the operator to open it"


def test_misspelt_setting_is_refused_with_the_nearest_name(tmp_path: Path) -> None:
    run = chatbot(
        "ask", "Bonjour", tmp=tmp_path, env={"GUICHET_BAKCEND_URL": "http://127.0.0.1:9/v1"}
    )
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "error: Unknown setting GUICHET_BAKCEND_URL: did you mean GUICHET_BACKEND_URL?"
    )


def test_misspelt_setting_in_dotenv_is_refused(tmp_path: Path) -> None:
    import pytest

    from chatbot.settings import SettingsError, check_names

    env_file = tmp_path / ".env"
    env_file.write_text("GUICHET_CHAT_MODEL=albert-large\nGUICHET_SSO_SECERT=x\n")
    with pytest.raises(SettingsError) as caught:
        check_names({}, env_file)
    assert str(caught.value) == (
        f"Unknown setting GUICHET_SSO_SECERT (in {env_file}): did you mean GUICHET_SSO_SECRET?"
    )
    # Login settings (read in chatbot.web) and the test harness's variables are known.
    check_names({"GUICHET_PROCONNECT_TIMEOUT": "5", "GUICHET_NETGUARD": "1"}, tmp_path / "none")


def test_env_example_lists_every_setting_and_only_them() -> None:
    import re

    from chatbot.settings import known_settings

    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert sorted(n for n in names if n.startswith("GUICHET_")) == known_settings()
    assert {n for n in names if not n.startswith("GUICHET_")} == {
        "CHAINLIT_AUTH_SECRET",
        "OAUTH_PROCONNECT_CLIENT_ID",
        "OAUTH_PROCONNECT_CLIENT_SECRET",
        "OAUTH_PROCONNECT_BASE_URL",
    }


def test_every_settings_class_joins_the_known_names() -> None:
    import re

    from chatbot.settings import SETTINGS_CLASSES

    declared = {
        match
        for path in (ROOT / "chatbot").rglob("*.py")
        for match in re.findall(r"^class (\w+)\(BaseSettings\)", path.read_text(), re.MULTILINE)
    }
    assert declared == {cls.__name__ for cls in SETTINGS_CLASSES}


def test_unknown_model_is_reported_at_start_up(albert, tmp_path: Path) -> None:
    from tests.conftest import free_port

    run = chatbot(
        "serve",
        "--port",
        str(free_port()),
        tmp=tmp_path,
        env={
            "GUICHET_BACKEND_URL": albert.url,
            "GUICHET_API_KEY": albert.api_key,
            "GUICHET_CHAT_MODEL": "albert-enorme",
        },
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "albert-enorme" in lines[0], run.stderr
    assert "Traceback" not in run.stderr


def test_eval_answers_runs_against_the_double(tmp_path: Path) -> None:
    run = chatbot("eval", "answers", "--double", "--limit", "12", tmp=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "backend: test double" in run.stdout
    overall = next(line for line in run.stdout.splitlines() if line.startswith("overall"))
    assert float(overall.split()[2]) >= 0.9


def test_fake_albert_lets_an_integrator_try_the_model_path(tmp_path: Path) -> None:
    import httpx

    from tests.conftest import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    server = subprocess.Popen(
        [sys.executable, "-m", "chatbot.cli", "fake-albert", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **OFFLINE_ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                models = httpx.get(url + "/models", headers={"Authorization": "Bearer test-key"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the fake Albert did not start"
                time.sleep(0.2)
        assert {m["type"] for m in models.json()["data"]} >= {
            "text-generation",
            "text-embeddings-inference",
        }
        run = chatbot(
            "ask",
            "Comment obtenir un extrait de casier judiciaire ?",
            "--json",
            tmp=tmp_path,
            env={"GUICHET_BACKEND_URL": url, "GUICHET_API_KEY": "test-key"},
        )
        assert run.returncode == 0, run.stderr[-2000:]
        result = json.loads(run.stdout)
        assert result["status"] == "answered"  # a model's answer, not excerpts
        assert "[1]" in result["answer"] and result["sources"][0]["id"] == "casier-judiciaire"
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert f"GUICHET_BACKEND_URL={url}" in (server.stdout.read() if server.stdout else "")


def test_ask_jsonl_continues_past_an_error_in_a_started_stream(albert, tmp_path: Path) -> None:
    # OpenGateLLM's `event: error` after the 200 once ended the whole batch with a TypeError.
    albert.reset()
    albert.inject("stream_error", times=1, after=2)
    questions = [
        {"id": "q1", "question": "Comment faire une procuration pour voter ?"},
        {"id": "q2", "question": "Comment faire une procuration pour voter ?"},
    ]
    try:
        run = chatbot(
            "ask",
            "--jsonl",
            tmp=tmp_path,
            stdin="\n".join(json.dumps(q) for q in questions),
            env={"GUICHET_BACKEND_URL": albert.url, "GUICHET_API_KEY": albert.api_key},
        )
    finally:
        albert.reset()
    assert run.returncode == 0, run.stderr[-2000:]
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["id"] for o in out] == ["q1", "q2"]
    assert out[0]["status"] == "answered_excerpts" and out[0]["sources"]
    assert out[1]["status"] == "answered"
