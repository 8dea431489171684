"""The fault_rules table: the faults each operator injects into its own API traffic."""

from __future__ import annotations

from dataclasses import dataclass

from netspace_mock.store.db import Database, row_values


@dataclass
class Rule:
    operator_id: int
    route: str  # a glob over the request path, e.g. /api/sandbox/game/*
    method: str | None  # None: any method
    kind: str  # latency | http_500 | http_503 | http_429 | drop
    probability: float | None  # drawn per matching request; None with a count: the first `count`
    count: int | None
    latency_ms: int | None
    retry_after: int | None
    created_at: float
    fired: int = 0
    id: int | None = None


async def add(db: Database, rule: Rule) -> Rule:
    values = row_values(rule)
    values.pop("id")
    async with db.transaction() as conn:
        cur = await conn.execute(
            f"INSERT INTO fault_rules({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})",
            values,
        )
    rule.id = cur.lastrowid
    return rule


async def all_rules(db: Database) -> list[Rule]:
    return [Rule(**dict(r)) for r in await db.fetchall("SELECT * FROM fault_rules ORDER BY id")]


async def delete(db: Database, operator_id: int) -> int:
    async with db.transaction() as conn:
        cur = await conn.execute("DELETE FROM fault_rules WHERE operator_id = ?", (operator_id,))
    return cur.rowcount


async def fired(db: Database, rule_id: int, times: int) -> None:
    await db.execute("UPDATE fault_rules SET fired = ? WHERE id = ?", (times, rule_id))
