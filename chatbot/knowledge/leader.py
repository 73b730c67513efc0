"""Exactly one process syncs the knowledge base; the others reload what it wrote.

Two small pieces, shared by every process that serves the same knowledge (the workers of
``chatbot serve --workers N`` on one machine, or instances on several machines):

The lock and the version live where the store lives, so that they cover exactly the
processes that share it (``shared_store``):

- a **Chroma server** (``GUICHET_CHROMA_URL``) with ``GUICHET_POSTGRES_URL``: machines share
  the store, so the lock is a PostgreSQL advisory lock (released when the holder's connection
  ends, even on a crash) keyed on the Chroma URL, and the version a row of the
  ``guichet_knowledge_version`` table;
- otherwise (the embedded store in the data folder, or a Chroma server without PostgreSQL:
  one machine): a ``flock`` on ``<data>/knowledge.lock`` (released by the kernel when the
  holder dies) and the ``<data>/knowledge.version`` file.

- **the sync lock** (``KnowledgeLock``, ``sync_lock``): whoever holds it may write the store.
- **the knowledge version** (``current_version``, ``publish_version``): a token the syncer
  writes after every sync that changed the store. A reader compares it with the version it
  loaded (``VersionCheck.changed()``, a few microseconds for the file, one indexed SELECT
  for PostgreSQL) and reloads when it differs.

Usage::

    with sync_lock(settings, wait=30):        # one-shot writers (``chatbot kb sync``)
        report = await kb.sync()
        publish_version(settings)

    lock = KnowledgeLock(settings)            # a server: the holder is the syncer
    if lock.try_acquire(): ...                # held until lock.release() or process exit
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chatbot.logs import get_logger
from chatbot.settings import Settings

log = get_logger("guichet.knowledge.leader")

# pg_advisory_lock takes a bigint: "guichetk" in ASCII, so no other application collides,
# mixed with the Chroma URL so that two deployments on one database do not share a lock.
ADVISORY_BASE = int.from_bytes(b"guichetk", "big")


def shared_store(settings: Settings) -> bool:
    """Whether the store is shared across machines (a Chroma server and PostgreSQL)."""
    return bool(settings.postgres_url and settings.chroma_url)


def advisory_key(settings: Settings) -> int:
    import hashlib

    digest = int.from_bytes(hashlib.sha256(settings.chroma_url.encode()).digest()[:8], "big")
    return (ADVISORY_BASE ^ digest) & 0x7FFF_FFFF_FFFF_FFFF


VERSION_TABLE = "guichet_knowledge_version"
LOCK_FILE = "knowledge.lock"
VERSION_FILE = "knowledge.version"


class LockBusy(Exception):
    """Another process holds the knowledge sync lock."""


class KnowledgeLock:
    """The knowledge sync lock of one process (not re-entrant; one holder per object)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._fd: int | None = None
        self._conn: Any = None  # the PostgreSQL session that holds the advisory lock
        self._guard = threading.Lock()

    @property
    def kind(self) -> str:
        return "postgres" if shared_store(self.settings) else "file"

    @property
    def held(self) -> bool:
        return self._fd is not None or self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        with self._guard:
            if self.held:
                return True
            if shared_store(self.settings):
                return self._try_postgres()
            return self._try_file()

    def acquire(self, wait: float | None = None, poll: float = 0.2) -> None:
        """Take the lock, waiting up to ``wait`` seconds (None: forever); else ``LockBusy``."""
        deadline = None if wait is None else time.monotonic() + wait
        while not self.try_acquire():
            if deadline is not None and time.monotonic() >= deadline:
                raise LockBusy(
                    f"another process holds the knowledge sync lock ({self.kind}); "
                    "a running server syncs the knowledge folder itself"
                )
            time.sleep(poll)

    def release(self) -> None:
        with self._guard:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None
            if self._conn is not None:
                try:
                    key = advisory_key(self.settings)
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                except Exception:  # the session is gone: so is its lock
                    pass
                finally:
                    self._conn.close()
                    self._conn = None

    def still_held(self) -> bool:
        """Whether the lock is really still ours (a PostgreSQL restart drops it)."""
        if self._conn is None:
            return self._fd is not None
        try:
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND granted",
            ).fetchone()
            return bool(row and row[0])
        except Exception:
            self.release()
            return False

    def _try_file(self) -> bool:
        path = lock_path(self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.set_inheritable(fd, False)  # a worker started by the holder must not inherit it
        self._fd = fd
        return True

    def _try_postgres(self) -> bool:
        import psycopg

        conn = psycopg.connect(self.settings.postgres_url, autocommit=True, connect_timeout=5)
        try:
            key = advisory_key(self.settings)
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        except BaseException:
            conn.close()
            raise
        if not (row and row[0]):
            conn.close()
            return False
        self._conn = conn
        return True

    def __enter__(self) -> KnowledgeLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextmanager
def sync_lock(settings: Settings, *, wait: float | None = None) -> Iterator[KnowledgeLock]:
    """Hold the knowledge sync lock for the block (``LockBusy`` after ``wait`` seconds)."""
    lock = KnowledgeLock(settings)
    lock.acquire(wait)
    try:
        yield lock
    finally:
        lock.release()


# --- the knowledge version ------------------------------------------------------------------


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / LOCK_FILE


def version_path(settings: Settings) -> Path:
    return settings.data_dir / VERSION_FILE


def _pg_create(conn: Any) -> None:
    import psycopg

    try:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
            "(store text PRIMARY KEY, version text NOT NULL, changed_at timestamptz NOT NULL)"
        )
    except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
        pass  # another process created it at the same moment


def _pg_version(conn: Any, store: str) -> str:
    import psycopg

    try:
        row = conn.execute(
            f"SELECT version FROM {VERSION_TABLE} WHERE store = %s", (store,)
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        return ""  # nothing published yet
    return str(row[0]) if row else ""


def current_version(settings: Settings) -> str:
    """The version the syncer last published ("" if none yet)."""
    if shared_store(settings):
        import psycopg

        with psycopg.connect(settings.postgres_url, autocommit=True, connect_timeout=5) as conn:
            return _pg_version(conn, settings.chroma_url)
    try:
        return version_path(settings).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def publish_version(settings: Settings) -> str:
    """Write a new version (call it once the store holds a complete new state)."""
    version = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
    if shared_store(settings):
        import psycopg

        with psycopg.connect(settings.postgres_url, autocommit=True, connect_timeout=5) as conn:
            _pg_create(conn)
            conn.execute(
                f"INSERT INTO {VERSION_TABLE} (store, version, changed_at) "
                "VALUES (%s, %s, now()) ON CONFLICT (store) DO UPDATE "
                "SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at",
                (settings.chroma_url, version),
            )
    else:
        path = version_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(version, encoding="utf-8")
        os.replace(tmp, path)  # readers see the old or the new version, never half of one
    log.info("kb_version_published", version=version)
    return version


class VersionCheck:
    """A reader's cheap "has the syncer published a new version?" (one per process).

    Keeps its PostgreSQL connection between checks (reconnects after an outage); a check
    that fails says "no change", so an outage never makes a reader drop what it serves.
    """

    def __init__(self, settings: Settings, loaded: str | None = None) -> None:
        self.settings = settings
        self.loaded = current_version(settings) if loaded is None else loaded
        self._conn: Any = None

    def peek(self) -> str | None:
        """The published version, or None when it cannot be read right now."""
        if not shared_store(self.settings):
            try:
                return version_path(self.settings).read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                return ""
            except OSError:
                return None
        import psycopg

        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(
                    self.settings.postgres_url, autocommit=True, connect_timeout=5
                )
            return _pg_version(self._conn, self.settings.chroma_url)
        except psycopg.Error:
            self.close()
            return None

    def changed(self) -> str | None:
        """The new version if it differs from the loaded one, else None."""
        seen = self.peek()
        return seen if seen is not None and seen != self.loaded else None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
