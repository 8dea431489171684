"""The certification_runs table, and registering the test player the operator named."""

from __future__ import annotations

import json
from typing import Any

from netspace_mock import jsonio
from netspace_mock.store.db import Database


async def save(db: Database, operator_id: int, run: dict[str, Any], started_at: float) -> None:
    await db.execute(
        "INSERT INTO certification_runs(operator_id, run_id, status, started_at, data) VALUES (?,?,?,?,?) "
        "ON CONFLICT(operator_id, run_id) DO UPDATE SET status = excluded.status, data = excluded.data",
        (operator_id, run["id"], run["status"], started_at, jsonio.dumps(run).decode()),
    )


async def latest(db: Database, operator_id: int) -> dict[str, Any] | None:
    row = await db.fetchone(
        "SELECT data FROM certification_runs WHERE operator_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
        (operator_id,),
    )
    return json.loads(row["data"]) if row else None


async def get(db: Database, operator_id: int, run_id: str) -> dict[str, Any] | None:
    row = await db.fetchone(
        "SELECT data FROM certification_runs WHERE operator_id = ? AND run_id = ?", (operator_id, run_id)
    )
    return json.loads(row["data"]) if row else None


async def latest_session(db: Database, operator_id: int, player_id: str, currency: str) -> str | None:
    """The session the platform launched last for this player in this currency (a demo has no player's
    money), if any: the one a certification run given none uses."""
    row = await db.fetchone(
        "SELECT session_id FROM sessions WHERE operator_id = ? AND player_id = ? AND currency = ? "
        "AND kind != 'demo' ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (operator_id, player_id, currency),
    )
    return None if row is None else row[0]


async def register_player(
    db: Database, operator_id: int, player_id: str, currency: str, seen_at: str
) -> None:
    """The test player the operator names becomes a player the platform knows, in that currency."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO players(operator_id, player_id, first_seen_at, last_seen_at) VALUES (?,?,?,?) "
            "ON CONFLICT DO UPDATE SET last_seen_at = excluded.last_seen_at",
            (operator_id, player_id, seen_at, seen_at),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO player_currencies(operator_id, player_id, currency) VALUES (?,?,?)",
            (operator_id, player_id, currency),
        )
