"""Conversation history for agents: Chainlit's SQLAlchemy data layer, pseudonymised, on
SQLite by default and PostgreSQL when ``GUICHET_POSTGRES_URL`` is set.

    @cl.data_layer
    def data_layer():
        return build_data_layer(get_settings(), privacy_for=lambda: cl.user_session.get("privacy"))

What this adds to Chainlit's ``SQLAlchemyDataLayer``:

- the schema (``create_schema``), which Chainlit does not create, with every column Chainlit
  2.12 writes; all ids, timestamps and JSON are TEXT on both engines because Chainlit binds
  them as strings and reads some back with ``json.loads`` or ``LIKE``;
- only pseudonymised text is stored: step input/output, thread name (Chainlit names a thread
  after the first user message), feedback comments, element text;
- nothing is stored for citizens (role missing, unknown or ``citizen``): their conversation
  lasts for their visit; only anonymous *signals* are kept for editors (``guichet_signals``:
  a rating, or a question left unanswered, with the pseudonymised question and the flow, and
  no user, thread or step id, so nothing links a signal to a person or a conversation);
- elements go to ``LocalStorageClient`` and are never fetched from a URL (no network).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiofiles
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.user import PersistedUser, User
from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    event,
    false,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from chatbot.logs import get_logger
from chatbot.web.storage import LocalStorageClient, StorageKeyError

if TYPE_CHECKING:
    from chainlit.element import Element
    from chainlit.step import StepDict
    from chainlit.types import Feedback, ThreadDict

    from chatbot.privacy import Pseudonymiser
    from chatbot.settings import Settings

log = get_logger("guichet.persistence")

# Roles whose conversations are kept; anything else (none, unknown, "citizen") is a citizen.
STAFF_ROLES = frozenset({"agent", "admin"})
# Keys Chainlit copies from the user session into thread metadata that we never keep: the
# referring page's URL can carry personal query strings, env can carry keys.
DROPPED_METADATA = frozenset({"http_referer", "env"})

# --------------------------------------------------------------------------------- schema

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
    Index("ix_guichet_signals_kind_createdAt", "kind", "createdAt"),
)
SIGNAL_KINDS = ("feedback", "unanswered")
UNANSWERED_STATUSES = ("no_content", "out_of_scope")

TABLES = {table.name: table for table in (users, threads, steps, elements, feedbacks, signals)}


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
    """An engine that never puts bound values (user text) into error messages or logs."""
    is_sqlite = url.startswith("sqlite")
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


async def create_schema(url: str) -> None:
    """Create the tables Chainlit's SQLAlchemy data layer uses; safe to run at every start."""
    engine = make_engine(url)
    try:
        await _create_all(engine)
    finally:
        await engine.dispose()


async def _create_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Several instances starting together must not race on CREATE TABLE.
            await conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        await conn.run_sync(metadata_obj.create_all, checkfirst=True)


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


def role_persists(user: Any) -> bool:
    """Whether this user's conversations are stored: staff only, never citizens."""
    if user is None:
        return False
    meta = getattr(user, "metadata", None)
    return isinstance(meta, Mapping) and meta.get("role") in STAFF_ROLES


# ------------------------------------------------------------------------- pseudonymising

PrivacyFor = Callable[[], "Pseudonymiser | None"]


def pseudonymise(text_value: str, privacy_for: PrivacyFor | None) -> str:
    """Text as it may be stored: through the session's gate, else a throwaway one."""
    if not text_value or not text_value.strip():
        return text_value
    privacy = None
    if privacy_for is not None:
        try:
            privacy = privacy_for()
        except Exception:  # no Chainlit context (HTTP routes): no session mapping
            privacy = None
    if privacy is None:
        from chatbot.privacy import scrub_once

        return str(scrub_once(text_value))
    # The scrub is cached per session: the message the turn already analysed costs nothing.
    return str(privacy.mask_known(str(privacy.clear(text_value))))


def _clean_step_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chainlit's UI puts the page URL in a user message's metadata ("location"): on the
    administration's website (widget) its query string can carry personal data."""
    location = metadata.get("location")
    if isinstance(location, str):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(location)
        metadata = {
            **metadata,
            "location": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        }
    return metadata


def _current_user() -> tuple[bool, Any]:
    """(inside a Chainlit context?, the session's user)."""
    from chainlit.context import ChainlitContextException, context

    try:
        return True, context.session.user
    except ChainlitContextException:
        return False, None


def _json_param(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and type(value) is not str:  # Outbound: drivers want a plain str
        return str(value)
    return value


# ------------------------------------------------------------------------ citizens' signals


async def record_signal(
    engine: AsyncEngine,
    kind: str,
    *,
    flow: str | None,
    status: str | None,
    question: str | None,
    value: int | None = None,
    comment: str | None = None,
    signal_id: str | None = None,
) -> str:
    """Store one anonymous signal (text already pseudonymised); return its id.

    ``signal_id`` makes it an upsert: a citizen who changes their rating updates it.
    """
    if kind not in SIGNAL_KINDS:
        raise ValueError(f"unknown signal kind: {kind!r}")
    signal_id = signal_id or str(uuid.uuid4())
    params = {
        "id": signal_id,
        "createdAt": signal_timestamp(),
        "flow": flow,
        "kind": kind,
        "status": status,
        "value": value,
        "question": _json_param(question),
        "comment": _json_param(comment),
    }
    async with engine.begin() as conn:
        await conn.execute(
            text(
                'INSERT INTO guichet_signals ("id", "createdAt", "flow", "kind", "status", '
                '"value", "question", "comment") VALUES (:id, :createdAt, :flow, :kind, '
                ":status, :value, :question, :comment) "
                'ON CONFLICT ("id") DO UPDATE SET "value" = :value, "comment" = :comment, '
                '"createdAt" = :createdAt'
            ),
            params,
        )
    return signal_id


@dataclass(frozen=True)
class CitizenTurn:
    """What is needed to record a signal about a citizen's turn, and nothing more."""

    question: str | None  # pseudonymised
    flow: str | None
    status: str | None
    # The session's gate while the session lives (for the comment), never kept alive by us.
    privacy: Callable[[], Pseudonymiser | None]
    # One rating per answer: a second rating (or a retry, or a forged request) updates it.
    rating_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class RecentCitizenSteps:
    """Citizens' steps are not stored, yet their ratings arrive later, on another request
    (Chainlit's /feedback route) that only names the rated step. This per-process memory maps
    the last ``size`` run/answer step ids to their turn, least recently used out first.
    Sticky sessions send the rating to the process that saw the turn."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._questions: OrderedDict[str, str | None] = OrderedDict()  # user message id
        self._parents: OrderedDict[str, str] = OrderedDict()  # run step id -> its parent
        self._turns: OrderedDict[str, CitizenTurn] = OrderedDict()  # run/answer step id

    @staticmethod
    def _put(store: OrderedDict[str, Any], key: str, value: Any, size: int) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > size:
            store.popitem(last=False)

    def add_question(self, step_id: str, question: str | None) -> None:
        self._put(self._questions, step_id, question, self.size)

    def add_run(self, step_id: str, parent_id: str) -> None:
        self._put(self._parents, step_id, parent_id, self.size)

    def question_before(self, step_id: str | None) -> str | None:
        """The question of the user message at or above this step (run -> user message)."""
        for _ in range(3):
            if not step_id:
                return None
            if step_id in self._questions:
                return self._questions[step_id]
            step_id = self._parents.get(step_id)
        return None

    def add_turn(self, answer_id: str, parent_id: str | None, turn: CitizenTurn) -> bool:
        """Remember an answer (and its run step, which Chainlit's UI rates); False if this
        answer was seen already (Chainlit writes a step again when it is updated)."""
        previous = self._turns.get(answer_id)
        if previous is not None:
            turn = replace(turn, rating_id=previous.rating_id)
        self._put(self._turns, answer_id, turn, self.size)
        if parent_id:
            self._put(self._turns, parent_id, turn, self.size)
        return previous is None

    def turn(self, step_id: str) -> CitizenTurn | None:
        turn = self._turns.get(step_id)
        if turn is not None:
            self._turns.move_to_end(step_id)
        return turn

    def __len__(self) -> int:
        return len(self._turns)


def _no_privacy() -> None:
    return None


# ------------------------------------------------------------------------------ the layer


class GuichetDataLayer(SQLAlchemyDataLayer):
    def __init__(
        self,
        conninfo: str,
        privacy_for: PrivacyFor | None = None,
        storage_provider: LocalStorageClient | None = None,
        keep_binary_files: bool = False,
        user_thread_limit: int = 1000,
    ) -> None:
        super().__init__(
            conninfo, storage_provider=storage_provider, user_thread_limit=user_thread_limit
        )
        # Chainlit's engine puts bound values into error messages it logs: replace it
        # (engines connect lazily, so nothing was opened yet).
        self.engine = make_engine(conninfo)
        self.async_session = sessionmaker(
            bind=self.engine, expire_on_commit=False, class_=AsyncSession
        )  # type: ignore[call-overload]
        self.privacy_for = privacy_for
        # Binary files (PDF, images) cannot be pseudonymised, so by default they last for
        # the visit only; text elements are stored pseudonymised.
        self.keep_binary_files = keep_binary_files
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()
        self.citizen_steps = RecentCitizenSteps()

    # --- plumbing ------------------------------------------------------------------------

    async def ensure_schema(self) -> None:
        if self._schema_ready:
            return
        async with self._schema_lock:
            if not self._schema_ready:
                await _create_all(self.engine)
                self._schema_ready = True

    async def execute_sql(self, query: str, parameters: dict) -> list[dict[str, Any]] | int | None:
        await self.ensure_schema()
        params = {key: _json_param(value) for key, value in parameters.items()}
        return await super().execute_sql(query, params)

    async def get_current_timestamp(self) -> str:
        # Chainlit's own uses local time labelled "Z"; retention compares with UTC.
        return utc_timestamp()

    def scrub(self, text_value: str) -> str:
        return pseudonymise(text_value, self.privacy_for)

    async def _thread_user_role(self, thread_id: str) -> tuple[bool, bool]:
        """(thread stored?, its owner is staff?)."""
        rows = await self.execute_sql(
            'SELECT t."userId" AS user_id, u."metadata" AS meta FROM threads t '
            'LEFT JOIN users u ON u."id" = t."userId" WHERE t."id" = :id',
            {"id": thread_id},
        )
        if not isinstance(rows, list) or not rows:
            return False, False
        meta = loads(rows[0].get("meta"), {})
        return True, isinstance(meta, dict) and meta.get("role") in STAFF_ROLES

    async def may_write(self, thread_id: str | None) -> bool:
        """Writes happen for staff only. Inside a Chainlit context the session's user decides;
        outside one (Chainlit's HTTP routes) only threads already stored for staff qualify."""
        in_context, user = _current_user()
        if in_context:
            return role_persists(user)
        if not thread_id:
            return False
        stored, staff = await self._thread_user_role(thread_id)
        return stored and staff

    # --- users ---------------------------------------------------------------------------

    async def create_user(self, user: User) -> PersistedUser | None:
        if not role_persists(user):
            # Chainlit wants a PersistedUser back; a citizen gets one that is never written.
            return PersistedUser(
                id=f"visit-{uuid.uuid4()}",
                identifier=user.identifier,
                createdAt=utc_timestamp(),
                metadata=dict(user.metadata),
                display_name=user.display_name,
            )
        return await super().create_user(user)

    # --- threads -------------------------------------------------------------------------

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict | None = None,
        tags: list[str] | None = None,
    ) -> None:
        if not await self.may_write(thread_id):
            return
        if name is not None:
            name = self.scrub(name)
        if metadata is not None:
            metadata = {k: v for k, v in metadata.items() if k not in DROPPED_METADATA}
            if isinstance(metadata.get("name"), str):
                metadata["name"] = self.scrub(metadata["name"])
        await super().update_thread(
            thread_id, name=name, user_id=user_id, metadata=metadata, tags=tags
        )

    async def get_all_user_threads(
        self, user_id: str | None = None, thread_id: str | None = None
    ) -> list[ThreadDict] | None:
        found = await super().get_all_user_threads(user_id=user_id, thread_id=thread_id)
        for thread in found or []:
            # TEXT columns hold JSON: give the UI the lists and objects it expects.
            thread["tags"] = loads(thread.get("tags"), [])
            thread["metadata"] = loads(thread.get("metadata"), {})
            for step in thread.get("steps") or []:
                step["metadata"] = loads(step.get("metadata"), {})
                step["tags"] = loads(step.get("tags"), None)
                step["generation"] = loads(step.get("generation"), None)
                step["output"] = step.get("output") or ""  # list_threads' search lowercases it
                for flag in ("streaming", "waitForAnswer", "isError"):
                    if step.get(flag) is not None:
                        step[flag] = bool(step[flag])  # type: ignore[literal-required]
            for element in thread.get("elements") or []:
                element["props"] = loads(element.get("props"), {})
        return found

    # --- steps ---------------------------------------------------------------------------

    async def create_step(self, step_dict: StepDict) -> None:
        if not await self.may_write(step_dict.get("threadId")):
            await self._note_citizen_step(step_dict)
            return
        known = columns_of("steps")
        cleaned: dict[str, Any] = {}
        for key, value in step_dict.items():
            if key not in known:
                continue  # e.g. "feedback": a new Chainlit key must not break the INSERT
            if key in ("input", "output") and isinstance(value, str):
                value = self.scrub(value)
            elif key == "metadata" and isinstance(value, dict):
                value = _clean_step_metadata(value)
            cleaned[key] = value
        await super().create_step(cleaned)  # type: ignore[arg-type]

    def _session_privacy(self) -> Pseudonymiser | None:
        if self.privacy_for is None:
            return None
        try:
            return self.privacy_for()
        except Exception:  # no Chainlit context
            return None

    async def _note_citizen_step(self, step_dict: StepDict) -> None:
        """A citizen's step is not stored: remember what a later rating needs, and record a
        question left unanswered as an anonymous signal."""
        in_context, user = _current_user()
        if not in_context or role_persists(user):
            return  # outside a session (HTTP routes) nobody is known to be a citizen
        step_id = step_dict.get("id")
        parent_id = step_dict.get("parentId")
        step_type = step_dict.get("type")
        if not step_id:
            return
        if step_type == "user_message":
            from chatbot.guard import normalise

            raw = step_dict.get("output")
            clean = normalise(raw) if isinstance(raw, str) else None
            # Empty, binary or too long input is not worth a question (nor the CPU).
            question = self.scrub(clean.text) if clean and not clean.problem else None
            self.citizen_steps.add_question(step_id, question)
        elif step_type == "run" and parent_id:
            self.citizen_steps.add_run(step_id, parent_id)
        elif step_type == "assistant_message":
            meta = step_dict.get("metadata")
            meta = meta if isinstance(meta, Mapping) else {}
            status = meta.get("status") if isinstance(meta.get("status"), str) else None
            flow = meta.get("flow") if isinstance(meta.get("flow"), str) else None
            privacy = self._session_privacy()
            turn = CitizenTurn(
                question=self.citizen_steps.question_before(parent_id),
                flow=flow,
                status=status,
                privacy=weakref.ref(privacy) if privacy is not None else _no_privacy,
            )
            first_time = self.citizen_steps.add_turn(step_id, parent_id, turn)
            if first_time and status in UNANSWERED_STATUSES:
                await self._record_signal(
                    "unanswered", flow=flow, status=status, question=turn.question
                )

    async def _record_signal(self, kind: str, **fields: Any) -> str | None:
        # Like Chainlit's own writes, a failed write must not break the conversation.
        await self.ensure_schema()
        try:
            return await record_signal(self.engine, kind, **fields)
        except SQLAlchemyError as exc:
            log.warning("signal_not_recorded", kind=kind, error=type(exc).__name__)
            return None

    # --- feedback ------------------------------------------------------------------------

    async def upsert_feedback(self, feedback: Feedback) -> str:
        # A citizen's steps are never stored: their rating becomes an anonymous signal.
        turn = self.citizen_steps.turn(feedback.forId)
        if turn is not None:
            # The UI sends back the id we return to change or withdraw the rating.
            feedback.id = turn.rating_id
            comment = None
            if feedback.comment:
                privacy = turn.privacy()
                comment = (
                    pseudonymise(feedback.comment, lambda: privacy)
                    if privacy is not None
                    else self.scrub(feedback.comment)  # the session's gate, else throwaway
                )
            await self._record_signal(
                "feedback",
                flow=turn.flow,
                status=turn.status,
                question=turn.question,
                value=int(feedback.value),
                comment=comment,
                signal_id=feedback.id,
            )
            return feedback.id
        feedback.id = feedback.id or str(uuid.uuid4())
        # Chainlit's /feedback route runs outside any Chainlit context: the stored step
        # decides. Ratings of steps neither stored nor remembered are dropped.
        rows = await self.execute_sql(
            'SELECT "threadId" FROM steps WHERE "id" = :id', {"id": feedback.forId}
        )
        if not isinstance(rows, list) or not rows:
            return feedback.id
        thread_id = rows[0]["threadId"]
        stored, staff = await self._thread_user_role(thread_id)
        if not (stored and staff):
            return feedback.id
        comment = self.scrub(feedback.comment) if feedback.comment else None
        await self.execute_sql(
            'INSERT INTO feedbacks ("id", "forId", "threadId", "value", "comment", "createdAt") '
            "VALUES (:id, :forId, :threadId, :value, :comment, :createdAt) "
            'ON CONFLICT ("id") DO UPDATE SET "value" = :value, "comment" = :comment, '
            '"createdAt" = :createdAt',
            {
                "id": feedback.id,
                "forId": feedback.forId,
                "threadId": thread_id,
                "value": int(feedback.value),
                "comment": comment,
                "createdAt": utc_timestamp(),
            },
        )
        return feedback.id

    async def delete_feedback(self, feedback_id: str) -> bool:
        # A citizen who withdraws their rating: the signal has the feedback's id.
        await self.ensure_schema()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    signals.delete().where(
                        (signals.c.id == feedback_id) & (signals.c.kind == "feedback")
                    )
                )
        except SQLAlchemyError as exc:
            log.warning("signal_not_deleted", error=type(exc).__name__)
        return await super().delete_feedback(feedback_id)

    # --- elements ------------------------------------------------------------------------

    @queue_until_user_message()
    async def create_element(self, element: Element) -> None:
        if not await self.may_write(element.thread_id):
            return
        if self.storage_provider is None or not element.for_id:
            return
        mime = element.mime or "application/octet-stream"
        is_text = element.type == "text" or mime.startswith("text/")
        payload: bytes | str | None = None
        if isinstance(element.content, str):
            payload = element.content
        elif isinstance(element.content, (bytes, bytearray)):
            payload = bytes(element.content)
        elif element.path:
            async with aiofiles.open(element.path, "rb") as handle:
                payload = await handle.read()
        # A URL-only element keeps its URL: Chainlit would download it, we never do.
        if isinstance(payload, bytes) and is_text:
            try:
                payload = payload.decode("utf-8")
            except UnicodeDecodeError:
                pass
        if isinstance(payload, str):
            payload = self.scrub(payload)
        elif isinstance(payload, bytes) and not self.keep_binary_files:
            log.info("element_not_kept", element_type=element.type, reason="binary")
            return

        row: dict[str, Any] = dict(element.to_dict())
        row["name"] = self.scrub(element.name) if element.name else element.name
        if payload is not None:
            # By thread: the thread row may not carry its user yet (Chainlit writes both from
            # concurrent tasks), and retention deletes by thread anyway.
            object_key = f"{element.thread_id}/{element.id}"
            uploaded = await self.storage_provider.upload_file(
                object_key=object_key, data=payload, mime=mime, overwrite=True
            )
            row["url"] = uploaded.get("url")
            row["objectKey"] = uploaded.get("object_key")
            row["mime"] = mime
        known = columns_of("elements")
        row = {k: v for k, v in row.items() if v is not None and k in known}
        columns = ", ".join(f'"{c}"' for c in row)
        values = ", ".join(f":{c}" for c in row)
        updates = ", ".join(f'"{c}" = :{c}' for c in row if c != "id")
        await self.execute_sql(
            f"INSERT INTO elements ({columns}) VALUES ({values}) "
            f'ON CONFLICT ("id") DO UPDATE SET {updates}',
            row,
        )

    async def file_owner(self, object_key: str) -> tuple[str | None, str | None] | None:
        """(identifier of the thread's owner, mime) for a stored element, or None."""
        rows = await self.execute_sql(
            'SELECT t."userIdentifier" AS owner, e."mime" AS mime FROM elements e '
            'JOIN threads t ON t."id" = e."threadId" WHERE e."objectKey" = :key',
            {"key": object_key},
        )
        if not isinstance(rows, list) or not rows:
            return None
        return rows[0]["owner"], rows[0]["mime"]


def build_data_layer(
    settings: Settings, privacy_for: PrivacyFor | None = None, *, keep_binary_files: bool = False
) -> GuichetDataLayer:
    """The data layer to return from ``@cl.data_layer``.

    ``privacy_for`` returns the current session's ``Pseudonymiser`` (or None: a throwaway one
    is used). ``keep_binary_files`` stores uploaded PDFs/images as they are (they cannot be
    pseudonymised); off by default.
    """
    storage = LocalStorageClient(Path(settings.data_dir) / "files")
    return GuichetDataLayer(
        database_url(settings),
        privacy_for=privacy_for,
        storage_provider=storage,
        keep_binary_files=keep_binary_files,
    )


# ------------------------------------------------------------------------------ retention


async def _delete_threads(conn: Any, thread_ids: list[str]) -> list[str]:
    """Delete threads and everything under them; return the object keys of their files."""
    keys: list[str] = []
    for start in range(0, len(thread_ids), 500):
        chunk = thread_ids[start : start + 500]
        result = await conn.execute(
            elements.select()
            .with_only_columns(elements.c.objectKey)
            .where(elements.c.threadId.in_(chunk))
        )
        keys.extend(key for (key,) in result if key)
        step_ids = steps.select().with_only_columns(steps.c.id).where(steps.c.threadId.in_(chunk))
        await conn.execute(
            feedbacks.delete().where(
                feedbacks.c.threadId.in_(chunk) | feedbacks.c.forId.in_(step_ids)
            )
        )
        await conn.execute(elements.delete().where(elements.c.threadId.in_(chunk)))
        await conn.execute(steps.delete().where(steps.c.threadId.in_(chunk)))
        await conn.execute(threads.delete().where(threads.c.id.in_(chunk)))
    return keys


async def _remove_files(settings: Settings, keys: list[str]) -> int:
    storage = LocalStorageClient(Path(settings.data_dir) / "files", url_prefix="")
    removed = 0
    for key in keys:
        removed += bool(await storage.delete_file(key))
    return removed


async def purge_older_than(settings: Settings, days: float) -> dict[str, int]:
    """Delete conversations whose last activity is older than ``days`` days, and citizens'
    anonymous signals older than that."""
    if days < 0:
        raise ValueError("days must be >= 0")
    from sqlalchemy import func, select

    cutoff = cutoff_timestamp(days)
    engine = make_engine(database_url(settings))
    try:
        await _create_all(engine)
        async with engine.begin() as conn:
            last_step = (
                select(steps.c.threadId, func.max(steps.c.createdAt).label("last"))
                .group_by(steps.c.threadId)
                .subquery()
            )
            activity = func.coalesce(last_step.c.last, threads.c.createdAt)
            query = (
                select(threads.c.id)
                .select_from(threads.outerjoin(last_step, last_step.c.threadId == threads.c.id))
                .where(activity < cutoff)
            )
            old = [row[0] for row in await conn.execute(query)]
            keys = await _delete_threads(conn, old)
            # Feedback whose step is gone (e.g. a step deleted by Chainlit) is not kept either.
            orphans = await conn.execute(
                feedbacks.delete().where(~feedbacks.c.forId.in_(select(steps.c.id)))
            )
            old_signals = await conn.execute(signals.delete().where(signals.c.createdAt < cutoff))
        files = await _remove_files(settings, keys)
    finally:
        await engine.dispose()
    log.info(
        "retention.purged",
        threads=len(old),
        files=files,
        signals=old_signals.rowcount or 0,
        days=days,
    )
    return {
        "threads": len(old),
        "files": files,
        "orphan_feedbacks": orphans.rowcount or 0,
        "signals": old_signals.rowcount or 0,
    }


async def erase_user(settings: Settings, identifier: str) -> dict[str, int]:
    """GDPR erasure: the user, their conversations, feedback and files. Citizens' anonymous
    signals name nobody, so there is nothing of a user's among them."""
    from sqlalchemy import select

    engine = make_engine(database_url(settings))
    try:
        await _create_all(engine)
        async with engine.begin() as conn:
            user_ids = [
                row[0]
                for row in await conn.execute(
                    select(users.c.id).where(users.c.identifier == identifier)
                )
            ]
            owned = await conn.execute(
                select(threads.c.id).where(
                    (threads.c.userIdentifier == identifier)
                    | (threads.c.userId.in_(user_ids) if user_ids else false())
                )
            )
            thread_ids = [row[0] for row in owned]
            keys = await _delete_threads(conn, thread_ids)
            deleted_users = await conn.execute(
                users.delete().where(users.c.identifier == identifier)
            )
        files = await _remove_files(settings, keys)
        # Files of the erased threads whose element rows were already gone.
        storage = LocalStorageClient(Path(settings.data_dir) / "files", url_prefix="")
        for thread_id in thread_ids:
            try:
                folder = storage.path_for(thread_id)
            except StorageKeyError:
                continue
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        await engine.dispose()
    log.info("retention.erased", users=deleted_users.rowcount or 0, threads=len(thread_ids))
    return {"users": deleted_users.rowcount or 0, "threads": len(thread_ids), "files": files}
