"""The app runs with its code read-only, as in the container image (read-only root
filesystem): only the data folder, /tmp and Chainlit's ``.files`` folder are writable.

No container runtime here, so the test does what the image does with a Linux mount namespace:
the repository (code, virtualenv, fiches) is remounted read-only for the server's process
alone, ``.files`` gets a writable folder of its own (the image's tmpfs), and the data folder
is outside. It needs root (or user namespaces) for ``unshare``; otherwise it is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from chatbot.fake_albert import FakeAlbert
from tests.conftest import OFFLINE_ENV, ROOT, free_port
from tests.test_health import citizen_chat


def can_unshare_mounts() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    done = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return done.returncode == 0


pytestmark = pytest.mark.skipif(
    not can_unshare_mounts(), reason="needs root and unshare -m (mount namespaces)"
)


async def test_app_serves_with_its_code_read_only(albert: FakeAlbert, tmp_path: Path) -> None:
    # What the image's build step does: Chainlit writes its translations on first import.
    env = {**os.environ, "CHAINLIT_APP_ROOT": str(ROOT)}
    subprocess.run([sys.executable, "-c", "import chainlit.config"], env=env, check=True)
    files = ROOT / ".files"
    files.mkdir(exist_ok=True)  # the image creates it; a tmpfs is mounted over it
    writable = tmp_path / "files"
    writable.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    script = (
        f"mount --bind '{ROOT}' '{ROOT}' && mount -o remount,bind,ro '{ROOT}' "
        f"&& mount --bind '{writable}' '{files}' "
        f"&& ! touch '{ROOT}/.write-probe' 2>/dev/null "  # proof that the code is read-only
        f"&& exec '{sys.executable}' -m chatbot.cli serve --port {port}"
    )
    log_path = tmp_path / "server.log"
    server_env = {
        **os.environ,
        **OFFLINE_ENV,
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": str(tmp_path),
        "GUICHET_DATA_DIR": str(tmp_path / "data"),
        "GUICHET_BACKEND_URL": albert.url,
        "GUICHET_API_KEY": albert.api_key,
        "GUICHET_LOG_FORMAT": "json",
        "GUICHET_PUBLIC_URL": url,
        "GUICHET_ALLOWED_ORIGINS": url,
        "GUICHET_NETGUARD": "1",
        "GUICHET_NETGUARD_LOG": str(tmp_path / "outbound-attempts.log"),
        "PYTHONPATH": f"{ROOT / 'tests' / 'netguard'}{os.pathsep}{ROOT}",
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
            cwd=tmp_path,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 900
        status = 0
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()[-4000:]
            try:
                status = httpx.get(url + "/ready", timeout=5).status_code
                if status == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert status == 200, log_path.read_text()[-4000:]
        assert not (ROOT / ".write-probe").exists()
        chat = await citizen_chat(url)
        try:
            answer = await chat.ask("Comment renouveler ma carte d'identité ?")
        finally:
            await chat.close()
        assert answer["metadata"]["status"].startswith("answered"), answer
        # It wrote where it may: the data folder.
        assert (tmp_path / "data" / "guichet.sqlite").exists()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
