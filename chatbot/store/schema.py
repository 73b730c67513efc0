"""The conversation database: its tables, its engine and its timestamps.

The schema holds every column Chainlit 2.12's SQLAlchemy data layer writes (Chainlit does not
create it); all ids, timestamps and JSON are TEXT on both engines because Chainlit binds them
as strings and reads some back with ``json.loads`` or ``LIKE``. SQLite by default, PostgreSQL
when ``GUICHET_POSTGRES_URL`` is set.

    async with open_engine(database_url(settings)) as engine:   # schema in place
        ...
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, Table, Text, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from chatbot.settings import Settings

metadata_obj = MetaData()

users = Table(
    "users",
    metadata_obj,
    Column("id", Text, primary_key=True),
    Column("identifier", Text, nullable=False, unique=True),
    Column("metadata", Text, nullable=False, server_default="{}"),
    Column("createdAt", Text),
)

threads = Table(
    "threads",
    metadata_obj,
    Column("id", Text, primary_key=True),
    Column("createdAt", Text),
    Column("name", Text),
    Column("userId", Text),
    Column("userIdentifier", Text),
    Column("tags", Text),  # JSON list
    Column("metadata", Text),  # JSON object
    Index("ix_threads_userId", "userId"),
    Index("ix_threads_userIdentifier", "userIdentifier"),
)

# Every key of ``StepDict`` that Chainlit writes (Step.to_dict and Message.to_dict); not
# ``feedback`` (its own table) nor ``icon`` (moved into metadata by Step.to_dict).
steps = Table(
    "steps",
    metadata_obj,
    Column("id", Text, primary_key=True),
    Column("name", Text),
    Column("type", Text),
    Column("threadId", Text, nullable=False),
    Column("parentId", Text),
    Column("command", Text),
    Column("modes", Text),  # JSON object
    Column("streaming", Boolean),
    Column("waitForAnswer", Boolean),
    Column("isError", Boolean),
    Column("metadata", Text),  # JSON object; Chainlit finds favourites with LIKE, so TEXT
    Column("tags", Text),  # JSON list
    Column("input", Text),
    Column("output", Text),
    Column("createdAt", Text),
    Column("start", Text),
    Column("end", Text),
    Column("generation", Text),  # JSON object
    Column("showInput", Text),  # Chainlit stores str(bool).lower() or a language name
    Column("defaultOpen", Boolean),
    Column("autoCollapse", Boolean),
    Column("language", Text),
    Index("ix_steps_threadId", "threadId"),
)

elements = Table(
    "elements",
    metadata_obj,
    Column("id", Text, primary_key=True),
    Column("threadId", Text),
    Column("type", Text),
    Column("url", Text),
    Column("chainlitKey", Text),
    Column("name", Text),
    Column("display", Text),
    Column("objectKey", Text),
    Column("size", Text),
    Column("page", Integer),
    Column("language", Text),
    Column("forId", Text),
    Column("mime", Text),
    Column("props", Text),  # JSON object; get_element() json.loads it, so TEXT
    Column("autoPlay", Boolean),
    Column("playerConfig", Text),  # JSON object
    Index("ix_elements_threadId", "threadId"),
    Index("ix_elements_objectKey", "objectKey"),
)

feedbacks = Table(
    "feedbacks",
    metadata_obj,
    Column("id", Text, primary_key=True),
    Column("forId", Text, nullable=False),
    Column("threadId", Text),
    Column("value", Integer, nullable=False),
    Column("comment", Text),
    Column("createdAt", Text),  # ours: Chainlit's Feedback has no date; the report needs one
    Index("ix_feedbacks_forId", "forId"),
)

# Citizens' anonymous signals for editors. Deliberately no user, thread, step or turn id:
# nothing here may link a row to a person or a conversation. The time is kept to the hour
# for the same reason (logs carry thread ids and precise times).
signals = Table(
    "guichet_signals",
    metadata_obj,
    Column("id", Text, primary_key=True),
    Column("createdAt", Text, nullable=False),  # UTC, Chainlit's format, truncated to the hour
    Column("flow", Text),
    Column("kind", Text, nullable=False),  # "feedback" | "unanswered"
    Column("status", Text),  # the turn's named status
    Column("value", Integer),  # feedback: 1 up, 0 down; unanswered: null
    Column("question", Text),  # pseudonymised
    Column("comment", Text),  # pseudonymised
    Column("sources", Text),  # JSON list of cited fiche ids (kind "cited")
    Index("ix_guichet_signals_kind_createdAt", "kind", "createdAt"),
)

# Which conversation memory (LangGraph checkpoints) a session may use, decided on the server:
# ``key`` is the checkpointer's thread id, made by the server and never sent to a browser. A
# citizen's key lives for one visit; an agent's is tied to their own stored thread. Retention
# finds every checkpoint through this table (by age, by user, by thread).
memory = Table(
    "guichet_memory",
    metadata_obj,
    Column("key", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # "citizen" | "agent"
    Column("userIdentifier", Text),  # agents only
    Column("threadId", Text),  # agents only: the Chainlit thread the memory belongs to
    Column("createdAt", Text, nullable=False),
    Column("lastAt", Text, nullable=False),  # last turn: retention and the citizens' sweep
    Index("ix_guichet_memory_owner", "userIdentifier", "threadId"),
    Index("ix_guichet_memory_kind_lastAt", "kind", "lastAt"),
)

# API keys of client systems (``chatbot keys``): the key itself is never stored, only its
# sha256 (a high-entropy random key needs no slow hash). Every request reads its row, so a
# revocation made on one instance is refused by all of them at the next request.
api_keys = Table(
    "guichet_api_keys",
    metadata_obj,
    Column("id", Text, primary_key=True),  # public part of the key, shown by ``keys list``
    Column("name", Text, nullable=False),  # the client system, for the operator
    Column("role", Text, nullable=False),  # the role its callers act as (chatbot.roles)
    Column("digest", Text, nullable=False),  # sha256 hex of the whole key
    Column("createdAt", Text, nullable=False),
    Column("revokedAt", Text),  # set by ``keys revoke``; a revoked key is refused
)

TABLES = {
    table.name: table
    for table in (users, threads, steps, elements, feedbacks, signals, memory, api_keys)
}


def columns_of(table: str) -> set[str]:
    return {column.name for column in TABLES[table].columns}


def database_url(settings: Settings) -> str:
    """SQLAlchemy async URL: PostgreSQL (asyncpg) when configured, else SQLite in data_dir."""
    if settings.postgres_url:
        url = make_url(settings.postgres_url.replace("postgres://", "postgresql://", 1))
        query = dict(url.query)
        # asyncpg knows "ssl", not libpq's "sslmode".
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        url = url.set(drivername="postgresql+asyncpg", query=query)
        return url.render_as_string(hide_password=False)
    return f"sqlite+aiosqlite:///{Path(settings.data_dir).resolve() / 'chainlit.sqlite'}"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine that never puts bound values (user text) into error messages or logs.

    On PostgreSQL, every connection is checked before use (``pool_pre_ping``): after the
    database restarts, the dead connections of the pool are replaced instead of failing.
    """
    is_sqlite = url.startswith("sqlite")
    if not is_sqlite:
        kwargs.setdefault("pool_pre_ping", True)
    if is_sqlite:
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
    engine = create_async_engine(url, hide_parameters=True, **kwargs)
    if is_sqlite:
        # Chainlit writes from many concurrent tasks: WAL lets readers and one writer work
        # together, and the busy timeout waits instead of failing (Chainlit's execute_sql
        # swallows errors, so a "database is locked" would silently lose a message).
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


async def create_tables(engine: AsyncEngine) -> None:
    """Create the missing tables; safe to run at every start."""
    await ensure_tables(engine, metadata_obj, _add_missing_columns)


async def ensure_tables(
    engine: AsyncEngine, metadata: Any, then: Callable[[Any], None] | None = None
) -> None:
    """Create METADATA's missing tables (then run THEN), with other processes at it too.

    Workers and instances start together on a new database, and ``checkfirst`` looks, then
    creates: two processes could both find a table missing and the second fail ("table ...
    already exists"). They take turns: a transaction lock on PostgreSQL, a file lock beside
    the SQLite file (SQLite is only ever shared by processes of one machine).
    """
    async with _sqlite_turn(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        await conn.run_sync(metadata.create_all, checkfirst=True)
        if then is not None:
            await conn.run_sync(then)


@asynccontextmanager
async def _sqlite_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    import asyncio

    from chatbot.filelock import FileLock

    lock = FileLock(f"{path}.schema-lock")
    await asyncio.to_thread(lock.acquire)
    try:
        yield
    finally:
        lock.release()


# Columns added after a table was first created: (table, column). create_all adds tables,
# never columns, so a database made by an older version gets them here.
ADDED_COLUMNS = (("guichet_signals", "sources"),)


def _add_missing_columns(sync_conn: Any) -> None:
    from sqlalchemy import inspect as inspect_db

    inspector = inspect_db(sync_conn)
    for table, column in ADDED_COLUMNS:
        present = {c["name"] for c in inspector.get_columns(table)}
        if column not in present:
            sync_conn.execute(text(f'ALTER TABLE {table} ADD COLUMN "{column}" TEXT'))


@asynccontextmanager
async def open_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``url`` with the schema in place, disposed of on exit (commands, reports)."""
    engine = make_engine(url)
    try:
        await create_tables(engine)
        yield engine
    finally:
        await engine.dispose()


async def create_schema(url: str) -> None:
    """Create the tables Chainlit's SQLAlchemy data layer uses; safe to run at every start."""
    async with open_engine(url):
        pass


def utc_timestamp(moment: datetime | None = None) -> str:
    """Chainlit's timestamp format (``utils.utc_now``): naive UTC ISO with a ``Z``."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def signal_timestamp(moment: datetime | None = None) -> str:
    """A signal's time, to the hour: precise enough for reports and retention, too coarse
    to match a signal with one conversation in the logs."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return utc_timestamp(moment.replace(minute=0, second=0, microsecond=0))


def cutoff_timestamp(days: float) -> str:
    return utc_timestamp(datetime.now(UTC) - timedelta(days=days))


def loads(value: Any, default: Any) -> Any:
    """A JSON column as Python: TEXT holds a JSON string; tolerate what a driver decoded."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return default
    return value


def sql_param(value: Any) -> Any:
    """A value as drivers bind it into a TEXT column: JSON for containers, plain str."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and type(value) is not str:  # Outbound: drivers want a plain str
        return str(value)
    return value
