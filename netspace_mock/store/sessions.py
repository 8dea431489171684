"""The sessions and players tables."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from netspace_mock.store.db import Connection, Database


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


# The player's first and last visit; MAX, as a relaunch's is written with its group's COMMIT (db.later).
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
    `compatible` with the request is returned untouched and nothing is written. One transaction, so two
    concurrent launches of one session_id cannot both create it. A launch is the platform's busiest
    write, so it writes only what changes: a relaunch updates the session only when the game, language,
    return_url or client_ip is new (its one write, so it needs no savepoint), and its player's currency
    was recorded when the session was created (the two are deleted together, by a sandbox reset). The
    player's last visit is written once for all the launches of that player that commit together
    (db.transaction(defers=True)). The launch token is not stored (domain.launch_tokens).
    """
    async with db.transaction(defers=True) as conn:
        raw = conn.raw
        key = (session.operator_id, session.session_id)
        row = raw.execute(SELECT_ROW, key).fetchone()
        if row is not None:
            rowid = row[0]
            stored = _session(row[1:])
            if not compatible(stored):
                return stored, rowid, True
            # A relaunch may open another game or language in the same session.
            changed = (
                session.game_id,
                session.language,
                session.return_url or stored.return_url,
                session.client_ip or stored.client_ip,
            )
            if changed != (stored.game_id, stored.language, stored.return_url, stored.client_ip):
                raw.execute(
                    "UPDATE sessions SET game_id = ?, language = ?, return_url = ?, client_ip = ? "
                    "WHERE operator_id = ? AND session_id = ?",
                    (*changed, *key),
                )
                game_id, language, return_url, client_ip = changed
                stored = stored._replace(
                    game_id=game_id, language=language, return_url=return_url, client_ip=client_ip
                )
        else:
            stored = session
            db.savepoint()  # the session, then (a real one) its player and the player's currency
            raw.execute(
                f"INSERT INTO sessions(rowid, {COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rowid,
                    *key,
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
        if stored.kind != "demo":
            player = (stored.operator_id, stored.player_id)
            if row is None:
                raw.execute(SEEN_PLAYER, (*player, seen_at, seen_at))
                raw.execute(
                    "INSERT OR IGNORE INTO player_currencies(operator_id, player_id, currency) VALUES (?,?,?)",
                    (*player, stored.currency),
                )
            else:  # once per group for all its launches of this player, just before the COMMIT
                db.later(SEEN_PLAYER, player, (*player, seen_at, seen_at))
    return stored, rowid, row is not None


async def demo_balance(conn: Connection, operator_id: int, session_id: str) -> Decimal:
    async with conn.execute(
        "SELECT demo_balance FROM sessions WHERE operator_id = ? AND session_id = ?",
        (operator_id, session_id),
    ) as cur:
        (value,) = await cur.fetchone()
    return Decimal(value)


async def set_demo_balance(conn: Connection, operator_id: int, session_id: str, balance: Decimal) -> None:
    await conn.execute(
        "UPDATE sessions SET demo_balance = ? WHERE operator_id = ? AND session_id = ?",
        (str(balance), operator_id, session_id),
    )
