"""The integration_warnings table: per operator and kind, a count, first and last seen, the latest example."""

from __future__ import annotations

from dataclasses import dataclass

from netspace_mock.store.db import Database


@dataclass
class Seen:
    """Warnings of one kind for one operator: how many, when, and the latest one's request and line."""

    operator_id: int
    kind: str
    count: int
    first_seen: float
    last_seen: float
    method: str
    path: str
    line: str


UPSERT = (
    "INSERT INTO integration_warnings(operator_id, kind, count, first_seen, last_seen, method, path, line) "
    "VALUES (:operator_id, :kind, :count, :first_seen, :last_seen, :method, :path, :line) "
    "ON CONFLICT (operator_id, kind) DO UPDATE SET count = count + excluded.count, "
    "first_seen = MIN(first_seen, excluded.first_seen), last_seen = excluded.last_seen, "
    "method = excluded.method, path = excluded.path, line = excluded.line"
)


async def add(db: Database, seen: list[Seen]) -> None:
    """Add these counts to the table in one transaction (a new kind starts its row)."""
    async with db.transaction() as conn:
        await conn.executemany(UPSERT, [vars(s) for s in seen])


async def of_operator(db: Database, operator_id: int) -> list[Seen]:
    """The operator's warnings, the most recent kind first."""
    found = await db.fetchall(
        "SELECT * FROM integration_warnings WHERE operator_id = ? ORDER BY last_seen DESC, kind",
        (operator_id,),
    )
    return [Seen(**dict(row)) for row in found]
