"""Rounds through a real scripted wallet: payloads, signatures, ordering, outcomes, delivery policy."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from netspace_mock.app import DISPATCHER
from netspace_mock.serving import PLATFORM
from support import launch_body


async def launched(op, **kw):
    await op.ok("POST", "/api/game/launch", launch_body(**kw))
    return kw.get("session_id", "sess-1")


async def bet(op, **body):
    body.setdefault("session_id", "sess-1")
    body.setdefault("amount", 1)
    return (await op.ok("POST", "/api/sandbox/game/bet", body))["round"]


async def settle(op):
    await op.client.app[DISPATCHER].idle()


async def test_winning_round_sends_bet_then_win_signed_and_on_schema(operator, wallet):
    await launched(operator)
    rnd = await bet(operator, amount=2.5, outcome="win", win_amount=7.25)
    assert rnd["status"] == "settled" and rnd["outcome"] == "win"
    actions = [c["payload"]["action_type"] for c in wallet.calls]
    assert actions == ["bet", "win"]
    b, w = wallet.of("bet")[0], wallet.of("win")[0]
    assert b["amount"] == 2.5 and w["amount"] == 7.25
    assert b["round_id"] == w["round_id"] == rnd["round_id"]
    assert b["transaction_id"] != w["transaction_id"]
    for tid in (b["transaction_id"], w["transaction_id"]):
        assert tid.startswith("txn_") and len(tid) == 36
    assert (b["session_id"], b["player_id"], b["currency"], b["game_id"]) == (
        "sess-1",
        "player-1",
        "USD",
        "lotterix",
    )
    assert b["timestamp"].endswith("Z") and len(b["timestamp"]) == 24
    assert wallet.problems == []  # every call verified and on its schema
    assert rnd["bet"]["operator_transaction_id"] == "op-1" and rnd["win"]["operator_transaction_id"] == "op-2"
    assert rnd["balance"] == 100 - 2.5 + 7.25
    # The signature covers the exact bytes sent, and PATH is the webhook URL's path.
    assert wallet.calls[0]["headers"]["X-API-Key"] == "sandbox-api-key"


async def test_losing_round_closes_with_zero_win(operator, wallet):
    await launched(operator)
    rnd = await bet(operator, outcome="lose")
    assert rnd["status"] == "settled" and rnd["win"]["amount"] == 0
    assert [w["amount"] for w in wallet.of("win")] == [0]


async def test_close_lost_rounds_off_sends_no_win(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, close_lost_rounds=False)
    await launched(op)
    rnd = await bet(op, outcome="lose")
    assert rnd["status"] == "settled" and rnd["win"] is None
    assert wallet.of("win") == []


async def test_refund_and_rollback_outcomes(operator, wallet):
    await launched(operator)
    refunded = await bet(operator, amount=3, outcome="refund")
    assert refunded["status"] == "refunded"
    refund = wallet.of("refund")[0]
    assert refund["amount"] == 3 and refund["transaction_id"] != wallet.of("bet")[0]["transaction_id"]
    rolled = await bet(operator, amount=4, outcome="rollback")
    assert rolled["status"] == "rolled_back"
    rollback = wallet.of("rollback")[0]
    # A rollback names the transaction it reverts, with that transaction's amount.
    assert rollback["transaction_id"] == wallet.of("bet")[1]["transaction_id"] and rollback["amount"] == 4
    assert wallet.balances[("player-1", "USD")] == Decimal(100)


async def test_insufficient_balance_rejects_without_rollback(operator, wallet):
    await launched(operator)
    rnd = await bet(operator, amount=150)
    assert rnd["status"] == "rejected" and rnd["bet"]["status"] == "rejected"
    assert rnd["bet"]["last_error"].startswith("INSUFFICIENT_BALANCE")
    assert rnd["outcome"] is None and rnd["win"] is None and rnd["rollback"] is None
    assert [c["payload"]["action_type"] for c in wallet.calls] == ["bet"]


async def test_bet_timeout_is_rolled_back(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, webhook_timeout=0.2)
    await launched(op)
    wallet.fail("bet", "late:0.5")  # the wallet books the bet but answers too late
    status, answer = await op.post("/api/sandbox/game/bet", {"session_id": "sess-1", "amount": 5})
    assert status == 502 and answer["error"]["code"] == "WEBHOOK_ERROR"
    rnd = answer["error"]["details"]["round"]
    assert rnd["bet"]["status"] == "unknown" and "no answer within 0.2 s" in rnd["bet"]["last_error"]
    assert rnd["status"] == "rolled_back" and rnd["rollback"]["status"] == "acknowledged"
    assert wallet.of("rollback")[0]["transaction_id"] == wallet.of("bet")[0]["transaction_id"]
    assert wallet.of("win") == []
    assert wallet.balances[("player-1", "USD")] == Decimal(100)


async def test_bet_transport_errors_each_roll_back(operator, wallet):
    await launched(operator)
    for fault in ("http500", "garbage", "string_balance", "no_txn_id"):
        wallet.fail("bet", fault)
        status, answer = await operator.post("/api/sandbox/game/bet", {"session_id": "sess-1", "amount": 1})
        assert status == 502, fault
        assert answer["error"]["details"]["round"]["status"] == "rolled_back", fault
    _, attempts = await operator.get("/api/sandbox/webhooks?action=bet&per_page=10")
    outcomes = sorted(a["outcome"] for a in attempts["attempts"])
    assert outcomes == ["invalid_response", "invalid_response", "invalid_response", "transport_error"]
    reasons = " | ".join(a["reason"] for a in attempts["attempts"])
    assert (
        "not valid JSON" in reasons
        and "$.balance must be a number" in reasons
        and "$.transaction_id is required" in reasons
    )
    assert wallet.balances[("player-1", "USD")] == Decimal(
        100
    )  # string_balance/no_txn_id booked, then reverted


async def test_win_is_retried_until_delivered(operator, wallet):
    await launched(operator)
    wallet.fail("win", "http500", "sleep:0", "garbage")
    rnd = await bet(operator, amount=1, outcome="win", win_amount=3)
    assert rnd["status"] == "open" and rnd["win"]["status"] == "pending"
    await settle(operator)
    _, detail = await operator.get(f"/api/sandbox/rounds/{rnd['round_id']}")
    assert detail["round"]["status"] == "settled" and detail["round"]["win"]["attempts"] == 4
    wins = wallet.of("win")
    assert len(wins) == 4 and len({w["transaction_id"] for w in wins}) == 1
    raws = {c["raw"] for c in wallet.calls if c["payload"]["action_type"] == "win"}
    assert len(raws) == 1  # the same body, byte for byte, on every attempt
    assert wallet.balances[("player-1", "USD")] == Decimal(102)
    _, log = await operator.get(f"/api/sandbox/webhooks?round_id={rnd['round_id']}&action=win")
    assert sorted(a["attempt"] for a in log["attempts"]) == [1, 2, 3, 4]


async def test_win_fails_after_last_attempt_and_can_be_resent(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, webhook_retries=3)
    await launched(op)
    wallet.fail("win", "http500", "http500", "http500")
    rnd = await bet(op, amount=1, outcome="win", win_amount=2)
    await settle(op)
    _, failed = await op.get("/api/sandbox/deliveries?status=failed")
    assert [d["transaction_id"] for d in failed["deliveries"]] == [rnd["win"]["transaction_id"]]
    assert failed["deliveries"][0]["attempts"] == 3 and "HTTP 500" in failed["deliveries"][0]["last_error"]
    resent = await op.ok(
        "POST",
        "/api/sandbox/deliveries/resend",
        {"action_type": "win", "transaction_id": rnd["win"]["transaction_id"]},
    )
    assert resent["round"]["status"] == "settled" and resent["round"]["win"]["status"] == "acknowledged"
    err = await op.error(
        "POST",
        "/api/sandbox/deliveries/resend",
        {"action_type": "win", "transaction_id": rnd["win"]["transaction_id"]},
        status=400,
        code="INVALID_REQUEST",
    )
    assert "only a failed delivery" in err["message"]


async def test_duplicate_transaction_counts_as_delivered(operator, wallet):
    await launched(operator)
    wallet.fail("win", "duplicate")
    rnd = await bet(operator, amount=1, outcome="win", win_amount=2)
    assert rnd["status"] == "settled" and rnd["win"]["status"] == "acknowledged"
    assert len(wallet.of("win")) == 1


async def test_calls_of_one_round_never_overlap_under_concurrency(operator, wallet):
    sessions = [f"s{i}" for i in range(20)]
    for sid in sessions:
        await launched(operator, session_id=sid, player_id=f"p-{sid}")
    wallet.fail("win", *["http500"] * 30)
    rounds = await asyncio.gather(*[bet(operator, session_id=sessions[i % 20], amount=1) for i in range(200)])
    await settle(operator)
    assert wallet.max_overlap == 1
    assert wallet.problems == []
    # Every win came after its bet, for every round.
    order: dict[str, list[str]] = {}
    for call in wallet.calls:
        order.setdefault(call["payload"]["round_id"], []).append(call["payload"]["action_type"])
    assert all(actions[0] == "bet" and set(actions[1:]) <= {"win"} for actions in order.values())
    assert len(rounds) == 200 and len(order) == 200


async def test_demo_session_plays_with_virtual_money_and_no_webhooks(operator, wallet):
    demo = await operator.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix"})
    sid = demo["session_id"]
    rnd = await bet(operator, session_id=sid, amount=10, outcome="win", win_amount=25)
    assert rnd["demo"] is True and rnd["balance"] == 1015
    balance = await operator.ok("GET", f"/api/sandbox/game/balance?session_id={sid}")
    assert balance["balance"] == 1015
    broke = await bet(operator, session_id=sid, amount=500, outcome="lose")
    broke = await bet(operator, session_id=sid, amount=500, outcome="lose")
    broke = await bet(operator, session_id=sid, amount=100)
    assert broke["status"] == "rejected" and broke["balance"] == 15
    assert wallet.calls == []


async def test_balance_is_asked_of_the_webhook(operator, wallet):
    await launched(operator)
    answer = await operator.ok("GET", "/api/sandbox/game/balance?session_id=sess-1")
    assert answer == {
        "success": True,
        "balance": 100,
        "currency": "USD",
        "player_id": "player-1",
        "session_id": "sess-1",
    }
    wallet.fail("balance", "http500")
    err = await operator.error(
        "GET", "/api/sandbox/game/balance?session_id=sess-1", status=502, code="WEBHOOK_ERROR"
    )
    assert (
        err["details"]["webhook"]["http_status"] == 500
        and err["details"]["webhook"]["outcome"] == "transport_error"
    )
    wallet.fail("balance", "business:PLAYER_NOT_FOUND")
    err = await operator.error(
        "GET", "/api/sandbox/game/balance?session_id=sess-1", status=502, code="WEBHOOK_ERROR"
    )
    assert err["details"]["webhook"]["error_code"] == "PLAYER_NOT_FOUND"
    assert len(wallet.of("balance")) == 3  # balance is never retried


async def test_bet_validation(operator, wallet):
    await launched(operator)
    await operator.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "nope", "amount": 1},
        status=404,
        code="INVALID_SESSION",
    )
    err = await operator.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 1.234},
        status=400,
        code="INVALID_REQUEST",
    )
    assert "at most 2 decimals" in err["message"]
    err = await operator.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 100000},
        status=400,
        code="INVALID_REQUEST",
    )
    assert "max_bet" in err["message"]
    for body in (
        {"session_id": "sess-1", "amount": 0},
        {"session_id": "sess-1", "amount": -1},
        {"session_id": "sess-1", "amount": "1"},
        {"session_id": "sess-1", "amount": 1, "outcome": "big"},
        {"session_id": "sess-1", "amount": 1, "outcome": "lose", "win_amount": 3},
        {"session_id": "sess-1", "amount": 1, "numbers": [1, 2, 3]},
    ):
        await operator.error("POST", "/api/sandbox/game/bet", body, status=400, code="INVALID_REQUEST")
    assert wallet.calls == []


async def test_lotterix_numbers_are_played(operator, wallet):
    await launched(operator)
    rnd = await bet(operator, amount=1, numbers=[1, 2, 3, 4, 5])
    assert rnd["result"]["numbers"] == [1, 2, 3, 4, 5]
    assert rnd["result"]["matches"] == len(set(rnd["result"]["drawn"]) & {1, 2, 3, 4, 5})


async def test_stats_and_reset(operator, wallet):
    await launched(operator)
    await bet(operator, amount=2, outcome="win", win_amount=5)
    await bet(operator, amount=1, outcome="lose")
    await bet(operator, amount=1, outcome="refund")
    stats = (await operator.ok("GET", "/api/sandbox/stats"))["stats"]
    assert (
        stats["rounds"]["total"] == 3 and stats["rounds"]["settled"] == 2 and stats["rounds"]["refunded"] == 1
    )
    assert stats["bets"] == {"count": 3, "amounts": {"USD": 4}}
    assert stats["wins"] == {"count": 2, "amounts": {"USD": 5}}
    assert stats["refunds"]["count"] == 1 and stats["webhook_calls"]["ok"] == 6
    assert stats["latency_ms"]["p50"] is not None
    reset = (await operator.ok("POST", "/api/sandbox/reset"))["reset"]
    assert reset["rounds"] == 3 and reset["sessions"] == 1 and reset["webhook_attempts"] == 6
    stats = (await operator.ok("GET", "/api/sandbox/stats"))["stats"]
    assert stats["rounds"]["total"] == 0 and stats["webhook_calls"]["total"] == 0
    platform = operator.client.app[PLATFORM]
    assert (await platform.db.fetchone("SELECT COUNT(*) FROM deliveries"))[0] == 0
    assert len(await platform.db.fetchall("SELECT * FROM games")) >= 30  # the catalog stays


async def test_a_reset_while_a_bet_waits_for_its_answer_is_a_clear_409(operator, wallet):
    """The reset deletes the round under the bet still on its way: the bet is answered INVALID_STATE,
    not a 500, and nothing of the round is left behind, nor pending."""
    await operator.ok("POST", "/api/game/launch", launch_body())
    wallet.fail("bet", "until_released")
    body = {"session_id": "sess-1", "amount": 1, "outcome": "win", "win_amount": 2}
    bet = asyncio.create_task(operator.post("/api/sandbox/game/bet", body))
    await wallet.received.wait()  # the bet is with the wallet, which answers once released
    await operator.ok("POST", "/api/sandbox/reset")
    wallet.release.set()
    status, answer = await bet
    assert status == 409 and answer["error"]["code"] == "INVALID_STATE"
    assert "deleted while it ran (a sandbox reset" in answer["error"]["message"]
    await operator.client.app[DISPATCHER].idle()
    db = operator.client.app[PLATFORM].db
    for table in ("rounds", "deliveries", "webhook_attempts", "sessions"):
        assert (await db.fetchone(f"SELECT COUNT(*) FROM {table}"))[0] == 0, table
    health = await operator.client.get("/health")
    assert health.status == 200
