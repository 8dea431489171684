"""The free_bets and free_bet_events tables. Writes take the open transaction's connection."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from netspace_mock.store.db import Connection, Database, Row, one, row_values, rows

AMOUNTS = ("amount", "remaining_amount", "used_amount", "winnings_amount")


@dataclass
class FreeBet:
    operator_id: int
    netspace_free_bet_id: str
    operator_free_bet_id: str
    player_id: str
    game_id: str | None
    currency: str
    amount: Decimal
    remaining_amount: Decimal
    used_amount: Decimal
    winnings_amount: Decimal
    status: str
    expires_at: float
    created_at: float
    cancel_reason: str | None


def _free_bet(row: Row) -> FreeBet:
    data = dict(row)
    for key in AMOUNTS:
        data[key] = Decimal(data[key])
    return FreeBet(**data)


async def _one(conn: Connection, sql: str, params: tuple) -> FreeBet | None:
    row = await one(conn, sql, params)
    return _free_bet(row) if row else None


async def by_operator_id(conn: Connection, operator_id: int, operator_free_bet_id: str) -> FreeBet | None:
    return await _one(
        conn,
        "SELECT * FROM free_bets WHERE operator_id = ? AND operator_free_bet_id = ?",
        (operator_id, operator_free_bet_id),
    )


async def get(conn: Connection, operator_id: int, netspace_free_bet_id: str) -> FreeBet | None:
    return await _one(
        conn,
        "SELECT * FROM free_bets WHERE operator_id = ? AND netspace_free_bet_id = ?",
        (operator_id, netspace_free_bet_id),
    )


async def usable(
    conn: Connection, operator_id: int, player_id: str, currency: str, game_id: str, now: float
) -> list[FreeBet]:
    """Active, unexpired free bets this player can stake in this currency and game, soonest to expire first."""
    found = await rows(
        conn,
        "SELECT * FROM free_bets WHERE operator_id = ? AND player_id = ? AND currency = ? AND status = 'active' "
        "AND expires_at > ? AND (game_id IS NULL OR game_id = ?) ORDER BY expires_at, created_at",
        (operator_id, player_id, currency, now, game_id),
    )
    return [_free_bet(r) for r in found]


async def of_player(conn: Connection, operator_id: int, player_id: str) -> list[FreeBet]:
    found = await rows(
        conn,
        "SELECT * FROM free_bets WHERE operator_id = ? AND player_id = ? ORDER BY created_at",
        (operator_id, player_id),
    )
    return [_free_bet(r) for r in found]


async def insert(conn: Connection, fb: FreeBet) -> None:
    values = row_values(fb)
    for key in AMOUNTS:
        values[key] = str(values[key])
    await conn.execute(
        f"INSERT INTO free_bets({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})", values
    )


async def update(conn: Connection, fb: FreeBet) -> None:
    await conn.execute(
        "UPDATE free_bets SET remaining_amount = ?, used_amount = ?, winnings_amount = ?, status = ?, "
        "cancel_reason = ? WHERE operator_id = ? AND netspace_free_bet_id = ?",
        (
            str(fb.remaining_amount),
            str(fb.used_amount),
            str(fb.winnings_amount),
            fb.status,
            fb.cancel_reason,
            fb.operator_id,
            fb.netspace_free_bet_id,
        ),
    )


async def record(
    conn: Connection,
    fb: FreeBet,
    event: str,
    cause: str,
    at: float,
    amount: Decimal | None = None,
    round_id: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO free_bet_events(operator_id, netspace_free_bet_id, event, amount, round_id, cause, at) "
        "VALUES (?,?,?,?,?,?,?)",
        (
            fb.operator_id,
            fb.netspace_free_bet_id,
            event,
            None if amount is None else str(amount),
            round_id,
            cause,
            at,
        ),
    )


async def events(db: Database, operator_id: int, netspace_free_bet_id: str) -> list[dict]:
    rows = await db.fetchall(
        "SELECT event, amount, round_id, cause, at FROM free_bet_events WHERE operator_id = ? "
        "AND netspace_free_bet_id = ? ORDER BY id",
        (operator_id, netspace_free_bet_id),
    )
    return [dict(r) for r in rows]


async def expired_active(conn: Connection, now: float) -> list[FreeBet]:
    """Active free bets past their expiry at the platform's time `now`, each in its operator's time
    (which runs ahead by its sandbox clock)."""
    found = await rows(
        conn,
        "SELECT f.* FROM free_bets f LEFT JOIN sandbox_clocks c USING (operator_id) "
        "WHERE f.status = 'active' AND f.expires_at - COALESCE(c.ahead_seconds, 0) <= ?",
        (now,),
    )
    return [_free_bet(r) for r in found]
