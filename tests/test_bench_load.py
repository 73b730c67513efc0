"""The load benchmark's parts: the socket.io client it shares with the tests, the batched
token stream the browser gets, and the double's model pace."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from chatbot.batching import TokenBatcher
from chatbot.bench.cluster import port_open
from chatbot.fake_albert import FakeAlbert
from chatbot.fake_albert.model import tokens
from tests.chat_client import Chat, anonymous_cookie
from tests.conftest import ROOT

QUESTION = "Comment refaire ma carte d'identité ?"


async def test_the_shared_client_runs_a_real_server_turn(app_server, double) -> None:
    """Anonymous login as the browser does it, then one turn over socket.io."""
    cookie = await anonymous_cookie(app_server.url)
    assert "access_token" in cookie
    chat = await Chat.open(app_server.url, cookie=cookie)
    try:
        turn = await chat.turn(QUESTION)
    finally:
        await chat.close()
    assert turn.step["metadata"]["status"] == "answered"
    assert "[1]" in turn.step["output"]  # the double's grounded answer, cited
    assert turn.first_token_s is not None and 0 < turn.first_token_s <= turn.total_s
    assert not chat.disconnected
    assert any("/v1/chat/completions" in path for path in double.paths())


async def test_tokens_reach_the_browser_batched_and_whole(app_server, double) -> None:
    """At 200 tokens/s (0.4 s of answer) the browser gets far fewer socket messages than
    tokens, and what it was streamed is the whole checked answer it keeps."""
    double.tokens_per_second = 200
    double.answer_tokens = 80
    chat = await Chat.open(app_server.url, cookie=await anonymous_cookie(app_server.url))
    try:
        turn = await chat.turn(QUESTION)
    finally:
        await chat.close()
    streamed = "".join(turn.tokens).strip()
    answer = turn.step["output"].split("\n\n")[0]  # the answer, before the sources list
    assert streamed == answer
    assert len(tokens(streamed)) >= 80
    assert 2 <= len(turn.tokens) <= 80 / 4  # 0.4 s of stream, one message per 100 ms


def test_batcher_sends_at_most_one_message_per_interval_and_drops_on_reset() -> None:
    now = [0.0]
    batch = TokenBatcher(0.05, clock=lambda: now[0])
    assert batch.add("Bon") == "Bon"  # the first token at once
    now[0] = 0.01
    assert batch.add("jour") == ""
    now[0] = 0.02
    assert batch.add(" à") == ""
    now[0] = 0.06
    assert batch.add(" vous") == "jour à vous"
    now[0] = 0.07
    assert batch.add(" secret") == ""
    batch.drop()  # the stream so far is withdrawn: held text is never sent
    assert batch.take() == ""
    now[0] = 0.08
    assert batch.add(" fin") == ""
    assert batch.take() == " fin"


def test_the_double_paces_every_chat_call_like_a_model() -> None:
    with FakeAlbert() as albert:
        albert.first_token = 0.2
        albert.tokens_per_second = 100
        albert.answer_tokens = 40
        headers = {"Authorization": f"Bearer {albert.api_key}"}
        classify = {
            "model": "albert-large",
            "messages": [
                {"role": "system", "content": "CLASSIFIER: safe or unsafe?"},
                {"role": "user", "content": "Bonjour"},
            ],
        }
        started = time.perf_counter()
        reply = httpx.post(albert.url + "/chat/completions", json=classify, headers=headers)
        assert time.perf_counter() - started >= 0.2  # not streamed, still the first token's wait
        assert reply.json()["choices"][0]["message"]["content"] == "safe"
        answer = {
            "model": "albert-large",
            "stream": True,
            "messages": [{"role": "user", "content": "<source>Le délai est court.</source>"}],
        }
        with httpx.stream(
            "POST", albert.url + "/chat/completions", json=answer, headers=headers
        ) as stream:
            lines = [line for line in stream.iter_lines() if '"content"' in line]
        assert len(lines) - 1 == 40  # the role chunk, then an answer padded to 40 tokens
        spent = httpx.get(albert.url.removesuffix("/v1") + "/double/model-time").json()
        assert spent["classifier"] == [1, pytest.approx(0.2)]
        assert spent["answer"] == [1, pytest.approx(0.2 + 39 / 100)]


def test_bench_load_prints_its_figures() -> None:
    """A short library run against a fast double: every figure is printed, no error."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatbot.cli",
            "bench",
            "load",
            "-n",
            "2",
            "--think",
            "0",
            "--turns",
            "4",
            "--through",
            "library",
            "--first-token-ms",
            "20",
            "--tokens-per-second",
            "2000",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "turns 4 " in out.stdout and "errors 0  disconnects 0" in out.stdout
    for figure in ("time to first token", "added latency", "CPU per turn", "peak RSS"):
        assert figure in out.stdout


def _bench(tmp_path, *args: str) -> str:
    """A tiny run against a fast double; its temporary files under ``tmp_path`` (TMPDIR), so
    any process it left behind can be found by that path."""
    out = subprocess.run(
        [sys.executable, "-m", "chatbot.cli", "bench", "load", "--think", "0",
         "--first-token-ms", "20", "--tokens-per-second", "2000", *args],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=1500,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out.stdout


def _left_behind(tmp_path) -> list[str]:
    """Processes whose command line or environment mention the run's folder."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if str(tmp_path).encode() in text:
            found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def test_bench_load_through_the_api_continues_each_conversation(tmp_path) -> None:
    """Three conversations of two turns through POST /v1/chat/completions (streamed): the
    follow-ups are sent with the conversation id the API gave, and all are answered."""
    stdout = _bench(tmp_path, "-n", "3", "--turns", "6", "--through", "api")
    assert "through api" in stdout
    assert "turns 6 " in stdout and "errors 0  disconnects 0" in stdout
    assert "CPU per turn" in stdout and "not measured" not in stdout
    assert not _left_behind(tmp_path)


@pytest.mark.postgres
@pytest.mark.timeout(1800)
def test_bench_load_through_nginx_spreads_over_two_instances(tmp_path) -> None:
    """Through the shipped nginx config in front of two instances: no error, turns answered
    on both instances, and nothing the run started is still running afterwards."""
    from chatbot.bench.cluster import missing

    if problem := missing():
        pytest.skip(problem)
    if not port_open(5432):
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    stdout = _bench(tmp_path, "-n", "12", "--turns", "24", "--through", "nginx")
    assert "turns 24 " in stdout and "errors 0  disconnects 0" in stdout
    spread = re.findall(r"instance \S+: (\d+) turns, (\d+) conversations", stdout)
    assert len(spread) == 2, stdout
    assert all(int(turns) > 0 for turns, _ in spread), stdout  # both instances served turns
    assert sum(int(turns) for turns, _ in spread) == 24
    assert not _left_behind(tmp_path)
