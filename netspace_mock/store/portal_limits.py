"""The SQL behind the portal's limits: failed sign-ins per (client address, key hash) and operators
registered per client address. Every write prunes the rows too old to count."""

from __future__ import annotations

from netspace_mock.store.db import Database

# ---- failed sign-ins ----------------------------------------------------------------------------


async def key_failures(db: Database, client: str, key_hash: str, since: float) -> tuple[int, float | None]:
    """Failed sign-ins with one key from one address since a time: how many, and when the last was."""
    row = await db.fetchone(
        "SELECT COUNT(*), MAX(failed_at) FROM portal_sign_in_failures "
        "WHERE client = ? AND key_hash = ? AND failed_at > ?",
        (client, key_hash, since),
    )
    return row[0], row[1]


async def nth_newest_failure(db: Database, client: str, n: int, since: float) -> float | None:
    """When the n-th newest failed sign-in from this address since a time was, whatever its key (None:
    fewer than n)."""
    row = await db.fetchone(
        "SELECT failed_at FROM portal_sign_in_failures WHERE client = ? AND failed_at > ? "
        "ORDER BY failed_at DESC LIMIT 1 OFFSET ?",
        (client, since, n - 1),
    )
    return row[0] if row else None


async def record_failure(db: Database, client: str, key_hash: str, now: float, forget_before: float) -> None:
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM portal_sign_in_failures WHERE failed_at <= ?", (forget_before,))
        await conn.execute(
            "INSERT INTO portal_sign_in_failures(client, key_hash, failed_at) VALUES (?, ?, ?)",
            (client, key_hash, now),
        )


async def forget_failures(db: Database, client: str, key_hash: str) -> None:
    await db.execute(
        "DELETE FROM portal_sign_in_failures WHERE client = ? AND key_hash = ?", (client, key_hash)
    )


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
