"""The outbox: the deliveries table, one row per call a round makes (bet, win, refund, rollback).

A row is written in the transaction of the state change that causes it, before anything is sent;
its status and next attempt say what the dispatcher has to do. Write functions take the open
transaction's connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from netspace_mock.store.db import Connection, Database, Row, row_values, where_clause


@dataclass
class Delivery:
    id: int | None
    operator_id: int
    round_id: str
    action_type: str
    transaction_id: str
    player_id: str
    amount: Decimal
    body: str
    status: str
    attempts: int
    next_attempt_at: float | None
    operator_transaction_id: str | None
    last_error: str | None
    created_at: float
    updated_at: float


def _delivery(row: Row) -> Delivery:
    data = dict(row)
    data["amount"] = Decimal(data["amount"])
    return Delivery(**data)


async def enqueue(conn: Connection, d: Delivery) -> Delivery:
    values = row_values(d)
    values.pop("id")
    values["amount"] = str(d.amount)
    cur = await conn.execute(
        f"INSERT INTO deliveries({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})", values
    )
    d.id = cur.lastrowid
    return d


async def update(conn: Connection, d: Delivery) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, operator_transaction_id = ?, "
        "last_error = ?, updated_at = ? WHERE id = ?",
        (
            d.status,
            d.attempts,
            d.next_attempt_at,
            d.operator_transaction_id,
            d.last_error,
            d.updated_at,
            d.id,
        ),
    )


async def of_round(db: Database, operator_id: int, round_id: str) -> list[Delivery]:
    rows = await db.fetchall(
        "SELECT * FROM deliveries WHERE operator_id = ? AND round_id = ? ORDER BY id", (operator_id, round_id)
    )
    return [_delivery(r) for r in rows]


async def find(db: Database, operator_id: int, action_type: str, transaction_id: str) -> Delivery | None:
    row = await db.fetchone(
        "SELECT * FROM deliveries WHERE operator_id = ? AND action_type = ? AND transaction_id = ?",
        (operator_id, action_type, transaction_id),
    )
    return _delivery(row) if row else None


# When a delivery is due in the platform's time: its next attempt is stamped in its operator's time,
# which runs ahead by that operator's sandbox clock (none: not ahead).
_DUE_AT = "d.next_attempt_at - COALESCE(c.ahead_seconds, 0)"
_RETRYABLE = (
    "FROM deliveries d LEFT JOIN sandbox_clocks c USING (operator_id) WHERE d.status = 'pending' "
    "AND d.action_type != 'bet' AND d.next_attempt_at IS NOT NULL"
)


async def due(db: Database, now: float, limit: int = 100) -> list[Delivery]:
    """Retryable deliveries whose next attempt is due at the platform's time `now`, earliest first.
    Bets are never retried."""
    rows = await db.fetchall(
        f"SELECT d.* {_RETRYABLE} AND {_DUE_AT} <= ? ORDER BY {_DUE_AT} LIMIT ?", (now, limit)
    )
    return [_delivery(r) for r in rows]


async def next_due_at(db: Database) -> float | None:
    """The platform's time at which the next retryable delivery is due (None: nothing is pending)."""
    row = await db.fetchone(f"SELECT MIN({_DUE_AT}) {_RETRYABLE}")
    return row[0]


async def page(
    db: Database, operator_id: int, filters: dict[str, Any], limit: int, offset: int
) -> tuple[list[Delivery], int]:
    """One operator's deliveries matching `filters`, newest first, and how many match in all."""
    where, params = where_clause(
        operator_id, filters, {"status", "action_type", "round_id", "player_id", "transaction_id"}
    )
    total = (await db.fetchone(f"SELECT COUNT(*) FROM deliveries WHERE {where}", params))[0]
    rows = await db.fetchall(
        f"SELECT * FROM deliveries WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)
    )
    return [_delivery(r) for r in rows], total
