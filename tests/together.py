"""Processes released at the same instant, as workers starting together are."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_together(code: str, args: list[str], count: int, go: Path) -> list[str]:
    """Run COUNT processes of ``python -c CODE ARGS... GO`` released at the same instant,
    as workers starting together do; their outputs.

    CODE imports what it needs, then calls ``tests.conftest.wait_for_go(sys.argv[-1])``.
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, *args, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(count)
    ]
    deadline = time.monotonic() + 120
    while len(list(go.parent.glob(go.name + ".ready-*"))) < count:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            break  # one died while importing: its error is asserted below
        time.sleep(0.05)
    go.touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
        outputs.append(out)
    return outputs


def wait_for_go(go: str) -> None:
    """In a process of :func:`run_together`: say it is ready, then wait for the start."""
    Path(f"{go}.ready-{os.getpid()}").touch()
    while not Path(go).exists():
        time.sleep(0.002)
