"""The PROTOCOL §3 round as the API and the portal show it, with the delivery state of each call."""

from __future__ import annotations

from typing import Any

from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds.deliveries import deliveries_of
from netspace_mock.domain.rounds.policy import SCENARIOS, Deliveries
from netspace_mock.errors import NotFound
from netspace_mock.sources import iso
from netspace_mock.store import rounds as store
from netspace_mock.store.operators import Operator
from netspace_mock.store.rounds import Round
from netspace_mock.webhooks.outbox import Delivery


async def get(platform: Platform, operator: Operator, round_id: str) -> dict[str, Any]:
    """GET /api/sandbox/rounds/{roundId}."""
    rnd = await store.get_round(platform.db, operator.id, round_id)
    if rnd is None:
        raise NotFound(f"round {round_id!r} does not exist")
    return await describe(platform, rnd)


async def describe(platform: Platform, rnd: Round) -> dict[str, Any]:
    """The PROTOCOL §3 *round*, with the delivery state of each transaction."""
    return describe_state((rnd, await deliveries_of(platform, rnd.operator_id, rnd.round_id)))


def describe_state(state: tuple[Round, Deliveries]) -> dict[str, Any]:
    """`describe` of a round whose deliveries are at hand."""
    rnd, deliveries = state
    bet = deliveries.get("bet")
    revealed = rnd.status != "rejected" and (
        rnd.kind == "demo" or (bet is not None and bet.status == "acknowledged")
    )
    return {
        "round_id": rnd.round_id,
        "session_id": rnd.session_id,
        "player_id": rnd.player_id,
        "game_id": rnd.game_id,
        "currency": rnd.currency,
        "amount": rnd.amount,
        "status": rnd.status,
        "outcome": rnd.outcome if revealed else None,
        "win_amount": rnd.win_amount if revealed else None,
        "result": rnd.result if revealed else None,
        "bet": _entry(bet),
        "win": _entry(deliveries.get("win")),
        "refund": _entry(deliveries.get("refund")),
        "rollback": _entry(deliveries.get("rollback")),
        "balance": rnd.balance,
        "demo": rnd.kind == "demo",
        "free_bet_id": rnd.free_bet_id,
        "is_jackpot": revealed and rnd.outcome == "jackpot",
        "scenario": _scenario_view(rnd),
        "created_at": iso(rnd.created_at),
        "finished_at": None if rnd.finished_at is None else iso(rnd.finished_at),
    }


def _entry(d: Delivery | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "transaction_id": d.transaction_id,
        "amount": d.amount,
        "status": d.status,
        "operator_transaction_id": d.operator_transaction_id,
        "attempts": d.attempts,
        "next_attempt_at": None if d.next_attempt_at is None else iso(d.next_attempt_at),
        "last_error": d.last_error,
    }


def _scenario_view(rnd: Round) -> dict[str, Any] | None:
    if rnd.scenario is None:
        return None
    return {
        "name": rnd.scenario,
        "description": SCENARIOS[rnd.scenario],
        "delay_seconds": rnd.scenario_delay,
        "applied": rnd.scenario_applied_at is not None,
        "applied_at": None if rnd.scenario_applied_at is None else iso(rnd.scenario_applied_at),
    }
