"""A lock between the processes of one machine: ``flock`` on a file beside what it guards.

For what only this machine's processes share (a SQLite file, an embedded Chroma folder)
and that they may create together: ``serve --workers`` starts its workers at once on a
new data folder. The kernel releases the lock if a process dies holding it.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO, Any


class FileLock:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Wait for the lock (blocking: call it in a thread from async code)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a")  # noqa: SIM115 (closed in release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            handle.close()
            raise
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *_: Any) -> None:
        self.release()
