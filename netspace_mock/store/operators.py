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
    activation_requested_at: str | None = None


def _row(row) -> Operator:
    return Operator(**dict(row))


async def upsert(
    db: Database, name: str, api_key: str, secret_key: str, webhook_url: str | None, now: str
) -> Operator:
    """Create the operator for this API key, or bring its secret and webhook up to date."""
    await db.execute(
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


async def create(
    db: Database, name: str, api_key: str, secret_key: str, webhook_url: str | None, now: str
) -> Operator:
    await db.execute(
        "INSERT INTO operators(name, api_key, secret_key, webhook_url, created_at) VALUES (?, ?, ?, ?, ?)",
        (name, api_key, secret_key, webhook_url, now),
    )
    found = await by_api_key(db, api_key)
    assert found is not None
    return found


async def set_webhook(db: Database, operator_id: int, webhook_url: str | None) -> None:
    await db.execute("UPDATE operators SET webhook_url = ? WHERE id = ?", (webhook_url, operator_id))


async def request_activation(db: Database, operator_id: int, now: str) -> None:
    await db.execute(
        "UPDATE operators SET activation_requested_at = COALESCE(activation_requested_at, ?) WHERE id = ?",
        (now, operator_id),
    )


async def by_id(db: Database, operator_id: int) -> Operator | None:
    row = await db.fetchone("SELECT * FROM operators WHERE id = ?", (operator_id,))
    return _row(row) if row else None
