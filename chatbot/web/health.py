"""``GET /health``, ``GET /ready`` and ``GET /metrics``: what a load balancer, an orchestrator
and a monitoring system ask an instance. Answers are JSON (or Prometheus text) in English,
for operators.

- ``/health``: the process answers HTTP. Nothing else is checked, so that a database outage
  does not make an orchestrator restart every instance (liveness).
- ``/ready``: this instance can serve a turn now: the backend (when configured), the
  conversation database, Chroma, Redis (when it holds the rate-limit counters) and the
  knowledge base loaded. 503 names what is not ready and why (readiness). Each check has a
  short timeout and they run together: the answer comes within ``GUICHET_READY_TIMEOUT``.
  ``?allow=backend,redis`` still reports those two but answers 200 without them.
- ``/metrics``: ``chatbot.metrics`` in the Prometheus text format. When
  ``GUICHET_METRICS_TOKEN`` is set, only a request carrying it as a bearer token gets them.

The routes go ahead of Chainlit's catch-all ``GET /{full_path}`` that serves the UI.
"""

from __future__ import annotations

import asyncio
import hmac
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

import httpx
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatbot import metrics
from chatbot.logs import get_logger
from chatbot.settings import Settings

log = get_logger("guichet.health")

HEALTH_PATH, READY_PATH, METRICS_PATH = "/health", "/ready", "/metrics"
# The storages of the ``limits`` library that are a Redis (or Valkey) server.
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "valkey://", "valkeys://")


class Check(BaseModel):
    ok: bool
    detail: str = ""
    ms: float = 0.0


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, Check]


CheckFn = Callable[[], Awaitable[str]]  # returns a detail when fine, raises when not


async def _timed(name: str, check: CheckFn, timeout: float) -> tuple[str, Check]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), timeout)
        ok = True
    except TimeoutError:
        ok, detail = False, f"no answer within {timeout:g} s"
    except Exception as exc:  # any failure is "not ready"; the reason is for the operator
        ok, detail = False, _reason(exc)
    return name, Check(ok=ok, detail=detail, ms=round((time.perf_counter() - started) * 1000, 1))


def _reason(exc: BaseException) -> str:
    """The exception's type and first line, without a URL that could carry a password."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    for word in text.split():
        if "://" in word and "@" in word:
            text = text.replace(word, "<url>")
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# --------------------------------------------------------------------------- the checks


def backend_check(settings: Settings, timeout: float) -> CheckFn:
    async def check() -> str:
        headers = {}
        if settings.api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(f"{settings.backend_url}/models", headers=headers)
        if response.status_code in (401, 403):
            raise RuntimeError(f"HTTP {response.status_code}: API key refused (GUICHET_API_KEY)")
        if response.status_code >= 400:
            raise RuntimeError(f"HTTP {response.status_code} on GET /models")
        return f"{settings.backend_url} answers"

    return check


_engines: dict[str, Any] = {}


def database_check(settings: Settings) -> CheckFn:
    async def check() -> str:
        from sqlalchemy import text

        from chatbot.store.schema import database_url, make_engine

        url = database_url(settings)
        engine = _engines.get(url)
        if engine is None:  # one small engine per process, reused by every probe
            engine = _engines[url] = make_engine(url, pool_size=1, max_overflow=0)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return "PostgreSQL" if settings.postgres_url else "SQLite"

    return check


def chroma_check(services: Any, settings: Settings, starting: str) -> CheckFn:
    async def check() -> str:
        if services is None:
            raise RuntimeError(f"the knowledge store is not open yet: {starting}")
        client = services.kb.client
        # heartbeat() is a blocking call; in a thread, the timeout above still bounds the probe.
        await asyncio.to_thread(client.heartbeat)
        return f"server {settings.chroma_url}" if settings.chroma_url else "embedded"

    return check


def redis_check(uri: str) -> CheckFn:
    async def check() -> str:
        url = urlparse(uri)
        if url.scheme.endswith("+unix"):
            reader, writer = await asyncio.open_unix_connection(url.path)
        else:
            tls = url.scheme in ("rediss", "valkeys")
            context = ssl.create_default_context() if tls else None
            reader, writer = await asyncio.open_connection(
                url.hostname or "127.0.0.1", url.port or 6379, ssl=context
            )
        try:
            if url.password:
                user = url.username or "default"
                writer.write(_resp("AUTH", user, url.password))
                await _expect_ok(reader, "AUTH")
            writer.write(_resp("PING"))
            await _expect_ok(reader, "PING")
        finally:
            writer.close()
        return url.path if url.scheme.endswith("+unix") else f"{url.hostname}:{url.port or 6379}"

    return check


def _resp(*parts: str) -> bytes:
    """A command in Redis's wire protocol (RESP): no client library needed for a PING."""
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


async def _expect_ok(reader: asyncio.StreamReader, command: str) -> None:
    line = await reader.readline()
    if not line.startswith((b"+OK", b"+PONG")):
        answer = line.decode(errors="replace").strip()[:100] or "connection closed"
        raise RuntimeError(f"{command} answered {answer}")


def knowledge_check(services: Any, starting: str) -> CheckFn:
    async def check() -> str:
        if services is None:
            raise RuntimeError(f"the knowledge base is not loaded yet: {starting}")
        chunks = services.kb.chunks
        if not chunks:
            raise RuntimeError(
                "no fiche loaded (check GUICHET_KNOWLEDGE_DIR and `chatbot kb check`)"
            )
        fiches = len({c.key for c in chunks.values()})
        return f"{fiches} fiches, {len(chunks)} sections"

    return check


def redis_uri() -> str:
    """The Redis that holds shared counters, if one is configured (else no Redis check)."""
    from chatbot.web.auth import get_auth_settings

    storage = get_auth_settings().rate_limit_storage.strip().removeprefix("async+")
    return storage if storage.startswith(REDIS_SCHEMES) else ""


async def readiness(
    services: Any, settings: Settings, allowed: set[str] | None = None, starting: str = ""
) -> Readiness:
    """Every check at once; ``starting`` says why ``services`` is None (still loading...)."""
    starting = starting or "starting"
    timeout = settings.ready_timeout
    checks: dict[str, CheckFn] = {}
    if settings.has_backend:
        checks["backend"] = backend_check(settings, timeout)
    checks["database"] = database_check(settings)
    checks["chroma"] = chroma_check(services, settings, starting)
    uri = redis_uri()
    if uri:
        checks["redis"] = redis_check(uri)
    checks["knowledge"] = knowledge_check(services, starting)
    results = dict(
        await asyncio.gather(*(_timed(name, fn, timeout) for name, fn in checks.items()))
    )
    allowed = allowed or set()
    ready = all(c.ok or name in allowed for name, c in results.items())
    return Readiness(ready=ready, checks=results)


# --------------------------------------------------------------------------- the routes


def install_health_routes(
    app: Any,
    settings: Settings,
    get_services: Callable[[], Any],
    starting: Callable[[], str | None] = lambda: None,
) -> None:
    """Mount the three routes at the head of ``app``'s routes (ahead of Chainlit's).

    ``get_services`` returns the process's ``Services`` or None while they are built (it must
    not wait); ``starting`` says why they are not there (``chatbot.boot.problem``)."""
    if any(getattr(route, "path", None) == HEALTH_PATH for route in app.router.routes):
        return
    token = settings.metrics_token.get_secret_value()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "alive"}, headers={"Cache-Control": "no-store"})

    async def ready(request: Request) -> Response:
        # ?allow=backend,redis: report those but stay ready without them (degraded answers,
        # local rate counting), so that an outage of a shared service does not empty the pool.
        allowed = {name.strip() for name in request.query_params.get("allow", "").split(",")}
        services = get_services()
        why = (starting() or "") if services is None else ""
        result = await readiness(services, settings, allowed, why)
        if not result.ready:
            failing = {name: c.detail for name, c in result.checks.items() if not c.ok}
            log.warning("not_ready", failing=sorted(failing))
        return JSONResponse(
            result.model_dump(),
            status_code=200 if result.ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    async def metrics_route(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return JSONResponse(
                    {"detail": "a bearer token (GUICHET_METRICS_TOKEN) is required"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    routes = ((METRICS_PATH, metrics_route), (READY_PATH, ready), (HEALTH_PATH, health))
    for path, endpoint in routes:
        app.router.routes.insert(0, Route(path, endpoint, methods=["GET"]))
