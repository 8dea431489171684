"""The games table: the catalog, loaded from data/fixtures/ on first start."""

from __future__ import annotations

import json
from typing import Any

from netspace_mock.store.db import Database


async def count(db: Database) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM games")
    return row[0]


async def load(db: Database, games: list[dict[str, Any]]) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT OR REPLACE INTO games(id, position, category, data) VALUES (?, ?, ?, ?)",
            [(g["id"], i, g["category"], json.dumps(g, ensure_ascii=False)) for i, g in enumerate(games)],
        )


async def all_games(db: Database) -> list[dict[str, Any]]:
    return [json.loads(r["data"]) for r in await db.fetchall("SELECT data FROM games ORDER BY position")]
