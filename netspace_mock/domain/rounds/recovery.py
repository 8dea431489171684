"""Rounds that stopped short: those left open when the process stopped go on at start, and a failed
call is given one more attempt on request."""

from __future__ import annotations

from typing import Any

from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds.engine import advance
from netspace_mock.domain.rounds.views import describe_state
from netspace_mock.errors import InvalidRequest, NotFound
from netspace_mock.store import rounds as store
from netspace_mock.store.operators import Operator
from netspace_mock.webhooks import outbox


async def recover(platform: Platform) -> int:
    """On start, before anything is sent: a bet still pending when the process stopped has an unknown
    outcome (it may have reached the operator), so it is rolled back; every open round's next call is
    written to the outbox and made due, for the dispatcher to send. Returns the rounds resumed."""
    resumed = await store.open_rounds(platform.db)
    for rnd in resumed:
        bet = next(
            d
            for d in await outbox.of_round(platform.db, rnd.operator_id, rnd.round_id)
            if d.action_type == "bet"
        )
        if bet.status == "pending":
            bet.status, bet.updated_at = "unknown", platform.clock.operator_now(rnd.operator_id)
            bet.last_error = "the mock stopped before the bet's answer was recorded"
            async with platform.db.transaction() as conn:
                await outbox.update(conn, bet)
        await advance(platform, rnd.operator_id, rnd.round_id, send=False)
    return len(resumed)


async def resend(
    platform: Platform, operator: Operator, action_type: str, transaction_id: str
) -> dict[str, Any]:
    """POST /api/sandbox/deliveries/resend: give a failed win, refund or rollback one more attempt now."""
    delivery = await outbox.find(platform.db, operator.id, action_type, transaction_id)
    if delivery is None:
        raise NotFound(f"no {action_type} delivery with transaction_id {transaction_id!r}")
    if delivery.status != "failed":
        raise InvalidRequest.at(
            "$.transaction_id", f"only a failed delivery can be resent; this one is {delivery.status}"
        )
    delivery.status, delivery.next_attempt_at, delivery.updated_at = (
        "pending",
        None,
        platform.clock.operator_now(operator.id),
    )
    async with platform.db.transaction() as conn:
        await outbox.update(conn, delivery)
    return describe_state(await advance(platform, operator.id, delivery.round_id))
