"""The rounds table (its calls are in the outbox, webhooks/outbox.py). Write functions take the open
transaction's connection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from netspace_mock import jsonio
from netspace_mock.store.db import Connection, Database, Row, row_values


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


async def get_round(db: Database, operator_id: int, round_id: str) -> Round | None:
    row = await db.fetchone(
        "SELECT * FROM rounds WHERE operator_id = ? AND round_id = ?", (operator_id, round_id)
    )
    return _round(row) if row else None


async def open_rounds(db: Database) -> list[Round]:
    return [
        _round(r) for r in await db.fetchall("SELECT * FROM rounds WHERE status = 'open' ORDER BY created_at")
    ]
