"""``chatbot bench editors``: the time to serve ``/editeurs`` with N stored signals.

A temporary data folder gets a SQLite database filled with N anonymous signals (unanswered,
out of scope, bad ratings and cited fiches over 30 days, their questions made from the
grouping set's paraphrases with varied details, then pseudonymised placeholders), and the
knowledge base of the configured folder (offline). The page is then requested through its
real route (``install_editors`` on a Starlette app, over ASGI with httpx, an editor's signed
session cookie): the first request (grouping from cold) and the next ones (grouping cached
for a minute, as when an editor changes section or reloads).
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

TARGET_S = 1.0


async def fill(settings: object, count: int, seed: int = 7, prefix: str = "bench-") -> None:
    from sqlalchemy import insert

    from chatbot.editors.evaluate import load_set
    from chatbot.store.schema import database_url, open_engine, signal_timestamp, signals

    rng = random.Random(seed)
    base = [item.question for item in load_set()]
    openers = ["", "Bonjour, ", "Bonjour je m'appelle <NOM_1>, ", "svp ", "Madame, "]
    closers = ["", " merci", " ?", " mon numéro est <TEL_1>", " (urgent)", " cordialement"]
    fiches = ["passeport", "carte-identite", "rsa", "apl", "prime-activite", "naturalisation"]
    now = time.time()
    rows = []
    for n in range(count):
        moment = datetime.fromtimestamp(now - rng.random() * 30 * 86400, UTC)
        roll = rng.random()
        question = rng.choice(openers) + rng.choice(base) + rng.choice(closers)
        if roll < 0.6:
            kind, status, value, sources = "unanswered", "no_content", None, None
        elif roll < 0.75:
            kind, status, value, sources = "unanswered", "out_of_scope", None, None
        elif roll < 0.85:
            kind, status, value, sources = "feedback", "answered", 0, None
        else:
            kind, status, value, question = "cited", "answered", None, None
            sources = f'["{rng.choice(fiches)}"]'
        rows.append(
            {
                "id": f"{prefix}{n}",
                "createdAt": signal_timestamp(moment),
                "flow": "citizen",
                "kind": kind,
                "status": status,
                "value": value,
                "question": question,
                "comment": None,
                "sources": sources,
            }
        )
    async with open_engine(database_url(settings)) as engine:  # type: ignore[arg-type]
        async with engine.begin() as conn:
            for start in range(0, len(rows), 2000):
                await conn.execute(insert(signals), rows[start : start + 2000])


async def run_bench(count: int, repeats: int = 5) -> int:
    import os

    import chromadb
    import httpx
    from chainlit.auth import create_jwt
    from chainlit.auth.cookie import _auth_cookie_name
    from starlette.applications import Starlette

    from chatbot.editors.groups import preload
    from chatbot.editors.web import install_editors
    from chatbot.knowledge.base import KnowledgeBase
    from chatbot.logs import configure_logging
    from chatbot.settings import Settings
    from chatbot.web.auth import make_user

    configure_logging("console", "WARNING")
    folder = Path(tempfile.mkdtemp(prefix="guichet-bench-editors-"))
    os.environ.setdefault("CHAINLIT_AUTH_SECRET", "bench-" + os.urandom(16).hex())
    try:
        settings = Settings(_env_file=None, data_dir=folder / "data")  # type: ignore[call-arg]
        started = time.perf_counter()
        await fill(settings, count)
        fill_s = time.perf_counter() - started
        kb = KnowledgeBase(
            settings,
            chromadb.EphemeralClient(settings=chromadb.Settings(anonymized_telemetry=False)),
        )
        await kb.sync()
        begin = time.perf_counter()
        preload()  # as the app does in the background at start
        preload_s = time.perf_counter() - begin
        app = Starlette()
        services = SimpleNamespace(kb=kb, flows={})
        install_editors(app, settings, lambda: services)  # type: ignore[arg-type,return-value]
        from chatbot.roles import Role

        token = create_jwt(make_user("bench-editor", Role.editor, "password"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            client.cookies.set(_auth_cookie_name, token)

            async def timed_get() -> float:
                begin = time.perf_counter()
                response = await client.get("/editeurs?jours=30")
                if response.status_code != 200:
                    raise RuntimeError(f"/editeurs answered {response.status_code}")
                return time.perf_counter() - begin

            cold = await timed_get()
            same = statistics.median([await timed_get() for _ in range(repeats)])
            fresh = []
            for round_ in range(3):
                await fill(settings, 20, seed=100 + round_, prefix=f"new-{round_}-")
                fresh.append(await timed_get())
        print(f"editors' page with {count} signals (filled in {fill_s:.1f} s), offline:")
        print(f"  loading at start (libraries, word vectors; once per process, in the "
              f"background) {preload_s:.1f} s")  # fmt: skip
        print(f"  first request after start (every question analysed) {cold * 1000:.0f} ms")
        print(f"  new signals since the last visit (grouped again)   "
              f"{statistics.median(fresh) * 1000:.0f} ms (median of 3)")  # fmt: skip
        print(f"  nothing new (reload)                               {same * 1000:.0f} ms "
              f"(median of {repeats})")  # fmt: skip
        print(f"  target < {TARGET_S:g} s with new signals: "
              f"{'met' if statistics.median(fresh) < TARGET_S else 'NOT met'}")  # fmt: skip
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
