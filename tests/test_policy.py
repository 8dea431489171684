"""The delivery policy of PROTOCOL §5, from a table and without a server: for each call, answer and
attempt, the delivery's new status and next attempt, and what the round does next. These are the
functions the round engine runs (domain/rounds/engine.py calls `answered` and `next_step`)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from netspace_mock.domain.rounds import policy
from netspace_mock.settings import Settings
from netspace_mock.store.rounds import Round
from netspace_mock.webhooks.client import Answer
from netspace_mock.webhooks.outbox import Delivery

NOW = 1_000_000.0
RETRIES, BACKOFF = 3, 0.5
SETTINGS = Settings(webhook_retries=RETRIES, webhook_backoff=BACKOFF)
FIRST, LAST = 1, RETRIES

ANSWERS = {
    "ok": Answer("ok", 1.0, {}, http_status=200, balance=Decimal(90), operator_transaction_id="op-2"),
    "business_error": Answer(
        "business_error", 1.0, {}, http_status=200, error_code="INSUFFICIENT_BALANCE", reason="too poor"
    ),
    "DUPLICATE_TRANSACTION": Answer(
        "business_error", 1.0, {}, http_status=200, error_code="DUPLICATE_TRANSACTION", reason="seen"
    ),
    "transport_error": Answer(
        "transport_error", 1.0, {}, http_status=500, reason="HTTP 500 from the webhook"
    ),
    "invalid_response": Answer("invalid_response", 1.0, {}, http_status=200, reason="not a JSON object"),
}
# The outcome the round was planned with, for each call that follows the bet.
OUTCOME_OF = {"win": "win", "refund": "refund", "rollback": "lose"}
FINAL = {"win": "finish settled", "refund": "finish refunded", "rollback": "finish rolled_back"}


def a_round(outcome: str = "win", scenario: str | None = None, **fields) -> Round:
    rnd = Round(
        operator_id=1,
        round_id="round_1",
        session_id="sess-1",
        player_id="player-1",
        game_id="lotterix",
        currency="USD",
        kind="real",
        amount=Decimal(10),
        outcome=outcome,
        win_amount=Decimal(25) if outcome == "win" else Decimal(0),
        result={},
        status="open",
        balance=Decimal(100),
        free_bet_id=None,
        created_at=NOW - 5,
        finished_at=None,
        scenario=scenario,
        scenario_delay=2.0 if scenario == "delayed_win" else None,
    )
    return replace(rnd, **fields)


def a_call(action: str, status: str = "pending", attempts: int = 1, **fields) -> Delivery:
    call = Delivery(
        id=1,
        operator_id=1,
        round_id="round_1",
        action_type=action,
        transaction_id="txn_bet" if action in ("bet", "rollback") else f"txn_{action}",
        player_id="player-1",
        amount=Decimal(10),
        body="{}",
        status=status,
        attempts=attempts,
        next_attempt_at=None,
        operator_transaction_id=None,
        last_error=None,
        created_at=NOW - 5,
        updated_at=NOW - 5,
    )
    return replace(call, **fields)


def calls_with(action: str, call: Delivery) -> policy.Deliveries:
    """The round's calls when `call` follows the bet: a rollback follows a bet whose outcome is unknown."""
    bet = a_call("bet", "unknown" if action == "rollback" else "acknowledged")
    return {"bet": bet, action: call}


def told(step: policy.Step) -> str:
    """A step in words: "send win", "follow_up rollback", "finish settled", "resume win", "wait"."""
    what = step.delivery.action_type if step.delivery else step.action or step.status
    return step.kind if what is None else f"{step.kind} {what}"


def after(rnd: Round, call: Delivery, answer: str) -> tuple[policy.Answered, Round, Delivery]:
    """The policy's verdict on `answer`, and the round and call with it written, as the engine does."""
    done = policy.answered(rnd, call, ANSWERS[answer], NOW, SETTINGS)
    call = replace(
        call,
        status=done.status,
        next_attempt_at=done.next_attempt_at,
        last_error=done.last_error,
        operator_transaction_id=done.operator_transaction_id,
    )
    rnd = replace(rnd, balance=done.balance, scenario_applied_at=done.scenario_applied_at)
    return done, rnd, call


# A bet is sent once and never retried: its first attempt is also its last.
BET_ROWS = [
    ("ok", "acknowledged", "follow_up win"),
    ("business_error", "rejected", "finish rejected"),
    ("DUPLICATE_TRANSACTION", "rejected", "finish rejected"),
    ("transport_error", "unknown", "follow_up rollback"),
    ("invalid_response", "unknown", "follow_up rollback"),
]


@pytest.mark.parametrize(("answer", "status", "then"), BET_ROWS)
def test_a_bet_answered(answer, status, then):
    done, rnd, bet = after(a_round("win"), a_call("bet"), answer)
    assert (done.status, done.next_attempt_at) == (status, None)
    assert told(policy.next_step(rnd, {"bet": bet}, NOW, SETTINGS, send=True)) == then
    assert done.balance == (Decimal(90) if answer == "ok" else Decimal(100))
    assert done.last_error == (None if answer == "ok" else policy.describe_failure(ANSWERS[answer]))


# (answer, attempt, status, seconds to the next attempt or None, what follows now)
FOLLOW_UP_ROWS = [
    ("ok", FIRST, "acknowledged", None, "final"),
    ("ok", LAST, "acknowledged", None, "final"),
    ("DUPLICATE_TRANSACTION", FIRST, "acknowledged", None, "final"),
    ("DUPLICATE_TRANSACTION", LAST, "acknowledged", None, "final"),
    ("business_error", FIRST, "pending", BACKOFF, "wait"),
    ("business_error", LAST, "failed", None, "wait"),
    ("transport_error", FIRST, "pending", BACKOFF, "wait"),
    ("transport_error", 2, "pending", BACKOFF * 2, "wait"),
    ("transport_error", LAST, "failed", None, "wait"),
    ("invalid_response", FIRST, "pending", BACKOFF, "wait"),
    ("invalid_response", LAST, "failed", None, "wait"),
]


@pytest.mark.parametrize("action", ["win", "refund", "rollback"])
@pytest.mark.parametrize(("answer", "attempt", "status", "retry_in", "then"), FOLLOW_UP_ROWS)
def test_a_follow_up_call_answered(action, answer, attempt, status, retry_in, then):
    rnd = a_round(OUTCOME_OF[action])
    done, rnd, call = after(rnd, a_call(action, attempts=attempt), answer)
    assert done.status == status
    assert done.next_attempt_at == (None if retry_in is None else NOW + retry_in)
    calls = calls_with(action, call)
    step = told(policy.next_step(rnd, calls, NOW, SETTINGS, send=True))
    assert step == (FINAL[action] if then == "final" else then)
    if retry_in is not None:  # the retry is sent when its time comes, not before
        assert told(policy.next_step(rnd, calls, NOW + retry_in - 0.001, SETTINGS, send=True)) == "wait"
        assert told(policy.next_step(rnd, calls, NOW + retry_in, SETTINGS, send=True)) == f"send {action}"


@pytest.mark.parametrize(
    ("outcome", "bet_status", "close_lost_rounds", "then"),
    [
        ("win", "acknowledged", True, "follow_up win"),
        ("lose", "acknowledged", True, "follow_up win"),
        ("lose", "acknowledged", False, "finish settled"),
        ("jackpot", "acknowledged", True, "follow_up win"),
        ("refund", "acknowledged", True, "follow_up refund"),
        ("rollback", "acknowledged", True, "follow_up rollback"),
        ("win", "rejected", True, "finish rejected"),
        ("win", "unknown", True, "follow_up rollback"),
        ("win", "pending", True, "send bet"),
    ],
)
def test_what_follows_the_bet(outcome, bet_status, close_lost_rounds, then):
    settings = replace(SETTINGS, close_lost_rounds=close_lost_rounds)
    calls = {"bet": a_call("bet", bet_status)}
    assert told(policy.next_step(a_round(outcome), calls, NOW, settings, send=True)) == then


# ---- the fault scenarios, each where it bends the policy ---------------------------------------


@pytest.mark.parametrize("answer", ["ok", "business_error", "transport_error"])
def test_bet_timeout_treats_any_answer_as_lost(answer):
    done, rnd, bet = after(a_round(scenario="bet_timeout"), a_call("bet"), answer)
    assert (done.status, done.next_attempt_at, done.scenario_applied_at) == ("unknown", None, NOW)
    assert done.last_error.startswith("scenario bet_timeout: the bet was treated as timed out")
    assert done.balance == Decimal(100)  # what the webhook said is dropped
    assert told(policy.next_step(rnd, {"bet": bet}, NOW, SETTINGS, send=True)) == "follow_up rollback"


def test_retry_win_drops_the_first_answer_and_takes_the_second():
    rnd = a_round(scenario="retry_win")
    done, rnd, win = after(rnd, a_call("win", attempts=FIRST), "ok")
    assert (done.status, done.next_attempt_at, done.scenario_applied_at) == ("pending", NOW + BACKOFF, NOW)
    assert done.last_error.startswith("scenario retry_win: the first attempt of the win was treated as lost")
    done, rnd, win = after(rnd, replace(win, attempts=2), "ok")
    assert (done.status, done.next_attempt_at, done.last_error) == ("acknowledged", None, None)
    assert told(policy.next_step(rnd, calls_with("win", win), NOW, SETTINGS, send=True)) == "finish settled"


def test_duplicate_win_sends_the_acknowledged_win_once_more_at_once():
    done, rnd, win = after(a_round(scenario="duplicate_win"), a_call("win"), "ok")
    assert (done.status, done.next_attempt_at, done.scenario_applied_at) == ("pending", NOW, NOW)
    assert done.operator_transaction_id == "op-2"
    assert told(policy.next_step(rnd, calls_with("win", win), NOW, SETTINGS, send=True)) == "send win"


@pytest.mark.parametrize(
    ("answer", "operator_transaction_id", "last_error"),
    [
        ("ok", "op-2", None),  # the same success
        ("ok", "op-1", "was it booked twice?"),  # a success with another transaction_id
        ("DUPLICATE_TRANSACTION", "op-1", None),
        ("transport_error", "op-1", "the duplicate was answered transport_error: HTTP 500"),
        ("business_error", "op-1", "the duplicate was answered INSUFFICIENT_BALANCE: too poor"),
    ],
)
def test_duplicate_win_closes_the_win_whatever_the_duplicate_is_answered(
    answer, operator_transaction_id, last_error
):
    rnd = a_round(scenario="duplicate_win", scenario_applied_at=NOW - 1)
    win = a_call("win", attempts=2, operator_transaction_id=operator_transaction_id)
    done, rnd, win = after(rnd, win, answer)
    assert (done.status, done.next_attempt_at, done.scenario_applied_at) == ("acknowledged", None, NOW - 1)
    assert done.operator_transaction_id == operator_transaction_id
    assert (done.last_error is None) == (last_error is None)
    if last_error is not None:
        assert last_error in done.last_error
    assert told(policy.next_step(rnd, calls_with("win", win), NOW, SETTINGS, send=True)) == "finish settled"


def test_delayed_win_is_due_delay_seconds_after_the_bet():
    rnd = a_round(scenario="delayed_win")
    assert policy.follow_up_due(rnd, "win", NOW) == NOW + 2.0
    assert policy.follow_up_due(a_round(), "win", NOW) is None
    assert policy.follow_up_due(a_round("refund", scenario="delayed_win"), "refund", NOW) is None
    win = a_call("win", attempts=0, next_attempt_at=NOW + 2.0)
    calls = calls_with("win", win)
    assert told(policy.next_step(rnd, calls, NOW + 1, SETTINGS, send=True)) == "wait"
    assert told(policy.next_step(rnd, calls, NOW + 2, SETTINGS, send=True)) == "send win"


# ---- at start (send=False): a pending call is made due, never sent -----------------------------


@pytest.mark.parametrize(
    ("scenario", "attempts", "next_in", "then", "due_in"),
    [
        (None, 0, None, "resume win", 0.0),  # written, never sent: due now
        (None, 1, 60.0, "resume win", 0.0),  # a retry scheduled later: due now
        (None, 1, -1.0, "wait", None),  # due already
        ("delayed_win", 0, 5.0, "resume win", 2.0),  # a delayed win keeps its delay, from now at most
        ("delayed_win", 0, 1.0, "wait", None),  # due before that
        ("delayed_win", 1, 60.0, "resume win", 0.0),  # sent once already: a retry like any other
    ],
)
def test_at_start_a_pending_call_is_made_due(scenario, attempts, next_in, then, due_in):
    rnd = a_round(scenario=scenario)
    win = a_call("win", attempts=attempts, next_attempt_at=None if next_in is None else NOW + next_in)
    step = policy.next_step(rnd, calls_with("win", win), NOW, SETTINGS, send=False)
    assert told(step) == then
    assert step.due == (None if due_in is None else NOW + due_in)


def test_at_start_an_answered_bet_gets_its_follow_up_written():
    calls = {"bet": a_call("bet", "acknowledged")}
    assert told(policy.next_step(a_round(), calls, NOW, SETTINGS, send=False)) == "follow_up win"


def test_a_failed_call_waits_for_a_resend():
    calls = calls_with("win", a_call("win", "failed", attempts=LAST))
    assert told(policy.next_step(a_round(), calls, NOW, SETTINGS, send=True)) == "wait"
    assert told(policy.next_step(a_round(), calls, NOW, SETTINGS, send=False)) == "wait"
