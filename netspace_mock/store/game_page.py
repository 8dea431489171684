"""Reads of the game page: the free bets a player can stake in one session."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from netspace_mock.store.db import Database


@dataclass(frozen=True)
class StakeableFreeBet:
    netspace_free_bet_id: str
    game_id: str | None
    currency: str
    remaining_amount: Decimal
    expires_at: float


async def stakeable_free_bets(
    db: Database, operator_id: int, player_id: str, currency: str, game_id: str, now: float
) -> list[StakeableFreeBet]:
    """Active, unexpired free bets of this player in this currency and game, in the order a round takes
    them (soonest to expire first), with something left to stake."""
    rows = await db.fetchall(
        "SELECT netspace_free_bet_id, game_id, currency, remaining_amount, expires_at FROM free_bets "
        "WHERE operator_id = ? AND player_id = ? AND currency = ? AND status = 'active' AND expires_at > ? "
        "AND (game_id IS NULL OR game_id = ?) ORDER BY expires_at, created_at",
        (operator_id, player_id, currency, now, game_id),
    )
    found = [
        StakeableFreeBet(**{**dict(row), "remaining_amount": Decimal(row["remaining_amount"])})
        for row in rows
    ]
    # Amounts are stored as text, so "more than zero" is decided here, not in SQL's text comparison.
    return [fb for fb in found if fb.remaining_amount > 0]
