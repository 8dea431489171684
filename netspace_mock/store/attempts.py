"""The webhook_attempts table: every call to an operator's webhook, kept within a bounded retention."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from netspace_mock.store.db import Connection, Database, Row, row_values, where_clause

RESPONSE_LIMIT = 65_536


@dataclass
class Attempt:
    operator_id: int
    delivery_id: int | None
    action_type: str
    transaction_id: str | None
    round_id: str | None
    player_id: str | None
    session_id: str | None
    attempt: int
    url: str
    request_headers: dict[str, str]
    request_body: str
    http_status: int | None
    response_body: str | None
    latency_ms: float
    outcome: str
    error_code: str | None
    reason: str | None
    created_at: float
    id: int | None = None


async def insert(conn: Connection, a: Attempt, retention: int) -> Attempt:
    values = row_values(a)
    values.pop("id")
    values["request_headers"] = json.dumps(a.request_headers)
    if values["response_body"] is not None and len(values["response_body"]) > RESPONSE_LIMIT:
        values["response_body"] = values["response_body"][:RESPONSE_LIMIT] + "…(truncated)"
    cur = await conn.execute(
        f"INSERT INTO webhook_attempts({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})",
        values,
    )
    a.id = cur.lastrowid
    # Prune in steps of 1% so the DELETE runs rarely, not on every insert.
    if a.id % max(1, retention // 100) == 0:
        await conn.execute(
            "DELETE FROM webhook_attempts WHERE operator_id = ? AND id <= ("
            "SELECT id FROM webhook_attempts WHERE operator_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (a.operator_id, a.operator_id, retention),
        )
    return a


def _attempt(row: Row) -> Attempt:
    data = dict(row)
    data["request_headers"] = json.loads(data["request_headers"])
    return Attempt(**data)


async def search(
    db: Database, operator_id: int, filters: dict[str, Any], limit: int, offset: int
) -> tuple[list[Attempt], int]:
    allowed = {
        "player_id",
        "round_id",
        "transaction_id",
        "action_type",
        "outcome",
        "session_id",
        "delivery_id",
    }
    where, params = where_clause(operator_id, filters, allowed)
    total = (await db.fetchone(f"SELECT COUNT(*) FROM webhook_attempts WHERE {where}", params))[0]
    rows = await db.fetchall(
        f"SELECT * FROM webhook_attempts WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [_attempt(r) for r in rows], total
