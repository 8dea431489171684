"""The inspection API: webhook attempts and deliveries, filtered; bounded retention of attempts."""

from __future__ import annotations

from netspace_mock.serving import PLATFORM
from support import launch_body


async def setup_rounds(op, wallet):
    await op.ok("POST", "/api/game/launch", launch_body())
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s2", player_id="player-2"))
    wallet.fail("win", "http500")
    first = (
        await op.ok(
            "POST",
            "/api/sandbox/game/bet",
            {"session_id": "sess-1", "amount": 1, "outcome": "win", "win_amount": 2},
        )
    )["round"]
    second = (
        await op.ok("POST", "/api/sandbox/game/bet", {"session_id": "s2", "amount": 1, "outcome": "lose"})
    )["round"]
    return first, second


async def test_attempts_are_filtered_and_show_request_and_answer(operator, wallet):
    first, second = await setup_rounds(operator, wallet)
    from netspace_mock.app import DISPATCHER

    await operator.client.app[DISPATCHER].idle()
    everything = await operator.ok("GET", "/api/sandbox/webhooks")
    assert everything["pagination"]["total"] == 5  # bet, win (failed), win (retried), bet, win
    by_round = (await operator.ok("GET", f"/api/sandbox/webhooks?round_id={first['round_id']}"))["attempts"]
    assert [(a["action_type"], a["attempt"], a["outcome"]) for a in reversed(by_round)] == [
        ("bet", 1, "ok"),
        ("win", 1, "transport_error"),
        ("win", 2, "ok"),
    ]
    failed = by_round[1]
    assert failed["response"]["status"] == 500 and failed["reason"] == "HTTP 500 from the webhook"
    assert failed["request"]["headers"]["X-Signature"] and '"action_type":"win"' in failed["request"]["body"]
    assert "sandbox-secret-key" not in str(everything)
    by_player = (await operator.ok("GET", "/api/sandbox/webhooks?player_id=player-2"))["attempts"]
    assert {a["round_id"] for a in by_player} == {second["round_id"]}
    errors = (await operator.ok("GET", "/api/sandbox/webhooks?outcome=transport_error"))["attempts"]
    assert len(errors) == 1
    txn = first["bet"]["transaction_id"]
    assert len((await operator.ok("GET", f"/api/sandbox/webhooks?transaction_id={txn}"))["attempts"]) == 1
    paged = await operator.ok("GET", "/api/sandbox/webhooks?per_page=2&page=3")
    assert len(paged["attempts"]) == 1 and paged["pagination"]["total_pages"] == 3
    for bad in ("outcome=fine", "action=jump", "per_page=0", "page=0", "per_page=501"):
        await operator.error("GET", f"/api/sandbox/webhooks?{bad}", status=400, code="INVALID_REQUEST")


async def test_after_id_is_a_cursor_oldest_first_and_combines_with_filters(operator, wallet):
    first, second = await setup_rounds(operator, wallet)
    from netspace_mock.app import DISPATCHER

    await operator.client.app[DISPATCHER].idle()
    newest_first = (await operator.ok("GET", "/api/sandbox/webhooks"))["attempts"]
    ids = [a["id"] for a in reversed(newest_first)]
    assert len(ids) == 5
    after = await operator.ok("GET", f"/api/sandbox/webhooks?after_id={ids[1]}")
    assert [a["id"] for a in after["attempts"]] == ids[2:]  # oldest first
    assert after["pagination"]["total"] == 3
    paged = await operator.ok("GET", f"/api/sandbox/webhooks?after_id={ids[0]}&per_page=2&page=2")
    assert [a["id"] for a in paged["attempts"]] == ids[3:5]
    wins = await operator.ok("GET", f"/api/sandbox/webhooks?after_id={ids[0]}&action=win")
    assert [a["action_type"] for a in wins["attempts"]] == ["win", "win", "win"]
    assert wins["attempts"][0]["round_id"] == first["round_id"]
    assert (await operator.ok("GET", f"/api/sandbox/webhooks?after_id={ids[-1]}"))["attempts"] == []
    assert len((await operator.ok("GET", "/api/sandbox/webhooks?after_id=0"))["attempts"]) == 5
    for bad in ("after_id=-1", "after_id=x"):
        await operator.error("GET", f"/api/sandbox/webhooks?{bad}", status=400, code="INVALID_REQUEST")


async def test_deliveries_are_filtered(operator, wallet):
    first, _ = await setup_rounds(operator, wallet)
    pending = (await operator.ok("GET", "/api/sandbox/deliveries?status=pending"))["deliveries"]
    assert [d["transaction_id"] for d in pending] == [first["win"]["transaction_id"]]
    bets = (await operator.ok("GET", "/api/sandbox/deliveries?action=bet"))["deliveries"]
    assert len(bets) == 2 and all(d["status"] == "acknowledged" for d in bets)
    await operator.error("GET", "/api/sandbox/rounds/round_nope", status=404, code="NOT_FOUND")
    await operator.error(
        "POST",
        "/api/sandbox/deliveries/resend",
        {"action_type": "win", "transaction_id": "txn_x"},
        status=404,
        code="NOT_FOUND",
    )
    await operator.error(
        "POST",
        "/api/sandbox/deliveries/resend",
        {"action_type": "bet", "transaction_id": "txn_x"},
        status=400,
        code="INVALID_REQUEST",
    )


async def test_attempt_log_retention_is_bounded(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, attempt_retention=20)
    await op.ok("POST", "/api/game/launch", launch_body())
    for _ in range(40):
        await op.ok(
            "POST", "/api/sandbox/game/bet", {"session_id": "sess-1", "amount": 0.1, "outcome": "lose"}
        )
    platform = op.client.app[PLATFORM]
    kept = (await platform.db.fetchone("SELECT COUNT(*) FROM webhook_attempts"))[0]
    newest = (await platform.db.fetchone("SELECT MAX(id) FROM webhook_attempts"))[0]
    assert newest == 80 and kept == 20  # retention 20 prunes on every insert (in steps of 1% of the bound)
    # Rounds and their deliveries are kept: only the attempt log is bounded.
    assert (await platform.db.fetchone("SELECT COUNT(*) FROM rounds"))[0] == 40
