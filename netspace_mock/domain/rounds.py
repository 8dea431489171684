"""Rounds: bet → outcome → win (or refund / rollback), delivered per the PROTOCOL §5 policy.

A round is a small state machine driven by `advance`, which the sandbox bet calls inline and the
dispatcher calls for retries; both hold the round's lock, so calls of one round never overlap.
Every step writes its state change and the delivery it causes in one transaction, before sending.
A fault scenario (bet_timeout, duplicate_win, retry_win, delayed_win) is kept in the round and bends
this policy in exactly one place each, so that a restart mid-round goes on with it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from netspace_mock import jsonio
from netspace_mock.domain import calls, free_bets, jackpots, money
from netspace_mock.domain.game_math import GameMath
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.sessions import require_session
from netspace_mock.errors import InvalidRequest, InvalidState, NotFound, WebhookError
from netspace_mock.sources import iso
from netspace_mock.store import rounds as store
from netspace_mock.store import sessions as session_store
from netspace_mock.store.db import Connection
from netspace_mock.store.operators import Operator
from netspace_mock.store.rounds import Round
from netspace_mock.store.sessions import Session
from netspace_mock.webhooks import attempts, outbox
from netspace_mock.webhooks.client import Answer
from netspace_mock.webhooks.outbox import Delivery

FOLLOW_UP = {"win": "win", "lose": "win", "jackpot": "win", "refund": "refund", "rollback": "rollback"}
FINAL_STATUS = {"win": "settled", "refund": "refunded", "rollback": "rolled_back"}

# The fault scenarios of the sandbox bet, each as the round view describes it.
SCENARIOS = {
    "bet_timeout": "the bet is treated as timed out, whatever the webhook answers, and rolled back",
    "duplicate_win": "the win is delivered twice: once acknowledged, it is sent again with the same body "
    "and transaction_id",
    "retry_win": "the first attempt of the win is treated as lost, whatever the webhook answers, and the "
    "win is retried with the same body and transaction_id",
    "delayed_win": "the win is sent delay_seconds after the bet was acknowledged, by the dispatcher",
}
WIN_SCENARIOS = ("duplicate_win", "retry_win", "delayed_win")
DEFAULT_DELAY = 2.0


# ---- starting a round -------------------------------------------------------------------------


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
        bet = _delivery(platform, rnd, session, "bet", platform.ids.make("txn_"), amount, **free_bet_ids)
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


def _delivery(
    platform: Platform,
    rnd: Round,
    session: Session,
    action: str,
    transaction_id: str,
    amount: Decimal,
    **extra: Any,
) -> Delivery:
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


# ---- advancing a round ------------------------------------------------------------------------


Deliveries = dict[str, Delivery]


async def advance(
    platform: Platform,
    operator_id: int,
    round_id: str,
    session: Session | None = None,
    *,
    send: bool = True,
    known: tuple[Round, Deliveries] | None = None,
) -> tuple[Round | None, Deliveries]:
    """Take the round as far as it can go now: send what is due, stop at a scheduled retry or the end.
    With send=False (at start, before the server listens) the next call is only made due, not sent.

    The round and its deliveries are read once, under the round's lock, and then kept in memory: every
    step changes them in place as it writes them, and no one else writes a round while its lock is held.
    `known` is the round and deliveries its caller has just written (a new round), so nothing is read.
    An attempt's answer is written with what it leads to (the next call in the outbox, or the round's
    end) in one transaction."""
    async with platform.locks.hold((operator_id, round_id)):
        if known is not None:
            rnd, deliveries = known
        else:
            rnd = await store.get_round(platform.db, operator_id, round_id)
            deliveries = await _deliveries(platform, operator_id, round_id)
        while rnd is not None and rnd.status == "open":
            kind, delivery = _next(platform, rnd, deliveries, send)
            if kind == "send":
                await _attempt(platform, rnd, deliveries, delivery, session, send)
            elif kind == "write":
                async with platform.db.transaction() as conn:
                    before = _state(rnd)
                    wake = await _progress(conn, platform, rnd, deliveries, session, send)
                    if _state(rnd) != before:
                        await store.update_round(conn, rnd)
                if wake:
                    platform.wake_dispatcher()
            else:
                break
        return rnd, deliveries


def _state(rnd: Round) -> tuple:
    """What of a round its steps change: the columns store.update_round writes."""
    return rnd.status, rnd.balance, rnd.finished_at, rnd.scenario_applied_at


async def _deliveries(platform: Platform, operator_id: int, round_id: str) -> Deliveries:
    return {d.action_type: d for d in await outbox.of_round(platform.db, operator_id, round_id)}


def _follow_action(platform: Platform, rnd: Round, bet: Delivery) -> str | None:
    """The call that follows the bet's answer, or None when the round ends without one."""
    if bet.status == "rejected":
        return None
    if bet.status == "unknown":
        return "rollback"
    if rnd.outcome == "lose" and not platform.settings.close_lost_rounds:
        return None
    return FOLLOW_UP[rnd.outcome]


def _next(platform: Platform, rnd: Round, deliveries: Deliveries, send: bool) -> tuple[str, Delivery | None]:
    """What the open round needs now, decided without I/O: ("send", delivery), ("write", None) when its
    state implies a write (the next call into the outbox, the round's end, a retry made due), or
    ("wait", None)."""
    bet = deliveries["bet"]
    if bet.status == "pending":
        return "send", bet
    action = _follow_action(platform, rnd, bet)
    follow = deliveries.get(action) if action else None
    if action is None or follow is None or follow.status == "acknowledged":
        return "write", None
    if follow.status != "pending":
        return "wait", None  # failed: it waits for a resend
    now = platform.clock.operator_now(rnd.operator_id)
    if not send:
        return ("write", None) if _resume_due(rnd, follow, now) is not None else ("wait", None)
    if follow.next_attempt_at is None or follow.next_attempt_at <= now:
        return "send", follow
    return "wait", None


def _resume_due(rnd: Round, follow: Delivery, now: float) -> float | None:
    """Resumed at start: a pending call is due now, even if its retry was scheduled later (a delayed win
    keeps its delay). The new due time, or None when it is due by then already."""
    due = now
    if rnd.scenario == "delayed_win" and follow.action_type == "win" and follow.attempts == 0:
        due = min(follow.next_attempt_at or now, now + (rnd.scenario_delay or 0))
    if follow.next_attempt_at is None or follow.next_attempt_at > due:
        return due
    return None


async def _progress(
    conn: Connection,
    platform: Platform,
    rnd: Round,
    deliveries: Deliveries,
    session: Session | None,
    send: bool,
) -> bool:
    """Write, in the caller's transaction, every step the round's state implies until the next one is a
    call to send or a wait: the follow-up call into the outbox, the round's end, a retry made due. The
    caller writes the round's row once, if `_state` changed. True when the dispatcher has a call to
    wake up for (a delayed win)."""
    wake = False
    while rnd.status == "open" and _next(platform, rnd, deliveries, send)[0] == "write":
        bet = deliveries["bet"]
        action = _follow_action(platform, rnd, bet)
        follow = deliveries.get(action) if action else None
        if action is None:
            await _finish(conn, platform, rnd, "rejected" if bet.status == "rejected" else "settled")
        elif follow is None:
            wake = await _write_follow_up(conn, platform, rnd, deliveries, session, action) or wake
        elif follow.status == "acknowledged":
            await _finish(conn, platform, rnd, FINAL_STATUS[action])
        else:
            follow.next_attempt_at = _resume_due(rnd, follow, platform.clock.operator_now(rnd.operator_id))
            await outbox.update(conn, follow)
            break  # resumed at start: the dispatcher sends it
    return wake


async def _write_follow_up(
    conn: Connection,
    platform: Platform,
    rnd: Round,
    deliveries: Deliveries,
    session: Session | None,
    action: str,
) -> bool:
    """The call that follows the bet, into the outbox; True when it is a delayed win."""
    delayed = action == "win" and rnd.scenario == "delayed_win"
    due = None
    if delayed:
        # Scenario delayed_win: the win waits in the outbox; the dispatcher sends it when it is due.
        rnd.scenario_applied_at = platform.clock.operator_now(rnd.operator_id)
        due = rnd.scenario_applied_at + (rnd.scenario_delay or 0)
    # The payload's session fields are the round's own (its session, player, currency and game).
    follow = _follow_up(platform, rnd, deliveries["bet"], session or rnd, action, due)
    follow.next_attempt_at = due
    await outbox.enqueue(conn, follow)
    deliveries[action] = follow
    return delayed


def _follow_up(
    platform: Platform, rnd: Round, bet: Delivery, session: Session, action: str, due: float | None = None
) -> Delivery:
    if action == "rollback":
        # A rollback names the transaction it reverts, with that transaction's amount.
        return _delivery(platform, rnd, session, "rollback", bet.transaction_id, bet.amount)
    if action == "refund":
        return _delivery(platform, rnd, session, "refund", platform.ids.make("txn_"), bet.amount)
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
    return _delivery(platform, rnd, session, "win", platform.ids.make("txn_"), rnd.win_amount, **extra)


async def _finish(conn: Connection, platform: Platform, rnd: Round, status: str) -> None:
    """Close the round, with what closing means for its free bet and the jackpot (the round's row is
    written by the caller, in the same transaction)."""
    rnd.status, rnd.finished_at = status, platform.clock.operator_now(rnd.operator_id)
    if rnd.free_bet_id and status in ("rejected", "rolled_back", "refunded"):
        await free_bets.give_back(
            conn,
            platform,
            rnd.operator_id,
            rnd.free_bet_id,
            rnd.amount,
            rnd.round_id,
            f"round {rnd.round_id} {status.replace('_', ' ')}",
        )
    if rnd.free_bet_id and status == "settled" and rnd.win_amount > 0:
        await free_bets.add_winnings(
            conn, platform, rnd.operator_id, rnd.free_bet_id, rnd.win_amount, rnd.round_id
        )
    if rnd.outcome == "jackpot" and status in ("rejected", "rolled_back"):
        await jackpots.restore(conn, platform, rnd.operator_id, rnd.currency, rnd.win_amount, rnd.round_id)


async def _attempt(
    platform: Platform,
    rnd: Round,
    deliveries: Deliveries,
    delivery: Delivery,
    session: Session | None,
    send: bool,
) -> Answer:
    """One attempt of a call; its answer is recorded with what it leads to, in one transaction."""
    operator = platform.operators.by_id(rnd.operator_id)
    delivery.attempts += 1
    # What the round and its calls were before this answer: a recording that fails is applied again
    # (as a transport_error) from here, not on top of a state that was never written.
    kept_round = dict(vars(rnd))
    kept_calls = {action: (d, dict(vars(d))) for action, d in deliveries.items()}
    wake = False

    async def record(conn: Connection, answer: Answer) -> None:
        nonlocal wake
        vars(rnd).update(kept_round)
        deliveries.clear()
        for action, (d, fields) in kept_calls.items():
            vars(d).update(fields)
            deliveries[action] = d
        wake = False
        before = _state(rnd)
        _apply(platform, rnd, delivery, answer)
        await outbox.update(conn, delivery)
        wake = await _progress(conn, platform, rnd, deliveries, session, send)
        if _state(rnd) != before:
            await store.update_round(conn, rnd)

    answer = await attempts.send(
        platform,
        operator,
        calls.webhook_url(platform, operator),
        delivery.action_type,
        delivery.body.encode(),
        attempt=delivery.attempts,
        delivery=delivery,
        session_id=rnd.session_id,
        then=record,
    )
    if wake or delivery.status == "pending":
        platform.wake_dispatcher()
    return answer


def _apply(platform: Platform, rnd: Round, delivery: Delivery, answer: Answer) -> None:
    """The delivery policy of PROTOCOL §5, as a state change of the delivery (and of the round's last
    known balance and scenario)."""
    now = platform.clock.operator_now(rnd.operator_id)
    delivery.updated_at = now
    lost = _treated_as_lost(rnd, delivery)
    if lost:
        # Scenario bet_timeout / retry_win: the answer is dropped as if it never arrived.
        rnd.scenario_applied_at = rnd.scenario_applied_at or now
        delivery.last_error = f"scenario {rnd.scenario}: {lost} (the webhook answered: {answer.outcome})"
        outcome, delivered = "transport_error", False
    elif _is_duplicate(rnd, delivery):
        _apply_duplicate(delivery, answer, rnd)
        return
    else:
        outcome, delivered = answer.outcome, answer.delivered
        delivery.last_error = None if answer.ok else _describe_failure(answer)
        if answer.ok:
            delivery.operator_transaction_id = answer.operator_transaction_id
            rnd.balance = answer.balance
    if delivery.action_type == "bet":
        # Sent once, never retried: acknowledged, refused (no rollback), or unknown (rolled back).
        delivery.status = {"ok": "acknowledged", "business_error": "rejected"}.get(outcome, "unknown")
        delivery.next_attempt_at = None
    elif delivered and rnd.scenario == "duplicate_win" and delivery.action_type == "win":
        # Scenario duplicate_win: acknowledged, and due at once for its duplicate (same body and id).
        rnd.scenario_applied_at = now
        delivery.status, delivery.next_attempt_at = "pending", now
    elif delivered:
        delivery.status, delivery.next_attempt_at = "acknowledged", None
    elif delivery.attempts >= platform.settings.webhook_retries:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delay = platform.settings.webhook_backoff * 2 ** (delivery.attempts - 1)
        delivery.status, delivery.next_attempt_at = "pending", now + delay


def _treated_as_lost(rnd: Round, delivery: Delivery) -> str | None:
    """Why this attempt's answer is to be dropped under the round's scenario, or None."""
    if rnd.scenario == "bet_timeout" and delivery.action_type == "bet":
        return "the bet was treated as timed out"
    if rnd.scenario == "retry_win" and delivery.action_type == "win" and delivery.attempts == 1:
        return "the first attempt of the win was treated as lost"
    return None


def _is_duplicate(rnd: Round, delivery: Delivery) -> bool:
    """The second sending of a duplicate_win's win: its first was acknowledged already."""
    return (
        rnd.scenario == "duplicate_win"
        and delivery.action_type == "win"
        and rnd.scenario_applied_at is not None
    )


def _apply_duplicate(delivery: Delivery, answer: Answer, rnd: Round) -> None:
    """The duplicate closes the win whatever it is answered (the win was acknowledged once); what the
    operator made of it is shown in last_error when it is not the same success."""
    delivery.status, delivery.next_attempt_at = "acknowledged", None
    if answer.ok:
        rnd.balance = answer.balance
        first = delivery.operator_transaction_id
        if first is None:
            delivery.operator_transaction_id = answer.operator_transaction_id
        elif answer.operator_transaction_id != first:
            delivery.last_error = (
                f"scenario duplicate_win: the duplicate was answered with transaction_id "
                f"{answer.operator_transaction_id!r}, the first with {first!r}: was it booked twice?"
            )
    elif not answer.delivered:
        delivery.last_error = (
            f"scenario duplicate_win: the duplicate was answered {_describe_failure(answer)}"
        )


def _describe_failure(answer: Answer) -> str:
    if answer.outcome == "business_error":
        return f"{answer.error_code}: {answer.reason}"
    return f"{answer.outcome}: {answer.reason}"


# ---- restart, resend, views -------------------------------------------------------------------


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
    """Give a failed win, refund or rollback one more attempt now."""
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


async def get(platform: Platform, operator: Operator, round_id: str) -> dict[str, Any]:
    rnd = await store.get_round(platform.db, operator.id, round_id)
    if rnd is None:
        raise NotFound(f"round {round_id!r} does not exist")
    return await describe(platform, rnd)


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


async def describe(platform: Platform, rnd: Round) -> dict[str, Any]:
    """The PROTOCOL §3 *round*, with the delivery state of each transaction."""
    return describe_state((rnd, await _deliveries(platform, rnd.operator_id, rnd.round_id)))


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


async def balance(platform: Platform, operator: Operator, session_id: str) -> dict[str, Any]:
    """GET /api/sandbox/game/balance: asked of the operator's webhook (demo: the virtual balance)."""
    session = await require_session(platform, operator, session_id)
    if session.kind == "demo":
        value = session.demo_balance
    else:
        answer = await calls.ask_balance(platform, operator, session)
        if not answer.ok:
            raise WebhookError(
                f"the webhook's balance answer was {answer.outcome}: {answer.reason}",
                details={"webhook": answer.summary()},
            )
        value = answer.balance
    return {
        "balance": value,
        "currency": session.currency,
        "player_id": session.player_id,
        "session_id": session.session_id,
    }
