"""A round's calls as outbox rows: the bet, the win, refund or rollback that follows it, and reading
them back by action."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from netspace_mock import jsonio
from netspace_mock.domain import calls, money
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds.policy import Deliveries
from netspace_mock.sources import iso
from netspace_mock.store.rounds import Round
from netspace_mock.store.sessions import Session
from netspace_mock.webhooks import outbox
from netspace_mock.webhooks.outbox import Delivery


def delivery(
    platform: Platform,
    rnd: Round,
    session: Session | Round,
    action: str,
    transaction_id: str,
    amount: Decimal,
    **extra: Any,
) -> Delivery:
    """A pending call of the round, its body stored as the exact bytes to send."""
    now = platform.clock.operator_now(rnd.operator_id)
    body = calls.payload(
        platform,
        action,
        session,
        transaction_id=transaction_id,
        amount=money.quantize(amount, rnd.currency),
        round_id=rnd.round_id,
        **extra,
    )
    return Delivery(
        id=None,
        operator_id=rnd.operator_id,
        round_id=rnd.round_id,
        action_type=action,
        transaction_id=transaction_id,
        player_id=rnd.player_id,
        amount=amount,
        body=jsonio.dumps(body).decode(),
        status="pending",
        attempts=0,
        next_attempt_at=None,
        operator_transaction_id=None,
        last_error=None,
        created_at=now,
        updated_at=now,
    )


def follow_up(
    platform: Platform,
    rnd: Round,
    bet: Delivery,
    session: Session | Round,
    action: str,
    due: float | None = None,
) -> Delivery:
    """The call that follows the bet (`due`: when a delayed win is due to be sent)."""
    if action == "rollback":
        # A rollback names the transaction it reverts, with that transaction's amount.
        return delivery(platform, rnd, session, "rollback", bet.transaction_id, bet.amount)
    if action == "refund":
        return delivery(platform, rnd, session, "refund", platform.ids.make("txn_"), bet.amount)
    extra: dict[str, Any] = {}
    if rnd.free_bet_id:
        sent = json.loads(bet.body)
        extra = {
            "from_free_bet": True,
            "operator_free_bet_id": sent["operator_free_bet_id"],
            "netspace_free_bet_id": sent["netspace_free_bet_id"],
        }
    if rnd.outcome == "jackpot":
        extra["is_jackpot"] = True
    if due is not None:
        # A delayed win is stamped with the time it is due to be sent, as a win that comes later would be.
        extra["timestamp"] = iso(due)
    return delivery(platform, rnd, session, "win", platform.ids.make("txn_"), rnd.win_amount, **extra)


async def deliveries_of(platform: Platform, operator_id: int, round_id: str) -> Deliveries:
    return {d.action_type: d for d in await outbox.of_round(platform.db, operator_id, round_id)}
