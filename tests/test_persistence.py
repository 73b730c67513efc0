"""Conversation persistence: Chainlit's real SQLAlchemy data layer on real SQLite and PostgreSQL.

What must hold: only pseudonymised text is stored, nothing is stored for citizens, agents get
their threads back, feedback is counted for editors, purge and erasure remove everything, the
files of elements are served to their owner only, and the schema has every column Chainlit
writes (so a Chainlit upgrade that adds one fails here, not silently in production, where
Chainlit's ``execute_sql`` swallows SQL errors).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import dataclasses
import inspect
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from tests.together import run_together

NAME = "Jean Dupont"
PHONE = "06 12 34 56 78"
QUESTION = (
    f"Bonjour, je m'appelle {NAME}, mon numéro est le {PHONE}. Comment renouveler mon passeport ?"
)
# The answer as the user saw it: re-personalised from the placeholders.
ANSWER = (
    f"Bonjour {NAME}, pour renouveler votre passeport, prenez rendez-vous en mairie. "
    f"Nous vous rappellerons au {PHONE}."
)
COMMENT = f"Réponse incomplète pour {NAME}, appelez-moi au {PHONE}"
SECRETS = ("Dupont", PHONE, PHONE.replace(" ", ""))

# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request, tmp_path: Path) -> Iterator[object]:
    if request.param == "sqlite":
        yield make_settings(tmp_path)
        return
    yield make_settings(tmp_path, postgres_url=request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def privacy_class():
    from chatbot.privacy import Pseudonymiser  # the real gate, spaCy model included

    return Pseudonymiser


@pytest.fixture(autouse=True)
def _no_chainlit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chainlit switches on its own data layer when it sees DATABASE_URL.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LITERAL_API_KEY", raising=False)


@pytest.fixture
async def layer(settings, privacy_class) -> AsyncIterator[tuple[object, object]]:
    from chatbot.store.layer import build_data_layer

    privacy = privacy_class()
    data_layer = build_data_layer(settings, privacy_for=lambda: privacy)
    yield data_layer, privacy
    await data_layer.close()


async def login(data_layer, identifier: str, role: str | None):
    """What Chainlit does for an authenticated request: persisted user, then a context."""
    from chainlit.context import init_http_context
    from chainlit.user import User

    metadata = {"role": role} if role else {}
    user = await data_layer.create_user(User(identifier=identifier, metadata=metadata))
    context = init_http_context(user=user)
    return user, context.session.thread_id


async def agent_conversation(
    data_layer,
    identifier: str = "agent.martin",
    flow: str = "helpdesk",
    question: str = QUESTION,
    answer: str = ANSWER,
    status: str = "answered",
) -> tuple[object, str, object, object]:
    """One turn the way Chainlit persists it: thread, then user_message -> run "on_message"
    -> assistant_message (Chainlit's UI attaches feedback to the run step)."""
    from chainlit.message import Message
    from chainlit.step import Step
    from chainlit.utils import utc_now

    user, thread_id = await login(data_layer, identifier, "agent")
    await data_layer.update_thread(
        thread_id,
        user_id=user.id,
        name=question,
        tags=[flow],
        metadata={"chat_profile": flow, "http_referer": f"https://x/?tel={PHONE}"},
    )
    # Chainlit's UI puts the page URL in the message metadata; the widget's host page may
    # carry personal data in its query string.
    page = f"https://www.mairie.example/demarches?tel={PHONE.replace(' ', '')}"
    # created_at as Message.send() sets it.
    asked = Message(
        content=question,
        author=identifier,
        type="user_message",
        metadata={"location": page},
        created_at=utc_now(),
    )
    await data_layer.create_step(asked.to_dict())
    await asyncio.sleep(0.002)  # distinct timestamps: the answer comes after the question
    run = Step(name="on_message", type="run", parent_id=asked.id)
    run.created_at = run.start = utc_now()  # as `async with Step(...)` does
    await data_layer.create_step(run.to_dict())
    await asyncio.sleep(0.002)
    reply = Message(
        content=answer,
        author="Guichet",
        parent_id=run.id,
        metadata={"status": status, "flow": flow},
        created_at=utc_now(),
    )
    await data_layer.create_step(reply.to_dict())
    return user, thread_id, reply, run


async def outside_chainlit_context(coro, who: str = "agent.martin"):
    """Chainlit's HTTP routes (e.g. PUT /feedback) call the data layer with no Chainlit
    context; the shield in front of them has put the requester's identity in a contextvar."""
    from chatbot.web.sessions import Requester, requester

    def run():
        requester.set(Requester(identifier=who, role=None))
        return asyncio.create_task(coro)

    context = contextvars.Context()
    return await context.run(run)


async def all_rows(settings) -> dict[str, list[dict]]:
    from sqlalchemy import select

    from chatbot.store.schema import TABLES, database_url, make_engine

    engine = make_engine(database_url(settings))
    try:
        async with engine.connect() as conn:
            return {
                name: [dict(r) for r in (await conn.execute(select(table))).mappings()]
                for name, table in TABLES.items()
            }
    finally:
        await engine.dispose()


def stored_bytes(settings, rows: dict[str, list[dict]]) -> str:
    """Everything stored: rows, SQLite's files (WAL included) and element files."""
    parts = [json.dumps(rows, ensure_ascii=False, default=str)]
    data_dir = Path(settings.data_dir)
    for path in data_dir.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


# ---------------------------------------------------------------------- schema vs Chainlit


def test_schema_has_every_column_chainlit_writes_and_reads() -> None:
    """Derived from Chainlit itself: its dict types, its objects' to_dict(), its SQL."""
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
    from chainlit.element import ElementDict
    from chainlit.step import StepDict
    from chainlit.types import Feedback, ThreadDict
    from chainlit.user import PersistedUser

    from chatbot.store.schema import columns_of

    step_keys = set(StepDict.__annotations__) - {"feedback", "icon"}
    element_keys = set(ElementDict.__annotations__) - {"path"}
    thread_keys = set(ThreadDict.__annotations__) - {"steps", "elements"}
    feedback_keys = {field.name for field in dataclasses.fields(Feedback)}
    user_keys = {field.name for field in dataclasses.fields(PersistedUser)} - {"display_name"}

    assert step_keys - columns_of("steps") == set()
    assert element_keys - columns_of("elements") == set()
    assert thread_keys - columns_of("threads") == set()
    assert feedback_keys - columns_of("feedbacks") == set()
    assert user_keys - columns_of("users") == set()
    # Columns this project relies on Chainlit 2.12 writing, named in the issue.
    assert {
        "autoCollapse",
        "defaultOpen",
        "waitForAnswer",
        "showInput",
        "language",
        "command",
        "modes",
    } <= columns_of("steps")
    assert {"props", "mime", "chainlitKey", "autoPlay", "playerConfig"} <= columns_of("elements")

    # Every column named in Chainlit's own SQL (INSERTs are built from the dicts above;
    # SELECTs and UPDATEs name columns as alias."column" or "column").
    source = inspect.getsource(SQLAlchemyDataLayer)
    aliases = {"s": "steps", "e": "elements", "t": "threads", "f": "feedbacks"}
    for alias, column in re.findall(r'\b([setf])\."(\w+)"', source):
        assert column in columns_of(aliases[alias]), f"{aliases[alias]}.{column} read by Chainlit"


async def test_objects_chainlit_persists_fit_the_schema() -> None:
    """The dicts Chainlit's objects really hand to the data layer (not just their types)."""
    from chainlit.context import init_http_context
    from chainlit.element import Audio, File, Image, Pdf, Text, Video
    from chainlit.message import Message
    from chainlit.step import Step

    from chatbot.store.schema import columns_of

    init_http_context()
    step = Step(
        name="retrieve",
        type="retrieval",
        show_input="json",
        default_open=True,
        auto_collapse=True,
        language="json",
    )
    for produced in (Message(content="x").to_dict(), step.to_dict()):
        assert set(produced) - columns_of("steps") == set()
    for element in (
        Text(content="x"),
        Image(content=b"x"),
        File(content=b"x"),
        Pdf(content=b"x"),
        Audio(content=b"x"),
        Video(content=b"x"),
    ):
        assert set(element.to_dict()) - columns_of("elements") == set()


async def test_schema_is_idempotent(settings) -> None:
    from sqlalchemy import inspect as sa_inspect

    from chatbot.store.schema import TABLES, create_schema, database_url, make_engine

    url = database_url(settings)
    await create_schema(url)
    await create_schema(url)  # every start runs it
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(
                lambda c: {
                    name: {col["name"] for col in sa_inspect(c).get_columns(name)}
                    for name in TABLES
                }
            )
    finally:
        await engine.dispose()
    assert found == {name: {c.name for c in table.columns} for name, table in TABLES.items()}


CREATOR = """
import asyncio, sys
from chatbot.store.schema import create_schema
from chatbot.web.sessions import RevocationStore
from tests.together import wait_for_go

wait_for_go(sys.argv[-1])

async def main(url):
    await create_schema(url)
    await RevocationStore(url).is_revoked("a token")  # its own table, made on first use

asyncio.run(main(sys.argv[1]))
"""


def test_workers_creating_a_new_sqlite_schema_together_all_start(tmp_path: Path) -> None:
    """``serve --workers`` starts its workers together on a new data folder: each creates
    the schema at start-up, and one that lost the race used to fail its start silently (it
    then served pages without any services)."""
    for attempt in range(3):  # each round a new database: the race is at creation only
        url = f"sqlite+aiosqlite:///{tmp_path / f'round{attempt}.sqlite'}"
        run_together(CREATOR, [url], 4, tmp_path / f"go{attempt}")


def test_database_url_follows_settings(tmp_path: Path) -> None:
    from chatbot.store.schema import database_url

    assert database_url(make_settings(tmp_path)) == (
        f"sqlite+aiosqlite:///{(tmp_path / 'data').resolve()}/chainlit.sqlite"
    )
    pg = make_settings(tmp_path, postgres_url="postgres://u:p%40ss@db:5432/guichet?sslmode=require")
    assert database_url(pg) == "postgresql+asyncpg://u:p%40ss@db:5432/guichet?ssl=require"


# ------------------------------------------------------------------------ the data layer


async def test_agent_history_is_pseudonymised_listed_and_resumable(settings, layer) -> None:
    from chainlit.types import Feedback, Pagination, ThreadFilter

    data_layer, privacy = layer
    user, thread_id, reply, _ = await agent_conversation(data_layer)
    await outside_chainlit_context(
        data_layer.upsert_feedback(Feedback(forId=reply.id, value=0, comment=COMMENT))
    )

    listed = await data_layer.list_threads(Pagination(first=20), ThreadFilter(userId=user.id))
    assert [t["id"] for t in listed.data] == [thread_id]
    thread = await data_layer.get_thread(thread_id)
    assert thread is not None and thread["userIdentifier"] == "agent.martin"
    assert thread["tags"] == ["helpdesk"] and thread["metadata"]["chat_profile"] == "helpdesk"
    assert "http_referer" not in thread["metadata"]
    question, run, answer = thread["steps"]
    assert run["type"] == "run" and answer["parentId"] == run["id"]
    assert question["type"] == "user_message" and answer["type"] == "assistant_message"
    # Same value, same placeholder: the answer the user saw maps back to the question's ones.
    name_placeholder = privacy.clear(NAME)
    assert name_placeholder.startswith("<NOM_")
    assert name_placeholder in question["output"] and name_placeholder in answer["output"]
    assert "<TEL_" in question["output"] and "<TEL_" in answer["output"]
    assert "passeport" in answer["output"]
    assert answer["metadata"] == {"status": "answered", "flow": "helpdesk"}
    assert question["metadata"]["location"] == "https://www.mairie.example/demarches"
    assert answer["feedback"]["value"] == 0 and name_placeholder in answer["feedback"]["comment"]
    assert name_placeholder in thread["name"]  # Chainlit names threads after the first message
    # Keyword search in the history sidebar works on the stored text.
    found = await data_layer.list_threads(
        Pagination(first=20), ThreadFilter(userId=user.id, search="passeport")
    )
    assert len(found.data) == 1

    rows = await all_rows(settings)
    dump = stored_bytes(settings, rows)
    for secret in SECRETS:
        assert secret not in dump
    assert len(rows["steps"]) == 3 and len(rows["feedbacks"]) == 1 and len(rows["users"]) == 1


def test_values_masked_earlier_in_the_session_are_masked_again(privacy_class) -> None:
    """A re-personalised answer stored later must give back the session's placeholders,
    even where the analyser alone would not recognise the value (lower case, no context)."""
    from chatbot.store.scrub import pseudonymise

    privacy = privacy_class()
    placeholder = privacy.clear(NAME)
    stored = pseudonymise("ok jean dupont.", lambda: privacy)
    assert stored == f"ok {placeholder}."
    # Without a session gate a throwaway one is used: still pseudonymised.
    assert "Dupont" not in pseudonymise(QUESTION, lambda: None)


async def test_nothing_is_stored_for_citizens(settings, layer, tmp_path: Path) -> None:
    from chainlit.element import Text
    from chainlit.message import Message
    from chainlit.types import Feedback

    data_layer, _ = layer
    for identifier, role in (
        ("visitor-1", "citizen"),
        ("visitor-2", None),
        ("visitor-3", "unknown"),
    ):
        user, thread_id = await login(data_layer, identifier, role)
        await data_layer.update_thread(thread_id, user_id=user.id, name=QUESTION)
        asked = Message(content=QUESTION, author=identifier, type="user_message")
        await data_layer.create_step(asked.to_dict())
        source = Text(content=ANSWER, name="source", for_id=asked.id, mime="text/plain")
        await data_layer.create_element(source)
        await outside_chainlit_context(
            data_layer.upsert_feedback(Feedback(forId=asked.id, value=1, comment=COMMENT)),
            who=identifier,
        )
        assert await data_layer.get_user(identifier) is None
    # No user at all (a session without login).
    from chainlit.context import init_http_context

    thread_id = init_http_context().session.thread_id
    await data_layer.update_thread(thread_id, name=QUESTION)
    await data_layer.create_step(Message(content=QUESTION, type="user_message").to_dict())

    rows = await all_rows(settings)
    assert rows == {
        "users": [],
        "threads": [],
        "steps": [],
        "elements": [],
        "feedbacks": [],
        "guichet_signals": [],  # ratings of steps that are not answers: nothing to keep
        "guichet_memory": [],
        "guichet_api_keys": [],
    }
    assert not (Path(settings.data_dir) / "files").exists()


async def test_feedback_and_unanswered_reports(settings, layer) -> None:
    from chainlit.types import Feedback

    from chatbot.store.reports import feedback_report, unanswered_report

    data_layer, _ = layer
    rated = []
    for flow, value in (("helpdesk", 0), ("helpdesk", 1), ("helpdesk", 1), ("citizen", 0)):
        _, _, _, run = await agent_conversation(data_layer, flow=flow)
        rated.append((run, value))  # as Chainlit's UI does: the run step is rated
    _, _, unanswered, _ = await agent_conversation(
        data_layer, flow="helpdesk", question="Quel temps fera-t-il demain ?", status="out_of_scope"
    )
    for reply, value in rated:
        await outside_chainlit_context(
            data_layer.upsert_feedback(
                Feedback(forId=reply.id, value=value, comment=COMMENT if value == 0 else None)
            )
        )
    # Changing one's mind updates the rating instead of adding one.
    feedback_id = await outside_chainlit_context(
        data_layer.upsert_feedback(Feedback(forId=unanswered.id, value=1))
    )
    await outside_chainlit_context(
        data_layer.upsert_feedback(Feedback(forId=unanswered.id, value=0, id=feedback_id))
    )

    report = await feedback_report(settings, days=7)
    flows = {flow.flow: flow for flow in report.flows}
    assert report.ratings == 5
    assert (flows["helpdesk"].ratings, flows["helpdesk"].up, flows["helpdesk"].down) == (4, 2, 2)
    assert flows["helpdesk"].negative_share == 0.5
    assert (flows["citizen"].ratings, flows["citizen"].down) == (1, 1)
    latest = flows["helpdesk"].recent_negative[0]
    assert latest.question == "Quel temps fera-t-il demain ?"  # the question behind the rating
    older = flows["helpdesk"].recent_negative[1]
    assert "<NOM_" in older.comment and "passeport" in older.question
    assert "<NOM_" in older.answer and "mairie" in older.answer  # the rated answer
    assert not any(secret in report.model_dump_json() for secret in SECRETS)

    gaps = await unanswered_report(settings)
    assert gaps.count == 1
    assert gaps.flows[0].flow == "helpdesk" and gaps.flows[0].by_status == {"out_of_scope": 1}
    assert gaps.flows[0].recent[0].question == "Quel temps fera-t-il demain ?"


async def test_purge_and_erase_remove_rows_and_files(settings, layer) -> None:
    from chainlit.element import Text

    from chatbot.store.retention import erase_user, purge_older_than

    data_layer, _ = layer
    _, old_thread, old_reply, _ = await agent_conversation(data_layer, identifier="agent.old")
    _, kept_thread, kept_reply, _ = await agent_conversation(data_layer, identifier="agent.new")
    for reply in (old_reply, kept_reply):
        await data_layer.create_element(
            Text(
                content="Fiche passeport",
                name="source",
                for_id=reply.id,
                thread_id=reply.thread_id,
                mime="text/plain",
            )
        )
    files = Path(settings.data_dir) / "files"
    assert len([p for p in files.rglob("*") if p.is_file()]) == 2
    long_ago = "2020-01-01T00:00:00.000000Z"
    for table in ("threads", "steps"):
        column = "id" if table == "threads" else "threadId"
        await data_layer.execute_sql(
            f'UPDATE {table} SET "createdAt" = :at WHERE "{column}" = :id',
            {"at": long_ago, "id": old_thread},
        )

    counts = await purge_older_than(settings, days=30)
    assert counts["threads"] == 1 and counts["files"] == 1
    rows = await all_rows(settings)
    assert {r["id"] for r in rows["threads"]} == {kept_thread}
    assert {r["threadId"] for r in rows["steps"]} == {kept_thread}
    assert {r["threadId"] for r in rows["elements"]} == {kept_thread}

    counts = await erase_user(settings, "agent.new")
    assert counts == {"users": 1, "threads": 1, "files": 1, "memories": 0, "documents": 0}
    rows = await all_rows(settings)
    assert [r["identifier"] for r in rows["users"]] == ["agent.old"]
    assert rows["threads"] == rows["steps"] == rows["elements"] == rows["feedbacks"] == []
    assert not [p for p in files.rglob("*") if p.is_file()]


# ------------------------------------------------------------ citizens' anonymous signals


async def citizen_turn(
    data_layer,
    identifier: str = "visitor-1",
    question: str = QUESTION,
    answer: str = ANSWER,
    status: str = "answered",
    flow: str = "citizen",
    sources: list[str] | None = None,
) -> dict[str, object]:
    """One citizen turn as Chainlit writes it (user_message -> run -> answer with the
    metadata app.py sets); the data layer stores none of these steps."""
    from chainlit.message import Message
    from chainlit.step import Step
    from chainlit.utils import utc_now

    user, thread_id = await login(data_layer, identifier, "citizen")
    asked = Message(content=question, author=identifier, type="user_message", created_at=utc_now())
    await data_layer.create_step(asked.to_dict())
    run = Step(name="on_message", type="run", parent_id=asked.id)
    run.created_at = run.start = utc_now()
    await data_layer.create_step(run.to_dict())
    turn_id = f"turn-{identifier}"
    reply = Message(
        content=answer,
        author="Guichet",
        parent_id=run.id,
        metadata={"status": status, "flow": flow, "turn_id": turn_id}
        | ({"sources": sources} if sources else {}),
        created_at=utc_now(),
    )
    await data_layer.create_step(reply.to_dict())
    return {
        "user": user,
        "thread_id": thread_id,
        "asked": asked,
        "run": run,
        "reply": reply,
        "turn_id": turn_id,
    }


async def test_a_citizen_answer_leaves_its_cited_fiches_and_nothing_else(settings, layer) -> None:
    data_layer, _ = layer
    turn = await citizen_turn(data_layer, sources=["passeport", "timbre-fiscal"])
    await data_layer.create_step(turn["reply"].to_dict())  # Chainlit writes an update again
    rows = (await all_rows(settings))["guichet_signals"]
    assert [(r["kind"], r["question"], r["comment"]) for r in rows] == [("cited", None, None)]
    assert json.loads(rows[0]["sources"]) == ["passeport", "timbre-fiscal"]


async def test_citizen_rating_is_kept_anonymous_pseudonymised_and_reported(
    settings, layer, capsys
) -> None:
    from chainlit.types import Feedback

    from chatbot.store.commands import print_feedback
    from chatbot.store.reports import AGENTS, CITIZENS, feedback_report

    data_layer, privacy = layer
    # Earlier in the visit another name was masked: this one gets <NOM_2> in the session,
    # where a throwaway gate would say <NOM_1>.
    assert privacy.clear("Je m'appelle Paul Martin.") == "Je m'appelle <NOM_1>."
    turn = await citizen_turn(data_layer)
    # Chainlit's UI rates the run step, from its /feedback route (no Chainlit context).
    feedback_id = await outside_chainlit_context(
        data_layer.upsert_feedback(Feedback(forId=turn["run"].id, value=0, comment=COMMENT)),
        who="visitor-1",
    )
    await agent_conversation(data_layer, flow="citizen")  # an agent's turn, not rated

    rows = await all_rows(settings)
    assert [u["identifier"] for u in rows["users"]] == ["agent.martin"]
    assert turn["thread_id"] not in {r["threadId"] for r in rows["steps"]}
    assert rows["feedbacks"] == []
    (signal,) = rows["guichet_signals"]
    assert (signal["kind"], signal["flow"], signal["status"], signal["value"]) == (
        "feedback",
        "citizen",
        "answered",
        0,
    )
    # The session's gate was used, though the rating came without the session: the same
    # placeholders as in the question.
    name_placeholder = privacy.clear(NAME)
    assert name_placeholder == "<NOM_2>"
    assert name_placeholder in signal["question"] and "passeport" in signal["question"]
    assert name_placeholder in signal["comment"] and "<TEL_" in signal["comment"]
    dump = stored_bytes(settings, rows)
    for secret in SECRETS:
        assert secret not in dump

    report = await feedback_report(settings, days=7)
    assert report.ratings == 1
    (citizens,) = [f for f in report.flows if f.source == CITIZENS]
    assert (citizens.flow, citizens.ratings, citizens.up, citizens.down) == ("citizen", 1, 0, 1)
    negative = citizens.recent_negative[0]
    assert "passeport" in negative.question and name_placeholder in negative.comment
    assert negative.answer is None  # the answer a citizen saw is not kept
    assert not [f for f in report.flows if f.source == AGENTS]  # the agent did not rate
    print_feedback(report)
    out = capsys.readouterr().out
    assert "Avis des utilisateurs (7 derniers jours) : 1 avis\n" in out
    assert (
        "citizen : 1 avis, 0 positif, 1 négatif (100\u00a0% de négatifs), citoyens (anonymes)"
        in (out)
    )
    assert "    commentaire : " in out

    # Changing one's mind updates the signal, and so does rating again without the id
    # (one rating per answer, however many requests); withdrawing the rating removes it.
    await outside_chainlit_context(
        data_layer.upsert_feedback(Feedback(forId=turn["run"].id, value=1, id=feedback_id)),
        who="visitor-1",
    )
    again = await outside_chainlit_context(
        data_layer.upsert_feedback(Feedback(forId=turn["run"].id, value=1)), who="visitor-1"
    )
    assert again == feedback_id
    rows = await all_rows(settings)
    assert [(r["value"], r["comment"]) for r in rows["guichet_signals"]] == [(1, None)]
    await outside_chainlit_context(data_layer.delete_feedback(feedback_id), who="visitor-1")
    assert (await all_rows(settings))["guichet_signals"] == []


async def test_citizen_unanswered_question_is_reported(settings, layer, capsys) -> None:
    from chatbot.store.commands import print_unanswered
    from chatbot.store.reports import CITIZENS, unanswered_report

    data_layer, _ = layer
    turn = await citizen_turn(
        data_layer, question="Comment obtenir un permis de pêche lunaire ?", status="no_content"
    )
    await data_layer.create_step(turn["reply"].to_dict())  # Chainlit writes it again on update
    await citizen_turn(data_layer, identifier="visitor-2")  # answered: not a gap
    await agent_conversation(
        data_layer, flow="helpdesk", question="Quel temps fera-t-il ?", status="out_of_scope"
    )

    gaps = await unanswered_report(settings, days=7)
    assert gaps.count == 2
    flows = {(f.flow, f.source): f for f in gaps.flows}
    assert set(flows) == {("citizen", CITIZENS), ("helpdesk", "agents")}
    citizens = flows[("citizen", CITIZENS)]
    assert citizens.count == 1 and citizens.by_status == {"no_content": 1}
    assert citizens.recent[0].question == "Comment obtenir un permis de pêche lunaire ?"
    print_unanswered(gaps)
    out = capsys.readouterr().out
    assert "Questions sans réponse (7 derniers jours) : 2\n" in out
    assert "citizen : 1 (aucune fiche trouvée 1), citoyens (anonymes)" in out
    assert "helpdesk : 1 (hors sujet 1), agents" in out
    assert "[aucune fiche trouvée] Comment obtenir un permis de pêche lunaire ?" in out


async def test_signals_link_to_no_user_or_conversation(settings, layer) -> None:
    from chainlit.types import Feedback

    from chatbot.store.schema import columns_of

    assert columns_of("guichet_signals") == {
        "id",
        "createdAt",
        "flow",
        "kind",
        "status",
        "value",
        "question",
        "comment",
        "sources",  # cited fiche ids of an answer: they name no one
    }
    data_layer, _ = layer
    turn = await citizen_turn(data_layer, identifier="visitor-42", status="out_of_scope")
    await outside_chainlit_context(
        data_layer.upsert_feedback(Feedback(forId=turn["reply"].id, value=0, comment="Nul")),
        who="visitor-42",
    )
    rows = (await all_rows(settings))["guichet_signals"]
    assert sorted(r["kind"] for r in rows) == ["feedback", "unanswered"]
    linking = {
        turn["thread_id"],
        turn["user"].id,
        "visitor-42",
        turn["asked"].id,
        turn["run"].id,
        turn["reply"].id,
        turn["turn_id"],
    }
    for row in rows:
        assert not any(key in str(value) for value in row.values() for key in linking)
        # To the hour: a signal cannot be matched with a conversation by its time.
        assert row["createdAt"].endswith(":00:00Z")
    # The process remembers recent steps for ratings, within its bound.
    assert data_layer.citizen_steps.turn(turn["run"].id) is not None
    assert len(data_layer.citizen_steps) <= data_layer.citizen_steps.size


def test_recent_citizen_steps_forget_the_oldest() -> None:
    from chatbot.store.signals import CitizenTurn, RecentCitizenSteps

    recent = RecentCitizenSteps(size=4)
    for n in range(5):
        recent.add_question(f"q{n}", f"question {n}")
        recent.add_run(f"r{n}", f"q{n}")
        turn = CitizenTurn(recent.question_before(f"r{n}"), "citizen", "answered", lambda: None)
        recent.add_turn(f"a{n}", f"r{n}", turn)
    assert len(recent) == 4  # answers and runs of the last two turns
    assert recent.turn("r0") is None and recent.turn("a2") is None
    assert recent.turn("r4").question == "question 4"


async def test_purge_removes_old_signals(settings, layer) -> None:
    from chatbot.store.retention import purge_older_than

    data_layer, _ = layer
    await citizen_turn(data_layer, identifier="visitor-old", status="no_content")
    await citizen_turn(data_layer, identifier="visitor-new", status="out_of_scope")
    await data_layer.execute_sql(
        'UPDATE guichet_signals SET "createdAt" = :at WHERE "status" = :status',
        {"at": "2020-01-01T00:00:00Z", "status": "no_content"},
    )

    counts = await purge_older_than(settings, days=30)
    assert counts["signals"] == 1
    rows = (await all_rows(settings))["guichet_signals"]
    assert [r["status"] for r in rows] == ["out_of_scope"]


# -------------------------------------------------------------------- files and their route


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_elements_are_stored_pseudonymised_and_served_to_their_owner_only(
    settings, layer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainlit.auth import create_jwt
    from chainlit.element import Pdf, Text
    from chainlit.user import User
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    from chatbot.store.files import FILES_ROUTE, install_file_route

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "test-secret-" + "x" * 40)
    data_layer, _ = layer
    user, thread_id, reply, _ = await agent_conversation(data_layer, identifier="agent.owner")
    text = Text(
        content=f"Note : rappeler {NAME} au {PHONE}.",
        name="note",
        for_id=reply.id,
        mime="text/plain",
    )
    await data_layer.create_element(text)
    pdf = Pdf(content=b"%PDF-1.4 binary", name="scan.pdf", for_id=reply.id, mime="application/pdf")
    await data_layer.create_element(pdf)

    thread = await data_layer.get_thread(thread_id)
    assert [e["id"] for e in thread["elements"]] == [text.id]  # the PDF lasts for the visit only
    url = thread["elements"][0]["url"]
    assert url.startswith(FILES_ROUTE + "/")
    stored = await data_layer.storage_provider.read_file(thread["elements"][0]["objectKey"])
    assert b"<NOM_" in stored and b"Dupont" not in stored

    app = FastAPI()

    @app.get("/{full_path:path}")  # Chainlit's SPA catch-all, registered before us
    async def spa(full_path: str) -> PlainTextResponse:
        return PlainTextResponse("spa")

    install_file_route(app, settings, data_layer=data_layer)
    owner = create_jwt(User(identifier="agent.owner", metadata={"role": "agent"}))
    other = create_jwt(User(identifier="agent.other", metadata={"role": "agent"}))
    transport = httpx.ASGITransport(app=app)

    async def get(path: str, token: str | None = None, **kwargs: object) -> httpx.Response:
        cookies = {"access_token": token} if token else None
        async with httpx.AsyncClient(
            transport=transport, base_url="http://app", cookies=cookies
        ) as client:
            return await client.get(path, **kwargs)

    mine = await get(url, owner)
    assert mine.status_code == 200 and "<NOM_" in mine.text
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert (await get(url, headers={"Authorization": f"Bearer {owner}"})).status_code == 200
    assert (await get(url, other)).status_code == 404
    assert (await get(url)).status_code == 401
    assert (await get(url, "forged")).status_code == 401
    assert (await get(FILES_ROUTE + "/..%2F..%2Fchainlit.sqlite", owner)).status_code == 404


async def test_file_route_is_reached_on_chainlit_app(tmp_path: Path) -> None:
    """Chainlit's app ends with a catch-all GET serving its HTML: our route must win."""
    from chainlit.server import app

    from chatbot.store.files import FILES_ROUTE, install_file_route

    before = list(app.router.routes)
    install_file_route(app, make_settings(tmp_path))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            ours = await client.get(FILES_ROUTE + "/some-thread/some-element")
            spa = await client.get("/some/page")
        assert ours.status_code == 401 and ours.json() == {"detail": "Not authenticated"}
        assert spa.status_code == 200 and "<html" in spa.text  # Chainlit's own still served
    finally:
        app.router.routes[:] = before


async def test_local_storage_client_round_trip(tmp_path: Path) -> None:
    from chatbot.store.files import LocalStorageClient, StorageKeyError

    storage = LocalStorageClient(tmp_path / "files", url_prefix="/files")
    uploaded = await storage.upload_file("user-1/element-1", "Fiche passeport", mime="text/plain")
    assert uploaded == {"object_key": "user-1/element-1", "url": "/files/user-1/element-1"}
    assert await storage.read_file("user-1/element-1") == b"Fiche passeport"
    assert await storage.get_read_url("user-1/element-1") == "/files/user-1/element-1"
    assert await storage.delete_file("user-1/element-1") is True
    assert not (tmp_path / "files" / "user-1").exists()  # empty folders go too
    for bad in ("../x", "/etc/passwd", "a/../../x", "a//b"):
        with pytest.raises(StorageKeyError):
            storage.path_for(bad)


# --------------------------------------------------------------------------------- CLI


def test_report_and_data_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, request
) -> None:
    """The commands an operator runs, on a database filled through the data layer."""
    import structlog

    from chatbot.store.commands import register
    from chatbot.store.layer import build_data_layer

    settings = make_settings(tmp_path)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("GUICHET_POSTGRES_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env
    saved_logging = structlog.get_config()  # the commands configure logging, as the CLI does
    request.addfinalizer(lambda: structlog.configure(**saved_logging))

    async def seed() -> None:
        from chainlit.types import Feedback

        data_layer = build_data_layer(settings)  # no session gate: a throwaway one is used
        try:
            _, _, _, run = await agent_conversation(data_layer, identifier="agent.cli")
            await outside_chainlit_context(
                data_layer.upsert_feedback(Feedback(forId=run.id, value=0, comment=COMMENT)),
                who="agent.cli",
            )
        finally:
            await data_layer.close()

    asyncio.run(seed())
    capsys.readouterr()
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(), argparse.ArgumentParser().add_subparsers())

    def run(*argv: str) -> str:
        args = parser.parse_args(list(argv))
        assert args.func(args) == 0
        return capsys.readouterr().out

    report = json.loads(run("report", "feedback", "--days", "7", "--json"))
    assert report["flows"][0]["flow"] == "helpdesk" and report["flows"][0]["down"] == 1
    text = run("report", "feedback")
    assert "helpdesk : 1 avis, 0 positif, 1 négatif (100\u00a0% de négatifs)" in text
    assert "<NOM_" in text
    assert report["flows"][0]["source"] == "agents"  # JSON keeps its English keys and values
    from chatbot.store import commands, reports

    assert (commands.AGENTS, commands.CITIZENS) == (reports.AGENTS, reports.CITIZENS)
    assert not any(secret in text for secret in SECRETS)
    assert json.loads(run("data", "purge", "--days", "30", "--json"))["threads"] == 0
    assert "erased user 'agent.cli': 1 conversations" in run("data", "erase", "agent.cli")
    db = sqlite3.connect(Path(settings.data_dir) / "chainlit.sqlite")
    assert db.execute("SELECT COUNT(*) FROM threads").fetchone() == (0,)
    db.close()
