"""What a process builds once and every turn shares: backend client, knowledge base,
flows and their compiled graphs, and the checkpointer that gives conversations memory."""

from __future__ import annotations

import asyncio
import re
import secrets
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from chatbot.backend import Backend
from chatbot.flows.graph import build_graph
from chatbot.flows.schema import Flow, FlowProblem, load_flows
from chatbot.knowledge import KnowledgeBase
from chatbot.knowledge.shared import SharedKnowledge
from chatbot.logs import get_logger
from chatbot.privacy import Pseudonymiser, get_analyzer
from chatbot.roles import Role
from chatbot.settings import Settings
from chatbot.store.memory import MemoryRegistry

log = get_logger("guichet.services")


SWEEP_EVERY_S = 300.0


class FlowAccessError(Exception):
    """The flow does not exist or the caller's role may not use it."""


@dataclass
class Services:
    settings: Settings
    backend: Backend | None
    knowledge: SharedKnowledge
    flows: dict[str, Flow]
    problems: list[FlowProblem]
    graphs: dict[str, Any]
    checkpointer: Any
    memory: MemoryRegistry
    # Planted in every system prompt; an answer that contains it leaked the instructions.
    canary: str = field(default_factory=lambda: "GX-" + secrets.token_hex(6))
    # Agents' own documents (chatbot.documents), shared by the chat and the HTTP API.
    documents: Any = None
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _sweeper: asyncio.Task | None = None

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        verify: bool = True,
        sync: bool = True,
        watch: bool = False,
        sweep: bool = False,
    ) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Load the privacy analyser (spaCy + Presidio) now, not during the first user's turn.
        await asyncio.to_thread(get_analyzer)
        backend = Backend(settings) if settings.has_backend else None
        if backend is not None and verify:
            await backend.verify()  # a wrong URL, key or model name stops start-up in one line
        elif backend is not None:
            await backend.discover()  # aliases and the embedding space, without failing
        # Synced here only if this process gets the sync lock (chatbot.knowledge.leader); a
        # server keeps it and stays the syncer, other processes reload what it publishes.
        knowledge = SharedKnowledge(settings, backend)
        await knowledge.open(sync=sync, hold=watch)
        flows, problems = load_flows(settings.flows_dir)
        for problem in problems:
            log.error("flow_skipped", problem=str(problem))
        stack = AsyncExitStack()
        checkpointer = await stack.enter_async_context(open_checkpointer(settings))
        memory = MemoryRegistry(settings, checkpointer)
        stack.push_async_callback(memory.aclose)
        await memory.setup()
        graphs = {name: build_graph(flow, checkpointer) for name, flow in flows.items()}
        from chatbot.documents import Documents

        kb = knowledge.kb  # the documents keep this Chroma client and embedders across reloads
        documents = Documents(
            settings,
            kb.client,
            kb.embedders,
            allow_list=[*settings.privacy_allow_list, *knowledge_terms(kb)],
        )
        documents.backend = backend  # OCR of scanned PDFs, when the operator allows it
        services = cls(
            settings,
            backend,
            knowledge,
            flows,
            problems,
            graphs,
            checkpointer,
            memory,
            documents=documents,
            _stack=stack,
        )
        if watch:
            knowledge.start(watch=settings.watch_knowledge)
        if sweep:
            services._sweeper = asyncio.create_task(services._sweep_forever())
        log.info(
            "services_ready",
            flows=sorted(flows),
            backend=bool(backend),
            mode="model" if backend else "excerpts",
        )
        return services

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base this process serves now (a reader swaps in new versions)."""
        assert self.knowledge.kb is not None
        return self.knowledge.kb

    def flow_for(self, name: str | None, role: str | None) -> Flow:
        """The flow a caller asked for, if their role allows it; else an error."""
        flow = self.flows.get(name or "citizen")
        if flow is None or not flow.allows(role):
            raise FlowAccessError(f"flow {name!r} is not available for role {role or 'citizen'!r}")
        return flow

    def privacy(self) -> Pseudonymiser:
        """A new privacy gate for one conversation (its placeholder mapping lives in memory).

        Proper nouns in fiche titles, headings and tags (tool names such as "Rhéa", places
        such as "Valmont") are never masked: they are the words answers depend on.
        """
        return Pseudonymiser([*self.settings.privacy_allow_list, *knowledge_terms(self.kb)])

    def flows_for(self, role: str | None) -> list[Flow]:
        return [flow for flow in self.flows.values() if flow.allows(role)]

    def offered_flows(self, role: str | None) -> list[Flow]:
        """The flows a caller of this role is offered, in the chat (profiles) and the API
        (models): on a ``public`` instance, only flows made for citizens."""
        flows = self.flows_for(role)
        if self.settings.instance == "public":
            flows = [f for f in flows if Role.citizen in f.roles]
        return flows

    async def _sweep_forever(self, every_s: float = SWEEP_EVERY_S) -> None:
        """Delete citizens' memories left behind (see ``chatbot.store.memory``)."""
        while True:
            try:
                await self.memory.sweep()
            except Exception as exc:  # an outage: the next round retries
                log.warning("memory_sweep_failed", error=type(exc).__name__)
            await asyncio.sleep(every_s)

    async def aclose(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        await self.knowledge.aclose()
        await self._stack.aclose()
        if self.backend is not None:
            await self.backend.aclose()


_PROPER_NOUN = re.compile(r"\b[A-ZÀ-Ý][\wÀ-ÿ'-]{3,}")


def knowledge_terms(kb: KnowledgeBase) -> tuple[str, ...]:
    """Capitalised words of the fiches' titles, headings and tags, sorted (a stable cache key)."""
    terms: set[str] = set()
    for chunk in kb.chunks.values():
        terms.update(_PROPER_NOUN.findall(f"{chunk.title} {chunk.heading} {chunk.tags}"))
    return tuple(sorted(terms))


def open_checkpointer(settings: Settings) -> Any:
    """SQLite in the data folder by default; PostgreSQL when configured."""
    if settings.postgres_url:
        return _PostgresSaver(settings.postgres_url)
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    return _setup(AsyncSqliteSaver.from_conn_string(str(settings.sqlite_path)))


# The types a turn's state holds besides plain data (``chatbot.flows.state.TurnState``).
CHECKPOINT_TYPES = (
    ("chatbot.knowledge.models", "Hit"),
    ("chatbot.knowledge.models", "Source"),
    ("chatbot.knowledge.models", "SourceLink"),
    ("chatbot.flows.status", "Status"),
)


def checkpoint_serde() -> Any:
    """LangGraph's serializer, restricted to the types our state holds.

    By default it imports and builds whatever class a checkpoint names (with a warning that
    a future version will refuse): whoever can write to the checkpoint tables could make
    every instance run a constructor of their choice when it reads that conversation.
    """
    from langgraph.checkpoint.serde.base import maybe_add_typed_methods
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return maybe_add_typed_methods(
        JsonPlusSerializer(allowed_msgpack_modules=list(CHECKPOINT_TYPES))
    )


SETUP_LOCK = 0x47554943484554  # PostgreSQL advisory lock key: creating the checkpoint tables


class _PostgresSaver:
    """An ``AsyncPostgresSaver`` on a pool that survives a database restart.

    ``from_conn_string`` holds one connection for the life of the process: once PostgreSQL
    restarts, every turn fails until the app restarts. The pool checks each connection before
    lending it and replaces broken ones in the background, so turns work again as soon as the
    database is back. A turn during the outage waits at most ``timeout`` seconds for a
    connection, then fails with a storage error (``chatbot.threads`` tells the user).
    """

    def __init__(self, url: str, *, max_size: int = 10, timeout: float = 5.0) -> None:
        self.url = url
        self.max_size = max_size
        self.timeout = timeout
        self.pool: Any = None

    async def __aenter__(self) -> Any:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        self.pool = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self.max_size,
            timeout=self.timeout,
            # What AsyncPostgresSaver.from_conn_string sets on its one connection.
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            check=AsyncConnectionPool.check_connection,
            open=False,
        )
        try:
            await self.pool.open(wait=True, timeout=30)  # a wrong URL stops start-up
            saver = AsyncPostgresSaver(self.pool, serde=checkpoint_serde())
            # Instances starting together on a new database raced on CREATE TABLE (a
            # UniqueViolation on pg_type stopped one of them): one creates, the others wait.
            # The others poll with a try-lock rather than block in pg_advisory_lock: a session
            # blocked in a statement would stall the setup's CREATE INDEX CONCURRENTLY.
            async with self.pool.connection() as conn:
                while not (
                    await (
                        await conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (SETUP_LOCK,))
                    ).fetchone()
                )["ok"]:
                    await asyncio.sleep(0.2)
                try:
                    await saver.setup()
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
        except BaseException:
            await self.pool.close()
            raise
        return saver

    async def __aexit__(self, *exc: object) -> None:
        if self.pool is not None:
            await self.pool.close()


class _setup:
    """Enter a saver's context and create its tables."""

    def __init__(self, manager: Any) -> None:
        self.manager = manager

    async def __aenter__(self) -> Any:
        saver = await self.manager.__aenter__()
        saver.serde = checkpoint_serde()  # from_conn_string takes no serializer
        await saver.setup()
        return saver

    async def __aexit__(self, *exc: object) -> None:
        await self.manager.__aexit__(*exc)
