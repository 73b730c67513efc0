"""API keys of client systems: each acts as one role; only a digest is stored.

A key reads ``gk_<id>_<secret>``: ``id`` finds the row (and names the key in ``keys list``
and the logs), the secret is 256 random bits. The table (``chatbot.store.schema.api_keys``)
keeps the sha256 of the whole key; the check compares digests in constant time. Every
request reads the row (no cache), so ``chatbot keys revoke`` on any machine takes effect on
every instance at the next request.

    store = KeyStore(database_url(settings))
    record, key = await store.add("mairie-portail", Role.citizen)   # key shown once
    caller = await store.check(key)                                  # ApiKey or None
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from chatbot.roles import Role, role_from
from chatbot.store.schema import api_keys, create_tables, make_engine, utc_timestamp

PREFIX = "gk"
_KEY = re.compile(r"gk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Compared against when no row matches, so a wrong id costs the same as a wrong secret.
_NO_DIGEST = hashlib.sha256(b"no such key").hexdigest()


class ApiKey(BaseModel):
    """A key as the server knows it (never the key itself)."""

    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None

    @property
    def owner(self) -> str:
        """Who a conversation of this key belongs to (``guichet_memory.userIdentifier``);
        ':' cannot appear in a login name, so no agent can be mistaken for a key."""
        return f"api-key:{self.id}"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """(id, key): a fresh key and its public id."""
    key_id = secrets.token_hex(6)
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def name_problem(name: str) -> str | None:
    if not _NAME.fullmatch(name):
        return "name must be 1-64 letters, digits, '.', '_' or '-' (e.g. portail-mairie)"
    return None


class KeyStore:
    """The keys table, on the conversation database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, engine: AsyncEngine | None = None) -> None:
        self.engine = engine or make_engine(url)

    async def setup(self) -> None:
        await create_tables(self.engine)

    async def add(self, name: str, role: Role) -> tuple[ApiKey, str]:
        if problem := name_problem(name):
            raise ValueError(problem)
        key_id, key = new_key()
        record = ApiKey(id=key_id, name=name, role=role, created_at=utc_timestamp())
        async with self.engine.begin() as conn:
            await conn.execute(
                api_keys.insert().values(
                    id=key_id,
                    name=name,
                    role=str(role),
                    digest=digest(key),
                    createdAt=record.created_at,
                )
            )
        return record, key

    async def list(self) -> list[ApiKey]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(api_keys).order_by(api_keys.c.createdAt))
            return [_record(row) for row in rows.mappings()]

    async def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke a key by its id (or the whole key); the record, or None if unknown."""
        key_id = parse_id(key_id) or key_id
        async with self.engine.begin() as conn:
            await conn.execute(
                update(api_keys)
                .where((api_keys.c.id == key_id) & api_keys.c.revokedAt.is_(None))
                .values(revokedAt=utc_timestamp())
            )
            row = (
                (await conn.execute(select(api_keys).where(api_keys.c.id == key_id)))
                .mappings()
                .first()
            )
        return _record(row) if row else None

    async def check(self, key: str) -> ApiKey | None:
        """The valid, unrevoked key ``key`` is, or None. Reads the database every time."""
        key_id = parse_id(key)
        row = None
        if key_id is not None:
            async with self.engine.connect() as conn:
                row = (
                    (await conn.execute(select(api_keys).where(api_keys.c.id == key_id)))
                    .mappings()
                    .first()
                )
        stored = row["digest"] if row else _NO_DIGEST
        matches = hmac.compare_digest(stored, digest(key))
        if not (row and matches) or row["revokedAt"]:
            return None
        return _record(row)

    async def aclose(self) -> None:
        await self.engine.dispose()


def parse_id(key: str) -> str | None:
    """The id inside a well-formed key, or None."""
    match = _KEY.fullmatch(key)
    return match.group(1) if match else None


def _record(row: object) -> ApiKey:
    return ApiKey(
        id=row["id"],  # type: ignore[index]
        name=row["name"],  # type: ignore[index]
        role=role_from(row["role"]),  # type: ignore[index]
        created_at=row["createdAt"],  # type: ignore[index]
        revoked_at=row["revokedAt"],  # type: ignore[index]
    )
