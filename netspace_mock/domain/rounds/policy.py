"""The delivery policy of PROTOCOL §5, as pure functions: for a round, its calls and an answer, what
happens next. No I/O and no clock: the engine (engine.py) passes `now` and the settings in, and
applies what comes back. Each fault scenario (SCENARIOS) bends the policy in one place here, and is
kept in the round, so that a restart mid-round goes on with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from netspace_mock.settings import Settings
from netspace_mock.store.rounds import Round
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

Deliveries = dict[str, Delivery]  # a round's calls by action_type


@dataclass(frozen=True)
class Answered:
    """What an attempt's answer makes of its delivery, and of the round's last known balance and
    scenario: every field the engine writes, changed or not."""

    status: str
    next_attempt_at: float | None
    last_error: str | None
    operator_transaction_id: str | None
    balance: Decimal | None
    scenario_applied_at: float | None


@dataclass(frozen=True)
class Step:
    """What an open round needs now: "send" a delivery; write the "follow_up" call (action) into the
    outbox; "finish" the round (status); "resume" a pending delivery, due at `due` (at start); or
    "wait" (for a retry's time, a resend, or the dispatcher)."""

    kind: str
    delivery: Delivery | None = None
    action: str | None = None
    status: str | None = None
    due: float | None = None

    @property
    def writes(self) -> bool:
        return self.kind in ("follow_up", "finish", "resume")


WAIT = Step("wait")


def answered(rnd: Round, delivery: Delivery, answer: Answer, now: float, settings: Settings) -> Answered:
    """The policy for one answer to an attempt (`delivery.attempts` counts it already)."""
    balance, applied = rnd.balance, rnd.scenario_applied_at
    transaction_id = delivery.operator_transaction_id
    lost = treated_as_lost(rnd, delivery)
    if lost:
        # Scenario bet_timeout / retry_win: the answer is dropped as if it never arrived.
        applied = applied or now
        error = f"scenario {rnd.scenario}: {lost} (the webhook answered: {answer.outcome})"
        outcome, delivered = "transport_error", False
    elif is_duplicate(rnd, delivery):
        return _duplicate(rnd, delivery, answer)
    else:
        outcome, delivered = answer.outcome, answer.delivered
        error = None if answer.ok else describe_failure(answer)
        if answer.ok:
            transaction_id, balance = answer.operator_transaction_id, answer.balance
    if delivery.action_type == "bet":
        # Sent once, never retried: acknowledged, refused (no rollback), or unknown (rolled back).
        status = {"ok": "acknowledged", "business_error": "rejected"}.get(outcome, "unknown")
        due = None
    elif delivered and rnd.scenario == "duplicate_win" and delivery.action_type == "win":
        # Scenario duplicate_win: acknowledged, and due at once for its duplicate (same body and id).
        applied = now
        status, due = "pending", now
    elif delivered:
        status, due = "acknowledged", None
    elif delivery.attempts >= settings.webhook_retries:
        status, due = "failed", None
    else:
        status, due = "pending", now + settings.webhook_backoff * 2 ** (delivery.attempts - 1)
    return Answered(status, due, error, transaction_id, balance, applied)


def treated_as_lost(rnd: Round, delivery: Delivery) -> str | None:
    """Why this attempt's answer is to be dropped under the round's scenario, or None."""
    if rnd.scenario == "bet_timeout" and delivery.action_type == "bet":
        return "the bet was treated as timed out"
    if rnd.scenario == "retry_win" and delivery.action_type == "win" and delivery.attempts == 1:
        return "the first attempt of the win was treated as lost"
    return None


def is_duplicate(rnd: Round, delivery: Delivery) -> bool:
    """The second sending of a duplicate_win's win: its first was acknowledged already."""
    return (
        rnd.scenario == "duplicate_win"
        and delivery.action_type == "win"
        and rnd.scenario_applied_at is not None
    )


def _duplicate(rnd: Round, delivery: Delivery, answer: Answer) -> Answered:
    """The duplicate closes the win whatever it is answered (the win was acknowledged once); what the
    operator made of it is shown in last_error when it is not the same success."""
    balance, error = rnd.balance, delivery.last_error
    transaction_id = first = delivery.operator_transaction_id
    if answer.ok:
        balance = answer.balance
        if first is None:
            transaction_id = answer.operator_transaction_id
        elif answer.operator_transaction_id != first:
            error = (
                f"scenario duplicate_win: the duplicate was answered with transaction_id "
                f"{answer.operator_transaction_id!r}, the first with {first!r}: was it booked twice?"
            )
    elif not answer.delivered:
        error = f"scenario duplicate_win: the duplicate was answered {describe_failure(answer)}"
    return Answered("acknowledged", None, error, transaction_id, balance, rnd.scenario_applied_at)


def describe_failure(answer: Answer) -> str:
    if answer.outcome == "business_error":
        return f"{answer.error_code}: {answer.reason}"
    return f"{answer.outcome}: {answer.reason}"


def follow_action(rnd: Round, bet: Delivery, settings: Settings) -> str | None:
    """The call that follows the bet's answer, or None when the round ends without one."""
    if bet.status == "rejected":
        return None
    if bet.status == "unknown":
        return "rollback"
    if rnd.outcome == "lose" and not settings.close_lost_rounds:
        return None
    return FOLLOW_UP[rnd.outcome]


def next_step(rnd: Round, deliveries: Deliveries, now: float, settings: Settings, send: bool) -> Step:
    """What the open round needs now. With send=False (at start, before the server listens) a call
    that is due is only made due ("resume"), never sent."""
    bet = deliveries["bet"]
    if bet.status == "pending":
        return Step("send", bet)
    action = follow_action(rnd, bet, settings)
    if action is None:
        return Step("finish", status="rejected" if bet.status == "rejected" else "settled")
    follow = deliveries.get(action)
    if follow is None:
        return Step("follow_up", action=action)
    if follow.status == "acknowledged":
        return Step("finish", status=FINAL_STATUS[action])
    if follow.status != "pending":
        return WAIT  # failed: it waits for a resend
    if not send:
        due = resume_due(rnd, follow, now)
        return WAIT if due is None else Step("resume", follow, due=due)
    if follow.next_attempt_at is None or follow.next_attempt_at <= now:
        return Step("send", follow)
    return WAIT


def follow_up_due(rnd: Round, action: str, now: float) -> float | None:
    """When the call that follows the bet, written now, is due: None (at once), or, for the win of
    scenario delayed_win, delay_seconds from now (the dispatcher sends it then)."""
    if action == "win" and rnd.scenario == "delayed_win":
        return now + (rnd.scenario_delay or 0)
    return None


def resume_due(rnd: Round, follow: Delivery, now: float) -> float | None:
    """Resumed at start: a pending call is due now, even if its retry was scheduled later (a delayed win
    keeps its delay). The new due time, or None when it is due by then already."""
    due = now
    if rnd.scenario == "delayed_win" and follow.action_type == "win" and follow.attempts == 0:
        due = min(follow.next_attempt_at or now, now + (rnd.scenario_delay or 0))
    if follow.next_attempt_at is None or follow.next_attempt_at > due:
        return due
    return None
