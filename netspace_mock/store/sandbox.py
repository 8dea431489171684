"""Aggregates and bulk deletes over one operator's sandbox data: stats and reset."""

from __future__ import annotations

from typing import Any

from netspace_mock.store.db import Database

# Children before parents, so foreign keys never block a delete. The catalog and credentials stay.
RESET_TABLES = (
    "webhook_attempts",
    "deliveries",
    "rounds",
    "sessions",
    "player_currencies",
    "players",
    "wallet_transactions",
    "wallet_accounts",
    "fault_rules",
)


async def reset(db: Database, operator_id: int) -> dict[str, int]:
    deleted = {}
    async with db.transaction() as conn:
        for table in RESET_TABLES:
            cur = await conn.execute(f"DELETE FROM {table} WHERE operator_id = ?", (operator_id,))
            deleted[table] = cur.rowcount
    return deleted


async def stats(db: Database, operator_id: int) -> dict[str, Any]:
    """Raw counts for the sandbox statistics; amounts stay text so the domain sums them exactly."""
    one = (operator_id,)
    return {
        "sessions": await db.fetchall(
            "SELECT kind, COUNT(*) AS n FROM sessions WHERE operator_id = ? GROUP BY kind", one
        ),
        "rounds": await db.fetchall(
            "SELECT status, COUNT(*) AS n FROM rounds WHERE operator_id = ? GROUP BY status", one
        ),
        "deliveries": await db.fetchall(
            "SELECT d.action_type, d.status, r.currency, d.amount FROM deliveries d "
            "JOIN rounds r USING (operator_id, round_id) WHERE d.operator_id = ?",
            one,
        ),
        "calls": await db.fetchall(
            "SELECT action_type, outcome, COUNT(*) AS n FROM webhook_attempts WHERE operator_id = ? "
            "GROUP BY action_type, outcome",
            one,
        ),
        "latencies": [
            r[0]
            for r in await db.fetchall(
                "SELECT latency_ms FROM webhook_attempts WHERE operator_id = ? ORDER BY latency_ms", one
            )
        ],
    }


async def clocks(db: Database) -> dict[int, float]:
    """How far each operator's sandbox clock runs ahead, for those that moved it."""
    rows = await db.fetchall("SELECT operator_id, ahead_seconds FROM sandbox_clocks")
    return {operator_id: ahead for operator_id, ahead in rows}


async def set_clock(db: Database, operator_id: int, ahead_seconds: float) -> None:
    await db.execute(
        "INSERT INTO sandbox_clocks(operator_id, ahead_seconds) VALUES (?, ?) "
        "ON CONFLICT(operator_id) DO UPDATE SET ahead_seconds = excluded.ahead_seconds",
        (operator_id, ahead_seconds),
    )
