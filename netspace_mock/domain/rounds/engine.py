"""The round engine: runs the delivery policy (policy.py) against the outbox, one round at a time.

`advance` is called by the sandbox bet inline and by the dispatcher for retries; both hold the round's
lock, so calls of one round never overlap. Every step writes its state change and the delivery it
causes in one transaction, before sending; an attempt's answer is written with what it leads to.
"""

from __future__ import annotations

from netspace_mock.domain import calls, free_bets, jackpots
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds import policy
from netspace_mock.domain.rounds.deliveries import deliveries_of, follow_up
from netspace_mock.domain.rounds.policy import Deliveries, Step
from netspace_mock.store import rounds as store
from netspace_mock.store.db import Connection
from netspace_mock.store.rounds import Round
from netspace_mock.store.sessions import Session
from netspace_mock.webhooks import attempts, outbox
from netspace_mock.webhooks.client import Answer
from netspace_mock.webhooks.outbox import Delivery


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
    `known` is the round and deliveries its caller has just written (a new round), so nothing is read."""
    async with platform.locks.hold((operator_id, round_id)):
        if known is not None:
            rnd, deliveries = known
        else:
            rnd = await store.get_round(platform.db, operator_id, round_id)
            deliveries = await deliveries_of(platform, operator_id, round_id)
        while rnd is not None and rnd.status == "open":
            step = _next(platform, rnd, deliveries, send)
            if step.kind == "send":
                await _attempt(platform, rnd, deliveries, step.delivery, session, send)
            elif step.writes:
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


def _next(platform: Platform, rnd: Round, deliveries: Deliveries, send: bool) -> Step:
    now = platform.clock.operator_now(rnd.operator_id)
    return policy.next_step(rnd, deliveries, now, platform.settings, send)


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
    step = _next(platform, rnd, deliveries, send)
    while rnd.status == "open" and step.writes:
        if step.kind == "finish":
            await _finish(conn, platform, rnd, step.status)
        elif step.kind == "follow_up":
            wake = await _write_follow_up(conn, platform, rnd, deliveries, session, step.action) or wake
        else:
            step.delivery.next_attempt_at = step.due
            await outbox.update(conn, step.delivery)
            break  # resumed at start: the dispatcher sends it
        step = _next(platform, rnd, deliveries, send)
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
    now = platform.clock.operator_now(rnd.operator_id)
    due = policy.follow_up_due(rnd, action, now)
    if due is not None:
        # Scenario delayed_win: the win waits in the outbox; the dispatcher sends it when it is due.
        rnd.scenario_applied_at = now
    # The payload's session fields are the round's own (its session, player, currency and game).
    follow = follow_up(platform, rnd, deliveries["bet"], session or rnd, action, due)
    follow.next_attempt_at = due
    await outbox.enqueue(conn, follow)
    deliveries[action] = follow
    return due is not None


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
    """Write what the policy makes of the answer onto the delivery and the round, in memory."""
    now = platform.clock.operator_now(rnd.operator_id)
    done = policy.answered(rnd, delivery, answer, now, platform.settings)
    delivery.status, delivery.next_attempt_at = done.status, done.next_attempt_at
    delivery.last_error, delivery.operator_transaction_id = done.last_error, done.operator_transaction_id
    delivery.updated_at = now
    rnd.balance, rnd.scenario_applied_at = done.balance, done.scenario_applied_at
