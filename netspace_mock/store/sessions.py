"""The sessions and players tables."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from netspace_mock.store.db import Connection, Database, one


class Session(NamedTuple):
    """A game session (immutable). A NamedTuple, not a frozen dataclass: a launch builds two, and a
    frozen dataclass's __init__ sets each of its twelve fields through object.__setattr__ (5 µs)."""

    operator_id: int
    session_id: str
    player_id: str
    game_id: str
    currency: str
    language: str
    return_url: str | None
    client_ip: str | None
    kind: str
    demo_balance: Decimal | None
    created_at: float
    expires_at: float


# The columns in the order of Session's fields, so that a row builds one positionally.
COLUMNS = (
    "operator_id, session_id, player_id, game_id, currency, language, return_url, client_ip, kind, "
    "demo_balance, created_at, expires_at"
)
SELECT_ONE = f"SELECT {COLUMNS} FROM sessions WHERE operator_id = ? AND session_id = ?"
SELECT_ROW = f"SELECT rowid, {COLUMNS} FROM sessions WHERE operator_id = ? AND session_id = ?"
SELECT_BY_ROWID = f"SELECT {COLUMNS} FROM sessions WHERE rowid = ?"


# The player's first and last visit; MAX, as two launches of one player may commit in either order.
SEEN_PLAYER = (
    "INSERT INTO players(operator_id, player_id, first_seen_at, last_seen_at) VALUES (?,?,?,?) "
    "ON CONFLICT DO UPDATE SET last_seen_at = MAX(last_seen_at, excluded.last_seen_at)"
)


def _session(row) -> Session:
    session = Session(*row)
    if session.demo_balance is not None:
        return session._replace(demo_balance=Decimal(session.demo_balance))
    return session


async def get(db: Database, operator_id: int, session_id: str) -> Session | None:
    row = await db.fetchone(SELECT_ONE, (operator_id, session_id))
    return _session(row) if row else None


async def by_rowid(db: Database, rowid: int) -> Session | None:
    """The session stored at `rowid` (what a launch token names, see domain.launch_tokens)."""
    row = await db.fetchone(SELECT_BY_ROWID, (rowid,))
    return _session(row) if row else None


async def create_or_relaunch(
    db: Database, session: Session, rowid: int, seen_at: str, compatible: Callable[[Session], bool]
) -> tuple[Session, int, bool]:
    """Insert the session at `rowid` (an Ids.order, so that no rowid is ever given to two sessions), or
    relaunch the stored one; record the player.

    Returns the stored session, its rowid and whether it already existed. A stored session that is not
    `compatible` with the request is returned untouched and nothing is written. A launch is the
    platform's busiest write, so it writes only what changes: a relaunch that changes nothing writes the
    player's last visit alone (one statement), one that opens another game, language, return_url or
    client_ip updates the session too; the player's currency is recorded when the session is created
    (the two are deleted together, by a sandbox reset). The launch token is not stored
    (domain.launch_tokens).
    """
    key = (session.operator_id, session.session_id)
    row = await db.fetchone(SELECT_ROW, key)
    while row is None:
        if await _create(db, session, rowid, seen_at):
            return session, rowid, False
        row = await db.fetchone(SELECT_ROW, key)  # a concurrent launch created it first
    rowid, stored = row[0], _session(row[1:])
    if not compatible(stored):
        return stored, rowid, True
    player = (stored.operator_id, stored.player_id, seen_at, seen_at)
    # A relaunch may open another game or language in the same session.
    changed = (
        session.game_id,
        session.language,
        session.return_url or stored.return_url,
        session.client_ip or stored.client_ip,
    )
    if changed != (stored.game_id, stored.language, stored.return_url, stored.client_ip):
        async with db.transaction() as conn:
            await conn.execute(
                "UPDATE sessions SET game_id = ?, language = ?, return_url = ?, client_ip = ? "
                "WHERE operator_id = ? AND session_id = ?",
                (*changed, *key),
            )
            if stored.kind != "demo":
                await conn.execute(SEEN_PLAYER, player)
        game_id, language, return_url, client_ip = changed
        stored = stored._replace(
            game_id=game_id, language=language, return_url=return_url, client_ip=client_ip
        )
    elif stored.kind != "demo":
        await db.execute(SEEN_PLAYER, player)
    return stored, rowid, True


async def _create(db: Database, session: Session, rowid: int, seen_at: str) -> bool:
    """The new session with (a real one) its player and the player's currency, in one transaction;
    False when a session with that id exists already."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            f"INSERT INTO sessions(rowid, {COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
            (
                rowid,
                session.operator_id,
                session.session_id,
                session.player_id,
                session.game_id,
                session.currency,
                session.language,
                session.return_url,
                session.client_ip,
                session.kind,
                None if session.demo_balance is None else str(session.demo_balance),
                session.created_at,
                session.expires_at,
            ),
        )
        if cur.rowcount != 1:
            return False
        if session.kind != "demo":
            player = (session.operator_id, session.player_id)
            await conn.execute(SEEN_PLAYER, (*player, seen_at, seen_at))
            await conn.execute(
                "INSERT OR IGNORE INTO player_currencies(operator_id, player_id, currency) VALUES (?,?,?)",
                (*player, session.currency),
            )
    return True


async def demo_balance(conn: Connection, operator_id: int, session_id: str) -> Decimal:
    (value,) = await one(
        conn,
        "SELECT demo_balance FROM sessions WHERE operator_id = ? AND session_id = ?",
        (operator_id, session_id),
    )
    return Decimal(value)


async def set_demo_balance(conn: Connection, operator_id: int, session_id: str, balance: Decimal) -> None:
    await conn.execute(
        "UPDATE sessions SET demo_balance = ? WHERE operator_id = ? AND session_id = ?",
        (str(balance), operator_id, session_id),
    )
