"""API keys on both databases: stored as a digest only, checked against the row every time,
refused once revoked, whatever part of the key is wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chatbot.api.keys import KeyStore, digest
from chatbot.roles import Role
from chatbot.store.schema import api_keys, database_url
from tests.conftest import make_settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request, tmp_path):
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = make_settings(tmp_path, postgres_url=url)
    else:
        settings = make_settings(tmp_path)
    keys = KeyStore(database_url(settings))
    await keys.setup()
    yield keys
    await keys.aclose()


async def test_a_key_is_stored_as_a_digest_and_checked_every_time(store) -> None:
    record, key = await store.add("portail-mairie", Role.agent)
    assert key.startswith(f"gk_{record.id}_") and len(key) > 50
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(api_keys))).mappings().all()
    assert [r["digest"] for r in rows] == [digest(key)]
    assert key not in str([dict(r) for r in rows]), "the key itself is never stored"

    checked = await store.check(key)
    assert checked is not None and checked.role == Role.agent and checked.name == "portail-mairie"
    secret = key.rsplit("_", 1)[1]
    wrong_secret = key[: -len(secret)] + ("A" if secret[0] != "A" else "B") + secret[1:]
    assert await store.check(wrong_secret) is None
    other_id = key.replace(record.id, "0" * 12)
    assert await store.check(other_id) is None
    assert await store.check("") is None and await store.check(key + "x") is None

    revoked = await store.revoke(record.id)
    assert revoked is not None and revoked.revoked_at
    assert await store.check(key) is None, "refused at the next check, no cache"
    assert [k.revoked_at is not None for k in await store.list()] == [True]
    assert await store.revoke("inconnu") is None


async def test_a_key_name_is_checked(store) -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        await store.add("nom avec espaces", Role.citizen)
