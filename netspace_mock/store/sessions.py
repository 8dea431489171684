"""The sessions and players tables."""

from __future__ import annotations

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
    found = await get_stored(db, operator_id, session_id)
    return found[1] if found else None


async def get_stored(db: Database, operator_id: int, session_id: str) -> tuple[int, Session] | None:
    """The session with its rowid (what a launch token names)."""
    row = await db.fetchone(SELECT_ROW, (operator_id, session_id))
    return (row[0], _session(row[1:])) if row else None


async def by_rowid(db: Database, rowid: int) -> Session | None:
    """The session stored at `rowid` (what a launch token names, see domain.launch_tokens)."""
    row = await db.fetchone(SELECT_BY_ROWID, (rowid,))
    return _session(row) if row else None


async def create(db: Database, session: Session, rowid: int, seen_at: str) -> bool:
    """Insert the session at `rowid` (an Ids.order, so that no rowid is ever given to two sessions) with
    (a real one) its player and the player's currency, in one transaction; False when a session with that
    id exists already. The player's currency is recorded only here: the two are deleted together, by a
    sandbox reset. The launch token is not stored (domain.launch_tokens)."""
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


async def relaunch(db: Database, stored: Session, changed: Session, seen_at: str) -> bool:
    """A relaunch that opens another game or language (or gives a return_url or client_ip): the session's
    row and (a real session) the player's last visit, in one transaction. False, and nothing written,
    when the session is gone (a sandbox reset deleted it meanwhile)."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE sessions SET game_id = ?, language = ?, return_url = ?, client_ip = ? "
            "WHERE operator_id = ? AND session_id = ?",
            (
                changed.game_id,
                changed.language,
                changed.return_url,
                changed.client_ip,
                stored.operator_id,
                stored.session_id,
            ),
        )
        if cur.rowcount != 1:
            return False
        if stored.kind != "demo":
            await conn.execute(SEEN_PLAYER, (stored.operator_id, stored.player_id, seen_at, seen_at))
    return True


async def seen(db: Database, operator_id: int, player_id: str, seen_at: str) -> None:
    """The player's last visit, for a relaunch that changes nothing else: one statement."""
    await db.execute(SEEN_PLAYER, (operator_id, player_id, seen_at, seen_at))


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
