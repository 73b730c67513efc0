"""Conversation history for agents: Chainlit's SQLAlchemy data layer, pseudonymised.

    @cl.data_layer
    def data_layer():
        return build_data_layer(get_settings(), privacy_for=lambda: cl.user_session.get("privacy"))

This is the only module that knows Chainlit's data-layer internals (``SQLAlchemyDataLayer``,
its contexts, its step and element dicts): a Chainlit upgrade touches this file. What it adds:

- only pseudonymised text is stored: step input/output, thread name (Chainlit names a thread
  after the first user message), feedback comments, element text (``chatbot.store.scrub``);
- nothing is stored for citizens (role missing, unknown or ``citizen``): their conversation
  lasts for their visit; only anonymous signals are kept for editors (``chatbot.store.signals``);
- elements go to ``LocalStorageClient`` and are never fetched from a URL (no network).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiofiles
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.user import PersistedUser, User
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from chatbot.flows.status import UNANSWERED
from chatbot.logs import get_logger
from chatbot.roles import is_staff, role_of
from chatbot.store.files import LocalStorageClient
from chatbot.store.schema import (
    columns_of,
    create_tables,
    database_url,
    loads,
    make_engine,
    signals,
    sql_param,
    utc_timestamp,
)
from chatbot.store.scrub import (
    PrivacyFor,
    clean_step_metadata,
    mask_known,
    pseudonymise,
    session_gate,
)
from chatbot.store.signals import CitizenTurn, RecentCitizenSteps, no_privacy, record_signal
from chatbot.web.sessions import current_requester

if TYPE_CHECKING:
    from chainlit.element import Element
    from chainlit.step import StepDict
    from chainlit.types import Feedback, ThreadDict

    from chatbot.settings import Settings

log = get_logger("guichet.persistence")

# Keys Chainlit copies from the user session into thread metadata that we never keep: the
# referring page's URL can carry personal query strings, env can carry keys.
DROPPED_METADATA = frozenset({"http_referer", "env"})
# Chainlit's sharing flags: kept only when thread sharing is switched on in config.toml.
SHARING_METADATA = frozenset({"is_shared", "shared_at"})


def role_persists(user: Any) -> bool:
    """Whether this user's conversations are stored: staff only, never citizens."""
    return user is not None and is_staff(role_of(user))


def _current_user() -> tuple[bool, Any]:
    """(inside a Chainlit context?, the session's user)."""
    from chainlit.context import ChainlitContextException, context

    try:
        return True, context.session.user
    except ChainlitContextException:
        return False, None


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
        # Who may rate a citizen's answer: the visitor it was given to (bounded like the steps).
        self._citizen_owner: OrderedDict[str, str] = OrderedDict()

    # --- plumbing ------------------------------------------------------------------------

    async def ensure_schema(self) -> None:
        if self._schema_ready:
            return
        async with self._schema_lock:
            if not self._schema_ready:
                await create_tables(self.engine)
                self._schema_ready = True

    async def execute_sql(self, query: str, parameters: dict) -> list[dict[str, Any]] | int | None:
        await self.ensure_schema()
        params = {key: sql_param(value) for key, value in parameters.items()}
        return await super().execute_sql(query, params)

    async def get_current_timestamp(self) -> str:
        # Chainlit's own uses local time labelled "Z"; retention compares with UTC.
        return utc_timestamp()

    def scrub(self, text_value: str) -> str:
        """New text (a user's message, a comment, a file): the gate's cache spares the
        message the turn already analysed a second NER run."""
        return pseudonymise(text_value, self.privacy_for)

    def mask_known(self, text_value: str) -> str:
        """Text this session already pseudonymised or displayed (answers): no NER run."""
        return mask_known(text_value, self.privacy_for)

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
        return True, isinstance(meta, dict) and is_staff(meta.get("role"))

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
        # A thread's name is its first user message, written before the turn analyses it
        # (Chainlit starts both at once), or a name the agent typed: new text.
        if name is not None:
            name = self.scrub(name)
        if metadata is not None:
            from chainlit.config import config as chainlit_config

            dropped = DROPPED_METADATA
            if not chainlit_config.features.allow_thread_sharing:
                dropped = dropped | SHARING_METADATA
            metadata = {k: v for k, v in metadata.items() if k not in dropped}
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
                # A user's message, and a step's input (the run step's echoes the message),
                # is new text; an answer or a step's output was displayed by this session.
                new_text = key == "input" or step_dict.get("type") == "user_message"
                value = self.scrub(value) if new_text else self.mask_known(value)
            elif key == "metadata" and isinstance(value, dict):
                value = clean_step_metadata(value)
            cleaned[key] = value
        await super().create_step(cleaned)  # type: ignore[arg-type]

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
            status, flow = (
                v if isinstance(v := meta.get(k), str) else None for k in ("status", "flow")
            )
            privacy = session_gate(self.privacy_for)
            turn = CitizenTurn(
                question=self.citizen_steps.question_before(parent_id),
                flow=flow,
                status=status,
                privacy=weakref.ref(privacy) if privacy is not None else no_privacy,
            )
            first_time = self.citizen_steps.add_turn(step_id, parent_id, turn)
            owner = getattr(user, "identifier", None)
            if owner:
                for rated in (step_id, parent_id):  # the UI rates the run step
                    if rated:
                        self._citizen_owner[rated] = owner
                while len(self._citizen_owner) > 10_000:
                    self._citizen_owner.popitem(last=False)
            if first_time and status in UNANSWERED:
                await self._record_signal(
                    "unanswered", flow=flow, status=status, question=turn.question
                )
            cited = meta.get("sources")
            if first_time and isinstance(cited, list) and cited:
                # Fiche ids only, no question: which fiches serve citizens.
                await self._record_signal(
                    "cited",
                    flow=flow,
                    status=status,
                    question=None,
                    sources=[str(i) for i in cited[:20]],
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

    async def _thread_owner(self, thread_id: str) -> str | None:
        rows = await self.execute_sql(
            'SELECT "userIdentifier" AS owner FROM threads WHERE "id" = :id', {"id": thread_id}
        )
        return rows[0]["owner"] if isinstance(rows, list) and rows else None

    async def upsert_feedback(self, feedback: Feedback) -> str:
        # Chainlit's /feedback route runs outside any Chainlit context and checks nobody:
        # only the person the answer was given to may rate it (chatbot.web.sessions).
        who = current_requester()
        # A citizen's steps are never stored: their rating becomes an anonymous signal.
        turn = self.citizen_steps.turn(feedback.forId)
        if turn is not None:
            # No owner on either side: a ``public`` instance, where nobody logs in.
            owner = self._citizen_owner.get(feedback.forId)
            if owner != (who.identifier if who else None):
                log.warning("feedback_refused", reason="not_owner")
                return feedback.id or str(uuid.uuid4())
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
        if who is None or await self._thread_owner(thread_id) != who.identifier:
            log.warning("feedback_refused", reason="not_owner")
            return feedback.id
        # The id comes from the browser: it must not overwrite a rating of another thread.
        existing = await self.execute_sql(
            'SELECT "threadId" FROM feedbacks WHERE "id" = :id', {"id": feedback.id}
        )
        if isinstance(existing, list) and existing and existing[0]["threadId"] != thread_id:
            log.warning("feedback_refused", reason="foreign_id")
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
        # A stored rating is withdrawn by the owner of its thread only.
        rows = await self.execute_sql(
            'SELECT t."userIdentifier" AS owner FROM feedbacks f '
            'JOIN threads t ON t."id" = f."threadId" WHERE f."id" = :id',
            {"id": feedback_id},
        )
        if isinstance(rows, list) and rows:
            who = current_requester()
            if who is None or rows[0]["owner"] != who.identifier:
                log.warning("feedback_refused", reason="not_owner")
                return False
        # A citizen who withdraws their rating: the signal has the feedback's id (random,
        # known to the visitor who rated only).
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
        return (rows[0]["owner"], rows[0]["mime"]) if isinstance(rows, list) and rows else None


def build_data_layer(
    settings: Settings, privacy_for: PrivacyFor | None = None, *, keep_binary_files: bool = False
) -> GuichetDataLayer:
    """The data layer of ``@cl.data_layer``. ``privacy_for`` gives the session's gate (None: a
    throwaway one); ``keep_binary_files`` keeps uploaded PDFs/images as they are (off: they
    cannot be pseudonymised)."""
    storage = LocalStorageClient(Path(settings.data_dir) / "files")
    return GuichetDataLayer(
        database_url(settings),
        privacy_for=privacy_for,
        storage_provider=storage,
        keep_binary_files=keep_binary_files,
    )
