"""The request_journal table: an operator's requests as received and answered, within bounds.

Bounded like webhook_attempts: at most `retention` rows per operator (the oldest deleted), each body cut
to `body_bytes`, and the bodies of only the newest `storage_bytes // body_bytes` rows kept (an older
row keeps its method, path, verdict, status and ids; its body is dropped, NULL). Rows arrive in batches
(domain/journal.py); pruning runs after a batch, once an operator has added a step's worth of rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from netspace_mock.store.attempts import cut
from netspace_mock.store.db import Connection, Database, Row


@dataclass
class Entry:
    operator_id: int
    created_at: float
    source: str  # api | game
    method: str
    path: str
    query: str | None
    headers: dict[str, str]
    body: str | None
    body_bytes: int
    verdict: str  # accepted | refused
    refusal: dict[str, Any] | None
    warnings: list[str]
    fault: str | None
    status: int | None  # None: the connection was dropped without an answer
    error_code: str | None
    latency_ms: float
    session_id: str | None = None
    round_id: str | None = None
    free_bet_id: str | None = None
    id: int | None = field(default=None)


@dataclass(frozen=True)
class Bounds:
    retention: int = 10_000
    body_bytes: int = 4_096
    storage_bytes: int = 16_777_216

    @property
    def bodies_kept(self) -> int:
        return max(1, self.storage_bytes // self.body_bytes)

    @property
    def step(self) -> int:
        """Rows an operator adds between two prunings: 1% of what is kept, so a DELETE runs rarely."""
        return max(1, min(self.retention, self.bodies_kept) // 100)


COLUMNS = [name for name in Entry.__dataclass_fields__ if name != "id"]
# Positional parameters, in COLUMNS' order: binding by name costs a look-up per column and row.
_INSERT = f"INSERT INTO request_journal({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_NEWEST = "SELECT id FROM request_journal WHERE operator_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?"


def _values(e: Entry, bounds: Bounds) -> tuple[Any, ...]:
    """The row of an entry, in COLUMNS' order, its dicts and lists as JSON text."""
    return (
        e.operator_id,
        e.created_at,
        e.source,
        e.method,
        e.path,
        e.query,
        json.dumps(e.headers),
        cut(e.body, bounds.body_bytes),
        e.body_bytes,
        e.verdict,
        None if e.refusal is None else json.dumps(e.refusal),
        json.dumps(e.warnings) if e.warnings else "[]",
        e.fault,
        e.status,
        e.error_code,
        e.latency_ms,
        e.session_id,
        e.round_id,
        e.free_bet_id,
    )


async def insert_many(conn: Connection, entries: list[Entry], bounds: Bounds) -> None:
    await conn.executemany(_INSERT, [_values(e, bounds) for e in entries])


async def prune(conn: Connection, operator_id: int, bounds: Bounds) -> None:
    """Keep the operator's newest `retention` rows, and the bodies of its newest `bodies_kept`."""
    await conn.execute(
        f"DELETE FROM request_journal WHERE operator_id = ? AND id <= ({_NEWEST})",
        (operator_id, operator_id, bounds.retention),
    )
    if bounds.bodies_kept < bounds.retention:
        await conn.execute(
            "UPDATE request_journal SET body = NULL WHERE operator_id = ? AND body IS NOT NULL "
            f"AND id <= ({_NEWEST})",
            (operator_id, operator_id, bounds.bodies_kept),
        )


def _entry(row: Row) -> Entry:
    data = dict(row)
    data["headers"] = json.loads(data["headers"])
    data["refusal"] = None if data["refusal"] is None else json.loads(data["refusal"])
    data["warnings"] = json.loads(data["warnings"])
    return Entry(**data)


async def search(
    db: Database, operator_id: int, filters: dict[str, Any], limit: int, offset: int
) -> tuple[list[Entry], int]:
    """The operator's rows matching `filters` (each optional): status, verdict, session_id, round_id,
    free_bet_id and source exactly; `path` as the path or a folder above it; `since` (Unix seconds) as a lower bound; `faulted`
    (true or false). Newest first."""
    clauses, params = ["operator_id = ?"], [operator_id]
    for name in ("status", "verdict", "session_id", "round_id", "free_bet_id", "source"):
        if filters.get(name) is not None:
            clauses.append(f"{name} = ?")
            params.append(filters[name])
    if filters.get("path"):  # the path itself, or one below it: /api/sandbox/webhook is not …/webhooks
        prefix = filters["path"].rstrip("/") + "/"
        clauses.append("(path = ? OR substr(path, 1, ?) = ?)")
        params += [filters["path"], len(prefix), prefix]
    if filters.get("since") is not None:
        clauses.append("created_at >= ?")
        params.append(filters["since"])
    if filters.get("faulted") is not None:
        clauses.append("fault IS NOT NULL" if filters["faulted"] else "fault IS NULL")
    where = " AND ".join(clauses)
    total = (await db.fetchone(f"SELECT COUNT(*) FROM request_journal WHERE {where}", params))[0]
    rows = await db.fetchall(
        f"SELECT * FROM request_journal WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [_entry(r) for r in rows], total
