"""The jackpots and jackpot_events tables. Writes take the open transaction's connection."""

from __future__ import annotations

from decimal import Decimal

from netspace_mock.store.db import Connection, Database, one


async def get(conn: Connection, operator_id: int, currency: str) -> tuple[Decimal, float | None]:
    row = await one(
        conn,
        "SELECT amount, updated_at FROM jackpots WHERE operator_id = ? AND currency = ?",
        (operator_id, currency),
    )
    return (Decimal(row["amount"]), row["updated_at"]) if row else (Decimal(0), None)


async def put(
    conn: Connection,
    operator_id: int,
    currency: str,
    amount: Decimal,
    at: float,
    event: str,
    round_id: str | None = None,
    moved: Decimal | None = None,
) -> None:
    """Set the pot and record why: `moved` is the amount of the event (the update, the hit, the restore)."""
    await conn.execute(
        "INSERT INTO jackpots(operator_id, currency, amount, updated_at) VALUES (?,?,?,?) "
        "ON CONFLICT(operator_id, currency) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at",
        (operator_id, currency, str(amount), at),
    )
    await conn.execute(
        "INSERT INTO jackpot_events(operator_id, currency, event, amount, round_id, at) VALUES (?,?,?,?,?,?)",
        (operator_id, currency, event, str(amount if moved is None else moved), round_id, at),
    )


async def all_of(db: Database, operator_id: int) -> list[dict]:
    rows = await db.fetchall(
        "SELECT currency, amount, updated_at FROM jackpots WHERE operator_id = ? ORDER BY currency",
        (operator_id,),
    )
    return [dict(r) for r in rows]


async def events(db: Database, operator_id: int) -> list[dict]:
    rows = await db.fetchall(
        "SELECT currency, event, amount, round_id, at FROM jackpot_events WHERE operator_id = ? ORDER BY id",
        (operator_id,),
    )
    return [dict(r) for r in rows]
