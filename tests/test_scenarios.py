"""Fault scenarios of the sandbox bet, through the scripted wallet: exactly the traffic the real platform
would send in that situation, and a round that shows what happened. Also across a restart."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from netspace_mock.app import DISPATCHER
from netspace_mock.serving import PLATFORM
from netspace_mock.sources import parse_iso
from netspace_mock.store import rounds as round_store
from netspace_mock.webhooks import outbox
from support import launch_body

BET = "/api/sandbox/game/bet"


async def launched(op, **kw) -> str:
    await op.ok("POST", "/api/game/launch", launch_body(**kw))
    return kw.get("session_id", "sess-1")


async def play(op, **body) -> dict:
    body.setdefault("session_id", "sess-1")
    body.setdefault("amount", 1)
    return (await op.ok("POST", BET, body))["round"]


async def round_of(op, round_id: str) -> dict:
    await op.client.app[DISPATCHER].idle()
    return (await op.ok("GET", f"/api/sandbox/rounds/{round_id}"))["round"]


def actions(wallet) -> list[str]:
    return [c["payload"]["action_type"] for c in wallet.calls]


def raws(wallet, action: str) -> list[bytes]:
    return [c["raw"] for c in wallet.calls if c["payload"]["action_type"] == action]


async def log_of(op, round_id: str) -> list[dict]:
    _, answer = await op.get(f"/api/sandbox/webhooks?round_id={round_id}&per_page=50")
    return sorted(answer["attempts"], key=lambda a: a["id"])


# ---- bet_timeout ----------------------------------------------------------------------------------


async def test_bet_timeout_rolls_back_a_bet_the_wallet_booked(operator, wallet):
    await launched(operator)
    rnd = await play(operator, amount=3, outcome="win", win_amount=10, scenario="bet_timeout")
    assert actions(wallet) == ["bet", "rollback"]
    bet, rollback = wallet.of("bet")[0], wallet.of("rollback")[0]
    assert rollback["transaction_id"] == bet["transaction_id"] and rollback["amount"] == 3
    assert wallet.balances[("player-1", "USD")] == Decimal(100)  # booked, then reverted
    assert rnd["status"] == "rolled_back" and rnd["bet"]["status"] == "unknown"
    assert (
        rnd["bet"]["last_error"]
        == "scenario bet_timeout: the bet was treated as timed out (the webhook answered: ok)"
    )
    assert rnd["bet"]["operator_transaction_id"] is None  # the answer was dropped, as if it never came
    assert rnd["rollback"]["status"] == "acknowledged" and rnd["win"] is None
    assert rnd["outcome"] is None and rnd["win_amount"] is None  # never revealed: the round did not happen
    assert rnd["scenario"]["name"] == "bet_timeout" and rnd["scenario"]["applied"] is True
    # What the webhook really answered is in the attempt log.
    assert [(a["action_type"], a["outcome"]) for a in await log_of(operator, rnd["round_id"])] == [
        ("bet", "ok"),
        ("rollback", "ok"),
    ]
    assert wallet.problems == [] and wallet.max_overlap == 1


async def test_bet_timeout_rolls_back_even_a_refused_bet(operator, wallet):
    await launched(operator)
    rnd = await play(operator, amount=150, scenario="bet_timeout")  # more than the wallet's 100
    assert actions(wallet) == ["bet", "rollback"]
    assert rnd["status"] == "rolled_back" and "INSUFFICIENT_BALANCE" not in rnd["bet"]["last_error"]
    assert wallet.balances[("player-1", "USD")] == Decimal(100)


async def test_bet_timeout_gives_a_free_bet_stake_back(operator, wallet):
    await launched(operator)
    fb = await operator.ok(
        "POST",
        "/api/v1/freebets/assign",
        {
            "operator_free_bet_id": "op-fb-1",
            "player_id": "player-1",
            "free_bets": {"amount": 5, "currency": "USD", "expires_at": "2099-01-01T00:00:00Z"},
        },
    )
    rnd = await play(operator, amount=2, use_free_bet=True, scenario="bet_timeout")
    assert rnd["status"] == "rolled_back"
    assert wallet.of("bet")[0]["is_free_bet"] is True
    status = await operator.ok(
        "POST", "/api/v1/freebets/status", {"netspace_free_bet_id": fb["free_bet"]["netspace_free_bet_id"]}
    )
    assert status["free_bet"]["remaining_amount"] == 5 and status["free_bet"]["status"] == "active"


# ---- duplicate_win --------------------------------------------------------------------------------


async def test_duplicate_win_sends_the_same_bytes_twice_and_books_once(operator, wallet):
    await launched(operator)
    rnd = await play(operator, amount=1, outcome="win", win_amount=4, scenario="duplicate_win")
    assert actions(wallet) == ["bet", "win", "win"]
    first, second = raws(wallet, "win")
    assert first == second  # same body and transaction_id, byte for byte
    assert wallet.balances[("player-1", "USD")] == Decimal(103)  # an idempotent wallet books it once
    assert rnd["status"] == "settled" and rnd["win"]["status"] == "acknowledged"
    assert rnd["win"]["attempts"] == 2 and rnd["win"]["last_error"] is None
    assert rnd["scenario"]["applied"] is True and rnd["balance"] == 103
    log = await log_of(operator, rnd["round_id"])
    assert [(a["action_type"], a["attempt"], a["outcome"]) for a in log] == [
        ("bet", 1, "ok"),
        ("win", 1, "ok"),
        ("win", 2, "ok"),
    ]
    assert wallet.max_overlap == 1 and wallet.problems == []


async def test_duplicate_win_answered_duplicate_transaction_is_fine(operator, wallet):
    await launched(operator)
    wallet.fail("win", "none", "duplicate")
    rnd = await play(operator, outcome="win", win_amount=2, scenario="duplicate_win")
    assert rnd["status"] == "settled" and rnd["win"]["last_error"] is None
    assert len(wallet.of("win")) == 2


async def test_duplicate_win_that_fails_is_shown_but_the_win_stands(operator, wallet):
    await launched(operator)
    wallet.fail("win", "none", "http500")
    rnd = await play(operator, outcome="win", win_amount=2, scenario="duplicate_win")
    assert rnd["status"] == "settled" and rnd["win"]["status"] == "acknowledged"
    assert rnd["win"]["last_error"] == (
        "scenario duplicate_win: the duplicate was answered transport_error: HTTP 500 from the webhook"
    )
    assert len(wallet.of("win")) == 2  # not retried: the win was acknowledged once already


async def test_duplicate_win_of_a_lost_round_repeats_the_zero_win(operator, wallet):
    await launched(operator)
    rnd = await play(operator, outcome="lose", scenario="duplicate_win")
    assert [w["amount"] for w in wallet.of("win")] == [0, 0] and rnd["status"] == "settled"


# ---- retry_win ------------------------------------------------------------------------------------


async def test_retry_win_drops_the_first_answer_and_retries_the_same_win(operator, wallet):
    await launched(operator)
    rnd = await play(operator, amount=1, outcome="win", win_amount=5, scenario="retry_win")
    # The first attempt reached the wallet (and was booked) but the mock treats its answer as lost.
    assert rnd["status"] == "open" and rnd["win"]["status"] == "pending" and rnd["win"]["attempts"] == 1
    assert rnd["win"]["last_error"] == (
        "scenario retry_win: the first attempt of the win was treated as lost (the webhook answered: ok)"
    )
    assert rnd["win"]["next_attempt_at"] is not None and rnd["win"]["operator_transaction_id"] is None
    done = await round_of(operator, rnd["round_id"])
    assert done["status"] == "settled" and done["win"]["attempts"] == 2 and done["win"]["last_error"] is None
    assert actions(wallet) == ["bet", "win", "win"]
    first, second = raws(wallet, "win")
    assert first == second
    assert wallet.balances[("player-1", "USD")] == Decimal(104)
    assert done["scenario"] == {
        "name": "retry_win",
        "description": done["scenario"]["description"],
        "delay_seconds": None,
        "applied": True,
        "applied_at": done["scenario"]["applied_at"],
    }
    assert [(a["action_type"], a["attempt"]) for a in await log_of(operator, rnd["round_id"])] == [
        ("bet", 1),
        ("win", 1),
        ("win", 2),
    ]


async def test_retry_win_follows_the_backoff(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, webhook_backoff=0.4)
    await launched(op)
    rnd = await play(op, outcome="win", win_amount=2, scenario="retry_win")
    await round_of(op, rnd["round_id"])
    log = await log_of(op, rnd["round_id"])
    wins = [a for a in log if a["action_type"] == "win"]
    gap = _seconds(wins[1]["created_at"]) - _seconds(wins[0]["created_at"])
    assert 0.35 <= gap < 3


async def test_retry_win_with_a_single_attempt_fails_the_win(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, webhook_retries=1)
    await launched(op)
    rnd = await play(op, outcome="win", win_amount=2, scenario="retry_win")
    assert rnd["win"]["status"] == "failed" and rnd["status"] == "open"
    resent = await op.ok(
        "POST",
        "/api/sandbox/deliveries/resend",
        {"action_type": "win", "transaction_id": rnd["win"]["transaction_id"]},
    )
    assert resent["round"]["status"] == "settled"
    assert wallet.balances[("player-1", "USD")] == Decimal(100 - 1 + 2)


# ---- delayed_win ----------------------------------------------------------------------------------


async def test_delayed_win_answers_pending_and_the_dispatcher_delivers_it_later(operator, wallet):
    await launched(operator)
    started = time.monotonic()
    rnd = await play(operator, outcome="win", win_amount=3, scenario="delayed_win", delay_seconds=0.5)
    assert actions(wallet) == ["bet"]
    assert rnd["status"] == "open" and rnd["win"]["status"] == "pending" and rnd["win"]["attempts"] == 0
    assert rnd["scenario"]["delay_seconds"] == 0.5 and rnd["scenario"]["applied"] is True
    assert _seconds(rnd["win"]["next_attempt_at"]) - _seconds(rnd["scenario"]["applied_at"]) == pytest.approx(
        0.5, abs=0.002
    )
    await _until(lambda: len(wallet.of("win")) == 1, timeout=5)
    assert time.monotonic() - started >= 0.45
    done = await round_of(operator, rnd["round_id"])
    assert done["status"] == "settled" and done["win"]["attempts"] == 1
    assert actions(wallet) == ["bet", "win"]
    # The win is stamped with the time it was due, not the time the bet was placed.
    assert wallet.of("win")[0]["timestamp"] == rnd["win"]["next_attempt_at"]
    assert wallet.balances[("player-1", "USD")] == Decimal(102)


async def test_delayed_win_defaults_to_two_seconds_and_follows_the_sandbox_clock(operator, wallet):
    await launched(operator)
    rnd = await play(operator, outcome="win", win_amount=3, scenario="delayed_win")
    assert rnd["scenario"]["delay_seconds"] == 2.0
    assert _seconds(rnd["win"]["next_attempt_at"]) - _seconds(rnd["scenario"]["applied_at"]) == pytest.approx(
        2.0, abs=0.002
    )
    started = time.monotonic()
    await operator.ok("POST", "/api/sandbox/clock", {"advance_seconds": 5})  # due now: no need to wait
    done = await round_of(operator, rnd["round_id"])
    assert done["status"] == "settled" and time.monotonic() - started < 1.5


# ---- across a restart -----------------------------------------------------------------------------


async def test_retry_win_survives_a_restart(mock_factory, wallet):
    first = await mock_factory(webhook_url=wallet.url, webhook_backoff=60.0)
    await launched(first)
    rnd = await play(first, outcome="win", win_amount=2, scenario="retry_win")
    assert rnd["win"]["status"] == "pending" and rnd["win"]["attempts"] == 1
    await first.client.close()  # stopped with the retry a minute away

    second = await mock_factory(webhook_url=wallet.url)
    done = await round_of(second, rnd["round_id"])
    assert done["status"] == "settled" and done["win"]["attempts"] == 2
    assert done["scenario"]["name"] == "retry_win" and done["scenario"]["applied"] is True
    first_raw, second_raw = raws(wallet, "win")
    assert first_raw == second_raw
    assert wallet.balances[("player-1", "USD")] == Decimal(101)


async def test_delayed_win_survives_a_restart_and_keeps_its_delay(mock_factory, wallet):
    first = await mock_factory(webhook_url=wallet.url)
    await launched(first)
    rnd = await play(first, outcome="win", win_amount=2, scenario="delayed_win", delay_seconds=1.0)
    await first.client.close()
    assert actions(wallet) == ["bet"]

    second = await mock_factory(webhook_url=wallet.url)
    _, pending = await second.get(f"/api/sandbox/rounds/{rnd['round_id']}")
    assert pending["round"]["win"]["status"] == "pending"  # not made due at once: the delay is the scenario
    done = await round_of(second, rnd["round_id"])
    assert done["status"] == "settled" and done["scenario"]["name"] == "delayed_win"
    assert wallet.balances[("player-1", "USD")] == Decimal(101)


async def test_duplicate_win_pending_at_a_stop_is_sent_after_the_restart(mock_factory, wallet):
    """Stopped after the win was acknowledged, before its duplicate's answer was recorded: the duplicate
    is sent again after the restart, with the same bytes, and the round settles."""
    first = await mock_factory(webhook_url=wallet.url)
    await launched(first)
    rnd = await play(first, outcome="win", win_amount=2, scenario="duplicate_win")
    # Wind the round back to the state a crash between the two sendings leaves: win due once more.
    db = first.client.app[PLATFORM].db
    stored = await round_store.get_round(db, 1, rnd["round_id"])
    win = next(d for d in await outbox.of_round(db, 1, rnd["round_id"]) if d.action_type == "win")
    win.status, win.next_attempt_at, win.attempts = "pending", time.time() + 60, 1
    stored.status, stored.finished_at = "open", None
    async with db.transaction() as conn:
        await outbox.update(conn, win)
        await round_store.update_round(conn, stored)
    await first.client.close()

    second = await mock_factory(webhook_url=wallet.url)
    done = await round_of(second, rnd["round_id"])
    assert done["status"] == "settled" and done["win"]["status"] == "acknowledged"
    assert len(wallet.of("win")) == 3 and len(set(raws(wallet, "win"))) == 1
    assert wallet.balances[("player-1", "USD")] == Decimal(101)


# ---- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, path, words",
    [
        ({"scenario": "explode"}, "$.scenario", "must be one of"),
        (
            {"scenario": "retry_win", "delay_seconds": 1},
            "$.delay_seconds",
            "only used with scenario 'delayed_win'",
        ),
        ({"delay_seconds": 1}, "$.delay_seconds", "only used with scenario"),
        ({"scenario": "delayed_win", "delay_seconds": 0}, "$.delay_seconds", ""),
        ({"scenario": "delayed_win", "delay_seconds": 3601}, "$.delay_seconds", ""),
        ({"scenario": "duplicate_win", "outcome": "refund"}, "$.scenario", "needs a round that sends a win"),
        ({"scenario": "delayed_win", "outcome": "rollback"}, "$.scenario", "needs a round that sends a win"),
    ],
)
async def test_scenario_validation(operator, wallet, body, path, words):
    await launched(operator)
    err = await operator.error(
        "POST", BET, {"session_id": "sess-1", "amount": 1, **body}, status=400, code="INVALID_REQUEST"
    )
    assert path in err["message"] and words in err["message"]
    assert wallet.calls == []


async def test_demo_sessions_have_no_scenarios(operator, wallet):
    demo = await operator.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix"})
    err = await operator.error(
        "POST",
        BET,
        {"session_id": demo["session_id"], "amount": 1, "scenario": "duplicate_win"},
        status=400,
        code="INVALID_REQUEST",
    )
    assert "demo sessions" in err["message"]


async def test_win_scenarios_need_a_win_when_lost_rounds_are_not_closed(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, close_lost_rounds=False)
    await launched(op)
    err = await op.error(
        "POST",
        BET,
        {"session_id": "sess-1", "amount": 1, "scenario": "retry_win"},
        status=400,
        code="INVALID_REQUEST",
    )
    assert "close_lost_rounds" in err["message"]
    rnd = await play(op, outcome="win", win_amount=2, scenario="retry_win")
    assert rnd["scenario"]["applied"] is True


async def test_a_round_without_scenario_shows_none(operator, wallet):
    await launched(operator)
    assert (await play(operator, outcome="lose"))["scenario"] is None


# ---- helpers --------------------------------------------------------------------------------------


def _seconds(stamp: str) -> float:
    return parse_iso(stamp)


async def _until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)
