"""The sessions, launch_tokens and players tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from netspace_mock.store.db import Connection, Database


@dataclass(frozen=True)
class Session:
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


def _session(row) -> Session:
    data = dict(row)
    if data["demo_balance"] is not None:
        data["demo_balance"] = Decimal(data["demo_balance"])
    return Session(**data)


async def get(db: Database, operator_id: int, session_id: str) -> Session | None:
    row = await db.fetchone(
        "SELECT * FROM sessions WHERE operator_id = ? AND session_id = ?", (operator_id, session_id)
    )
    return _session(row) if row else None


async def by_token(db: Database, token: str) -> Session | None:
    row = await db.fetchone(
        "SELECT s.* FROM launch_tokens t JOIN sessions s USING (operator_id, session_id) WHERE t.token = ?",
        (token,),
    )
    return _session(row) if row else None


async def create_or_relaunch(
    db: Database, session: Session, token: str, seen_at: str, compatible: Callable[[Session], bool]
) -> tuple[Session, bool]:
    """Insert the session, or relaunch the stored one, with a fresh launch token; record the player.

    Returns the stored session and whether it already existed. A stored session that is not
    `compatible` with the request is returned untouched and nothing is written. One transaction, so two
    concurrent launches of one session_id cannot both create it.
    """
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT * FROM sessions WHERE operator_id = ? AND session_id = ?",
            (session.operator_id, session.session_id),
        ) as cur:
            row = await cur.fetchone()
        if row is not None:
            stored = _session(row)
            if not compatible(stored):
                return stored, True
            # A relaunch may open another game or language in the same session.
            await conn.execute(
                "UPDATE sessions SET game_id = ?, language = ?, return_url = COALESCE(?, return_url), "
                "client_ip = COALESCE(?, client_ip) WHERE operator_id = ? AND session_id = ?",
                (
                    session.game_id,
                    session.language,
                    session.return_url,
                    session.client_ip,
                    session.operator_id,
                    session.session_id,
                ),
            )
            stored = replace(
                stored,
                game_id=session.game_id,
                language=session.language,
                return_url=session.return_url or stored.return_url,
                client_ip=session.client_ip or stored.client_ip,
            )
        else:
            stored = session
            await conn.execute(
                "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
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
        if stored.kind != "demo":
            await conn.execute(
                "INSERT INTO players(operator_id, player_id, first_seen_at, last_seen_at) VALUES (?,?,?,?) "
                "ON CONFLICT DO UPDATE SET last_seen_at = excluded.last_seen_at",
                (stored.operator_id, stored.player_id, seen_at, seen_at),
            )
            await conn.execute(
                "INSERT OR IGNORE INTO player_currencies(operator_id, player_id, currency) VALUES (?,?,?)",
                (stored.operator_id, stored.player_id, stored.currency),
            )
        await conn.execute(
            "INSERT INTO launch_tokens(token, operator_id, session_id, created_at) VALUES (?,?,?,?)",
            (token, stored.operator_id, stored.session_id, session.created_at),
        )
    return stored, row is not None


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
