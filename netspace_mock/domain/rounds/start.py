"""Starting a round: the session, stake and scenario checked, the outcome planned, the free bet stake
or jackpot pot taken, and the round with its bet written to the outbox; then the engine sends it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from netspace_mock.domain import free_bets, jackpots, money
from netspace_mock.domain.game_math import GameMath
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds.deliveries import delivery
from netspace_mock.domain.rounds.engine import advance
from netspace_mock.domain.rounds.policy import FINAL_STATUS, FOLLOW_UP, WIN_SCENARIOS
from netspace_mock.domain.rounds.views import describe, describe_state
from netspace_mock.domain.sessions import require_session
from netspace_mock.errors import InvalidRequest, InvalidState, WebhookError
from netspace_mock.store import rounds as store
from netspace_mock.store import sessions as session_store
from netspace_mock.store.operators import Operator
from netspace_mock.store.rounds import Round
from netspace_mock.store.sessions import Session
from netspace_mock.webhooks import outbox

DEFAULT_DELAY = 2.0


def _check_stake(game: dict[str, Any], session: Session, amount: Decimal) -> None:
    if not money.is_exact(amount, session.currency):
        places = money.DECIMALS[session.currency]
        raise InvalidRequest.at("$.amount", f"{session.currency} amounts have at most {places} decimals")
    if not Decimal(str(game["min_bet"])) <= amount <= Decimal(str(game["max_bet"])):
        raise InvalidRequest.at(
            "$.amount", f"must be between the game's min_bet {game['min_bet']} and max_bet {game['max_bet']}"
        )


def _plan(
    platform: Platform, game: dict[str, Any], amount: Decimal, currency: str, body: dict[str, Any]
) -> tuple[str, Decimal, dict[str, Any], bool]:
    """Draw the result now (so a restart resumes the same round): outcome, win amount, game result, and
    whether the draw hits the jackpot (the pot itself is taken when the round is written)."""
    outcome = body.get("outcome")
    if body.get("win_amount") is not None and outcome != "win":
        raise InvalidRequest.at("$.win_amount", "is only used with outcome 'win'")
    if outcome in ("refund", "rollback"):
        return outcome, Decimal(0), {}, False
    numbers = body.get("numbers")
    if numbers is not None and game["id"] != jackpots.GAME_ID:
        raise InvalidRequest.at("$.numbers", "numbers are picked only in lotterix")
    if outcome == "jackpot" and game["id"] != jackpots.GAME_ID:
        raise InvalidRequest.at("$.outcome", f"only {jackpots.GAME_ID} has a jackpot")
    picks = [int(n) for n in numbers] if numbers else None
    math = GameMath(game)
    draw = (
        math.jackpot_draw(platform.ids.rng, picks)
        if outcome == "jackpot"
        else math.draw(platform.ids.rng, picks, want=outcome)
    )
    if outcome == "win" and body.get("win_amount") is not None:
        win = Decimal(body["win_amount"])
        if not money.is_exact(win, currency):
            raise InvalidRequest.at(
                "$.win_amount", f"{currency} amounts have at most {money.DECIMALS[currency]} decimals"
            )
    else:
        win = money.quantize(amount * Decimal(str(draw.multiplier)), currency)
    result = {**draw.result, "multiplier": draw.multiplier}
    return ("win" if win > 0 else "lose"), win, result, draw.jackpot


async def play(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/sandbox/game/bet: play one round on a session and return it once its deliveries settled
    or were scheduled for retry."""
    session = await require_session(platform, operator, body["session_id"])
    game = platform.catalog.get(session.game_id)
    amount = Decimal(body["amount"])
    _check_stake(game, session, amount)
    if session.kind == "demo" and (body.get("use_free_bet") or body.get("outcome") == "jackpot"):
        raise InvalidRequest.at(
            "$.use_free_bet" if body.get("use_free_bet") else "$.outcome",
            "demo sessions play with virtual money: no free bets and no jackpot",
        )
    _check_scenario(platform, session, body)
    outcome, win, result, hits_jackpot = _plan(platform, game, amount, session.currency, body)
    now = platform.clock.operator_now(operator.id)
    rnd = Round(
        operator_id=operator.id,
        round_id=platform.ids.make("round_", 24),
        session_id=session.session_id,
        player_id=session.player_id,
        game_id=session.game_id,
        currency=session.currency,
        kind=session.kind,
        amount=amount,
        outcome=outcome,
        win_amount=win,
        result=result,
        status="open",
        balance=None,
        free_bet_id=None,
        created_at=now,
        finished_at=None,
        scenario=body.get("scenario"),
        scenario_delay=_delay(body),
    )
    if session.kind == "demo":
        return await _play_demo(platform, session, rnd)
    async with platform.db.transaction() as conn:
        free_bet_ids = {}
        if body.get("use_free_bet"):
            fb = await free_bets.take_stake(
                conn,
                platform,
                operator.id,
                session.player_id,
                session.currency,
                session.game_id,
                amount,
                rnd.round_id,
            )
            rnd.free_bet_id = fb.netspace_free_bet_id
            free_bet_ids = {
                "is_free_bet": True,
                "operator_free_bet_id": fb.operator_free_bet_id,
                "netspace_free_bet_id": fb.netspace_free_bet_id,
            }
        if hits_jackpot:
            pot = await jackpots.take(conn, platform, operator.id, session.currency, rnd.round_id)
            if pot > 0:
                rnd.outcome, rnd.win_amount = "jackpot", pot
                rnd.result.update(jackpot=pot, multiplier=round(float(pot / amount), 6))
            elif body.get("outcome") == "jackpot":
                raise InvalidState(
                    f"the {session.currency} jackpot is 0; fund it with POST /api/lotterix/jackpot/update"
                )
        bet = delivery(platform, rnd, session, "bet", platform.ids.make("txn_"), amount, **free_bet_ids)
        await store.insert_round(conn, rnd)
        await outbox.enqueue(conn, bet)
    state = await advance(platform, operator.id, rnd.round_id, session, known=(rnd, {"bet": bet}))
    view = describe_state(state)
    if view["bet"]["status"] == "unknown" and rnd.scenario != "bet_timeout":
        # With bet_timeout, an unknown bet is what the operator asked for: the round answers normally.
        raise WebhookError(
            f"the bet's outcome is unknown ({view['bet']['last_error']}); the mock sent a rollback for it",
            details={"round": view},
        )
    return view


def _check_scenario(platform: Platform, session: Session, body: dict[str, Any]) -> None:
    scenario, outcome = body.get("scenario"), body.get("outcome")
    if body.get("delay_seconds") is not None and scenario != "delayed_win":
        raise InvalidRequest.at("$.delay_seconds", "is only used with scenario 'delayed_win'")
    if scenario is None:
        return
    if session.kind == "demo":
        raise InvalidRequest.at(
            "$.scenario", "demo sessions call no webhook, so they have no fault scenarios"
        )
    if scenario in WIN_SCENARIOS and outcome in ("refund", "rollback"):
        raise InvalidRequest.at(
            "$.scenario", f"{scenario} needs a round that sends a win; outcome {outcome!r} sends a {outcome}"
        )
    if (
        scenario in WIN_SCENARIOS
        and not platform.settings.close_lost_rounds
        and outcome not in ("win", "jackpot")
    ):
        raise InvalidRequest.at(
            "$.scenario",
            f"{scenario} needs a round that sends a win, and with close_lost_rounds off a lost round sends "
            "none: give outcome 'win'",
        )


def _delay(body: dict[str, Any]) -> float | None:
    if body.get("scenario") != "delayed_win":
        return None
    return float(body["delay_seconds"]) if body.get("delay_seconds") is not None else DEFAULT_DELAY


async def _play_demo(platform: Platform, session: Session, rnd: Round) -> dict[str, Any]:
    """Demo sessions play with the virtual balance the mock keeps; no webhooks."""
    async with platform.db.transaction() as conn:
        balance = await session_store.demo_balance(conn, session.operator_id, session.session_id)
        if balance < rnd.amount:
            rnd.status = "rejected"
        else:
            credit = rnd.amount if rnd.outcome in ("refund", "rollback") else rnd.win_amount
            balance = balance - rnd.amount + credit
            await session_store.set_demo_balance(conn, session.operator_id, session.session_id, balance)
            rnd.status = FINAL_STATUS[FOLLOW_UP[rnd.outcome]]
        rnd.balance, rnd.finished_at = balance, platform.clock.operator_now(rnd.operator_id)
        await store.insert_round(conn, rnd)
    return await describe(platform, rnd)
