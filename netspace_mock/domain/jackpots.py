"""The Lotterix jackpot, per operator and currency: funded by the operator, paid whole on a hit.

A jackpot round takes the whole pot when it is created (so two rounds cannot both win it); if that
round's bet is then refused or rolled back, the pot is restored. Every update, hit and restore is recorded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from netspace_mock.domain import money
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest
from netspace_mock.sources import iso
from netspace_mock.store import jackpots as store
from netspace_mock.store.db import Connection
from netspace_mock.store.operators import Operator

GAME_ID = "lotterix"


async def update(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    currency, amount = body["currency"], Decimal(body["amount"])
    if not money.is_exact(amount, currency):
        raise InvalidRequest.at(
            "$.amount", f"{currency} amounts have at most {money.DECIMALS[currency]} decimals"
        )
    now = platform.clock.operator_now(operator.id)
    async with platform.db.transaction() as conn:
        await store.put(conn, operator.id, currency, amount, now, "update")
    return {"jackpot": {"game_id": GAME_ID, "amount": amount, "currency": currency, "updated_at": iso(now)}}


async def for_game(platform: Platform, operator: Operator) -> dict[str, Any]:
    """The `jackpot` field of Lotterix's game detail: one entry per funded currency."""
    return {
        row["currency"]: {"amount": Decimal(row["amount"]), "updated_at": iso(row["updated_at"])}
        for row in await store.all_of(platform.db, operator.id)
    }


async def take(
    conn: Connection, platform: Platform, operator_id: int, currency: str, round_id: str
) -> Decimal:
    """Empty the pot for this round; returns what it held (0: nothing to win)."""
    pot, _ = await store.get(conn, operator_id, currency)
    if pot > 0:
        await store.put(
            conn,
            operator_id,
            currency,
            Decimal(0),
            platform.clock.operator_now(operator_id),
            "hit",
            round_id,
            pot,
        )
    return pot


async def restore(
    conn: Connection,
    platform: Platform,
    operator_id: int,
    currency: str,
    amount: Decimal,
    round_id: str,
) -> None:
    pot, _ = await store.get(conn, operator_id, currency)
    await store.put(
        conn,
        operator_id,
        currency,
        pot + amount,
        platform.clock.operator_now(operator_id),
        "restore",
        round_id,
        amount,
    )
