"""The webhook_attempts table: every call to an operator's webhook, kept within a bounded retention.

Bounded twice: at most `retention` attempts per operator (older ones are deleted), and at most
`storage_bytes` of stored answers per operator. Each answer is cut to `answer_bytes`, so the answers
of the newest storage_bytes // answer_bytes attempts are kept; an older attempt keeps its outcome,
status, reason and latency, and its answer body is dropped (NULL).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from netspace_mock.store.db import Connection, Database, Row, row_values, where_clause

TRUNCATED = "…(truncated)"


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


@dataclass(frozen=True)
class Bounds:
    retention: int = 100_000
    answer_bytes: int = 16_384
    storage_bytes: int = 67_108_864

    @property
    def answers_kept(self) -> int:
        return max(1, self.storage_bytes // self.answer_bytes)


def cut(text: str | None, limit: int) -> str | None:
    """The answer as stored: at most `limit` bytes of UTF-8 (cut on a character boundary), marked."""
    if text is None or len(text) * 4 <= limit:
        return text
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore") + TRUNCATED


_OLDER_THAN = "SELECT id FROM webhook_attempts WHERE operator_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?"


async def insert(conn: Connection, a: Attempt, bounds: Bounds) -> Attempt:
    values = row_values(a)
    values.pop("id")
    values["request_headers"] = json.dumps(a.request_headers)
    values["response_body"] = cut(values["response_body"], bounds.answer_bytes)
    cur = await conn.execute(
        f"INSERT INTO webhook_attempts({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})",
        values,
    )
    a.id = cur.lastrowid
    # Prune in steps of 1% so the DELETE runs rarely, not on every insert.
    if a.id % max(1, bounds.retention // 100) == 0:
        await conn.execute(
            f"DELETE FROM webhook_attempts WHERE operator_id = ? AND id <= ({_OLDER_THAN})",
            (a.operator_id, a.operator_id, bounds.retention),
        )
        await _trim_answers(conn, a.operator_id, bounds.answers_kept, None)
    step = max(1, min(bounds.retention, bounds.answers_kept) // 100)
    if bounds.answers_kept < bounds.retention and a.id % step == 0:
        # The attempts just past the kept ones (the whole range is trimmed with the DELETE above).
        await _trim_answers(conn, a.operator_id, bounds.answers_kept, bounds.answers_kept + 4 * step)
    return a


async def _trim_answers(conn: Connection, operator_id: int, kept: int, until: int | None) -> None:
    """Drop the answer bodies of the operator's attempts older than its `kept` newest (down to the
    `until`-th newest when given)."""
    floor = f"AND id > COALESCE(({_OLDER_THAN}), 0)" if until is not None else ""
    params: tuple = (operator_id, operator_id, kept) + ((operator_id, until) if until is not None else ())
    await conn.execute(
        "UPDATE webhook_attempts SET response_body = NULL WHERE operator_id = ? AND response_body IS NOT NULL "
        f"AND id <= ({_OLDER_THAN}) {floor}",
        params,
    )


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
    order = "DESC"
    if filters.get("after_id") is not None:
        # A cursor: what came after it, oldest first, so that a follower pages forward in order.
        where, params, order = f"{where} AND id > ?", (*params, filters["after_id"]), "ASC"
    total = (await db.fetchone(f"SELECT COUNT(*) FROM webhook_attempts WHERE {where}", params))[0]
    rows = await db.fetchall(
        f"SELECT * FROM webhook_attempts WHERE {where} ORDER BY id {order} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [_attempt(r) for r in rows], total
