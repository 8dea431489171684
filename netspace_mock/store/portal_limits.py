"""The SQL behind the portal's limits: operators registered per client address. Every write prunes the
rows too old to count."""

from __future__ import annotations

from netspace_mock.store.db import Database

# ---- registrations ------------------------------------------------------------------------------


async def nth_newest_registration(db: Database, client: str, n: int, since: float) -> float | None:
    """When the n-th newest registration from this address since a time was (None: fewer than n)."""
    row = await db.fetchone(
        "SELECT registered_at FROM portal_registrations WHERE client = ? AND registered_at > ? "
        "ORDER BY registered_at DESC LIMIT 1 OFFSET ?",
        (client, since, n - 1),
    )
    return row[0] if row else None


async def record_registration(db: Database, client: str, now: float, forget_before: float) -> None:
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM portal_registrations WHERE registered_at <= ?", (forget_before,))
        await conn.execute(
            "INSERT INTO portal_registrations(client, registered_at) VALUES (?, ?)", (client, now)
        )
