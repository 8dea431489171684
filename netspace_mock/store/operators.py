"""The operators table: credentials and webhook URL of each operator."""

from __future__ import annotations

from dataclasses import dataclass

from netspace_mock.store.db import Database


@dataclass(frozen=True)
class Operator:
    id: int
    name: str
    api_key: str
    secret_key: str
    webhook_url: str | None
    created_at: str


def _row(row) -> Operator:
    return Operator(**dict(row))


async def upsert(
    db: Database, name: str, api_key: str, secret_key: str, webhook_url: str | None, now: str
) -> Operator:
    """Create the operator for this API key, or bring its secret and webhook up to date."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO operators(name, api_key, secret_key, webhook_url, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(api_key) DO UPDATE SET secret_key = excluded.secret_key, webhook_url = excluded.webhook_url",
            (name, api_key, secret_key, webhook_url, now),
        )
    found = await by_api_key(db, api_key)
    assert found is not None
    return found


async def by_api_key(db: Database, api_key: str) -> Operator | None:
    row = await db.fetchone("SELECT * FROM operators WHERE api_key = ?", (api_key,))
    return _row(row) if row else None


async def all_operators(db: Database) -> list[Operator]:
    return [_row(r) for r in await db.fetchall("SELECT * FROM operators ORDER BY id")]
