"""``chatbot bench startup``: how long ``chatbot serve`` takes to answer, and at what CPU cost.

It starts ``chatbot serve`` the way an operator does, on a free port and the data folder of
the settings (index it first: ``chatbot kb sync``), and measures from the command's launch:

- **http**: the first HTTP 200 on ``/`` (the page a visitor opens);
- **services**: every worker's services built (the privacy model, the knowledge base, the
  flows: the first answer can start), read from the ``services_ready`` log line;
- **cpu**: CPU seconds the server's processes used until then (user + system, all workers).
  On a shared machine wall times vary with the load; CPU seconds much less.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its living descendants, from /proc."""
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def measure_once(root: Path, workers: int | None, timeout: float = 180) -> dict[str, float]:
    port = _free_port()
    command = [sys.executable, "-m", "chatbot.cli", "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    env = {**os.environ, "GUICHET_LOG_FORMAT": "json", "PYTHONPATH": str(root)}
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        figures: dict[str, float] = {}
        try:
            expected = workers or 1
            with httpx.Client(timeout=2) as client:
                while time.perf_counter() - started < timeout:
                    if proc.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"chatbot serve exited:\n{log.read()[-3000:]}")
                    now = time.perf_counter() - started
                    if "http" not in figures:
                        try:
                            if client.get(f"http://127.0.0.1:{port}/").status_code == 200:
                                figures["http"] = now
                                figures["cpu_http"] = _cpu_seconds(proc.pid)
                        except httpx.HTTPError:
                            pass
                    log.seek(0)
                    ready = log.read().count('"services_ready"')
                    if ready >= expected and "services" not in figures:
                        figures["services"] = now
                        figures["cpu_services"] = _cpu_seconds(proc.pid)
                    if len(figures) == 4:
                        return figures
                    time.sleep(0.02)
            raise RuntimeError(f"chatbot serve not ready after {timeout:.0f} s: {figures}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def run_startup_bench(root: Path, runs: int, workers: int | None) -> int:
    results = []
    for i in range(runs):
        figures = measure_once(root, workers)
        results.append(figures)
        print(
            f"run {i + 1}: first 200 on / {figures['http']:.2f} s "
            f"(cpu {figures['cpu_http']:.2f} s); services ready {figures['services']:.2f} s "
            f"(cpu {figures['cpu_services']:.2f} s)",
            flush=True,
        )
    summary = {key: round(statistics.median(r[key] for r in results), 2) for key in results[0]}
    print(
        f"median of {runs}, workers={workers or 'default'}: first 200 on / "
        f"{summary['http']:.2f} s (cpu {summary['cpu_http']:.2f} s), services ready "
        f"{summary['services']:.2f} s (cpu {summary['cpu_services']:.2f} s)"
    )
    print(json.dumps({"workers": workers, **summary}))
    return 0
