"""The platform_keys table: secrets the database keeps across restarts, each made once."""

from __future__ import annotations

from collections.abc import Callable

from netspace_mock.store.db import Database


async def get_or_make(db: Database, name: str, make: Callable[[], bytes]) -> bytes:
    """The key called `name`; on a database that has none yet, `make()` is stored and returned."""
    row = await db.fetchone("SELECT secret FROM platform_keys WHERE name = ?", (name,))
    if row is not None:
        return bytes(row[0])
    await db.execute(
        "INSERT INTO platform_keys(name, secret) VALUES (?, ?) ON CONFLICT DO NOTHING", (name, make())
    )
    row = await db.fetchone("SELECT secret FROM platform_keys WHERE name = ?", (name,))
    assert row is not None, "the key was just stored"
    return bytes(row[0])
