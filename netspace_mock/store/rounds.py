"""The rounds and deliveries (outbox) tables. Write functions take the open transaction's connection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from netspace_mock import jsonio
from netspace_mock.store.db import Connection, Database, Row, row_values, where_clause


@dataclass
class Round:
    operator_id: int
    round_id: str
    session_id: str
    player_id: str
    game_id: str
    currency: str
    kind: str
    amount: Decimal
    outcome: str
    win_amount: Decimal
    result: dict[str, Any]
    status: str
    balance: Decimal | None
    free_bet_id: str | None
    created_at: float
    finished_at: float | None
    # A fault scenario of the sandbox bet (PROTOCOL §6 "Fault scenarios"), kept so that a restart goes on with it.
    scenario: str | None = None
    scenario_delay: float | None = None
    scenario_applied_at: float | None = None


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


def _round(row: Row) -> Round:
    data = dict(row)
    for key in ("amount", "win_amount"):
        data[key] = None if data[key] is None else Decimal(data[key])
    data["balance"] = _stored_balance(data["balance"])
    data["result"] = json.loads(data["result"])
    return Round(**data)


def _stored_balance(text: str | None) -> Decimal | None:
    """A wallet's balance as stored; one that is not a finite, bounded number (kept by an older
    version that did not check answers) reads as unknown, so no view chokes on it."""
    if text is None:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        return None
    return value if jsonio.bounded(value) else None


def _delivery(row: Row) -> Delivery:
    data = dict(row)
    data["amount"] = Decimal(data["amount"])
    return Delivery(**data)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


async def insert_round(conn: Connection, r: Round) -> None:
    values = row_values(r)
    for key in ("amount", "win_amount", "balance"):
        values[key] = _text(values[key])
    values["result"] = jsonio.dumps(r.result).decode()
    await conn.execute(
        f"INSERT INTO rounds({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})", values
    )


async def update_round(conn: Connection, r: Round) -> None:
    await conn.execute(
        "UPDATE rounds SET status = ?, balance = ?, finished_at = ?, scenario_applied_at = ? "
        "WHERE operator_id = ? AND round_id = ?",
        (r.status, _text(r.balance), r.finished_at, r.scenario_applied_at, r.operator_id, r.round_id),
    )


async def insert_delivery(conn: Connection, d: Delivery) -> Delivery:
    values = row_values(d)
    values.pop("id")
    values["amount"] = str(d.amount)
    cur = await conn.execute(
        f"INSERT INTO deliveries({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})", values
    )
    d.id = cur.lastrowid
    return d


async def update_delivery(conn: Connection, d: Delivery) -> None:
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


async def get_round(db: Database, operator_id: int, round_id: str) -> Round | None:
    row = await db.fetchone(
        "SELECT * FROM rounds WHERE operator_id = ? AND round_id = ?", (operator_id, round_id)
    )
    return _round(row) if row else None


async def deliveries_of(db: Database, operator_id: int, round_id: str) -> list[Delivery]:
    rows = await db.fetchall(
        "SELECT * FROM deliveries WHERE operator_id = ? AND round_id = ? ORDER BY id", (operator_id, round_id)
    )
    return [_delivery(r) for r in rows]


async def get_delivery(db: Database, delivery_id: int) -> Delivery | None:
    row = await db.fetchone("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
    return _delivery(row) if row else None


async def find_delivery(
    db: Database, operator_id: int, action_type: str, transaction_id: str
) -> Delivery | None:
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


async def due_deliveries(db: Database, now: float, limit: int = 100) -> list[Delivery]:
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


async def open_rounds(db: Database) -> list[Round]:
    return [
        _round(r) for r in await db.fetchall("SELECT * FROM rounds WHERE status = 'open' ORDER BY created_at")
    ]


async def list_deliveries(
    db: Database, operator_id: int, filters: dict[str, Any], limit: int, offset: int
) -> tuple[list[Delivery], int]:
    where, params = where_clause(
        operator_id, filters, {"status", "action_type", "round_id", "player_id", "transaction_id"}
    )
    total = (await db.fetchone(f"SELECT COUNT(*) FROM deliveries WHERE {where}", params))[0]
    rows = await db.fetchall(
        f"SELECT * FROM deliveries WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)
    )
    return [_delivery(r) for r in rows], total
