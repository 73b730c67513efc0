"""Structured logging. Logs carry ids, counts, timings and entity types, never message text."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

# Fields every log line of this process carries (a worker's index and pid).
_PROCESS_FIELDS: dict[str, object] = {}


def bind_process(**fields: object) -> None:
    """Add FIELDS to every log line of this process (``serve --workers``: which worker)."""
    _PROCESS_FIELDS.update(fields)


def _add_process_fields(_: object, __: str, event: dict) -> dict:
    for key, value in _PROCESS_FIELDS.items():
        event.setdefault(key, value)
    return event


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    # Plain tracebacks only: rich tracebacks print local variables, which hold message text.
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_process_fields,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *([structlog.processors.format_exc_info] if fmt == "json" else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        # Resolve sys.stderr at each call, not once: it may be swapped (tests, daemons).
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


@contextmanager
def timed(timings: dict[str, float], step: str) -> Iterator[None]:
    """Record how long a step took, in milliseconds, into ``timings[step]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = round((time.perf_counter() - start) * 1000, 1)
