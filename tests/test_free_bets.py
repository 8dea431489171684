"""Free bets end to end: the API lifecycle, the store's history, and rounds through a real wallet."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from netspace_mock.serving import PLATFORM
from support import launch_body

FUTURE = "2031-01-01T00:00:00Z"


def assign_body(**over) -> dict:
    body = {
        "operator_free_bet_id": "promo-1",
        "player_id": "player-1",
        "free_bets": {"amount": 5, "currency": "USD", "expires_at": FUTURE},
    }
    body.update(over)
    return body


@pytest.fixture
async def fb_op(operator):
    """The mock wired to the scripted wallet, with player-1 launched in USD on lotterix."""
    await operator.ok("POST", "/api/game/launch", launch_body())
    return operator


async def assign(op, **over) -> dict:
    return (await op.ok("POST", "/api/v1/freebets/assign", assign_body(**over)))["free_bet"]


async def status(op, fid: str) -> dict:
    return (await op.ok("POST", "/api/v1/freebets/status", {"netspace_free_bet_id": fid}))["free_bet"]


async def play(op, **body) -> dict:
    body = {"session_id": "sess-1", "amount": 1, "use_free_bet": True, **body}
    return (await op.ok("POST", "/api/sandbox/game/bet", body))["round"]


# ---- the API lifecycle --------------------------------------------------------------------------


async def test_assign_is_idempotent_and_conflicts_are_duplicate_transaction(fb_op):
    fb = await assign(fb_op)
    assert fb["netspace_free_bet_id"].startswith("fb_ns_") and fb["status"] == "active"
    assert (fb["amount"], fb["remaining_amount"], fb["used_amount"], fb["winnings_amount"]) == (5, 5, 0, 0)
    assert fb["history"][0]["event"] == "assigned"
    again = await assign(fb_op)
    assert again["netspace_free_bet_id"] == fb["netspace_free_bet_id"]
    err = await fb_op.error(
        "POST",
        "/api/v1/freebets/assign",
        assign_body(free_bets={"amount": 6, "currency": "USD", "expires_at": FUTURE}),
        status=409,
        code="DUPLICATE_TRANSACTION",
    )
    assert err["details"]["netspace_free_bet_id"] == fb["netspace_free_bet_id"]
    await fb_op.error(
        "POST",
        "/api/v1/freebets/assign",
        assign_body(game_id="lotterix"),
        status=409,
        code="DUPLICATE_TRANSACTION",
    )


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ({"amount": 0, "currency": "USD", "expires_at": FUTURE}, "$.free_bets.amount"),
        ({"amount": -5, "currency": "USD", "expires_at": FUTURE}, "$.free_bets.amount"),
        ({"amount": 1.005, "currency": "USD", "expires_at": FUTURE}, "at most 2 decimals"),
        ({"amount": 5, "currency": "XYZ", "expires_at": FUTURE}, "$.free_bets.currency"),
        ({"amount": 5, "currency": "USD", "expires_at": "2020-01-01T00:00:00Z"}, "in the past"),
        ({"amount": 5, "currency": "USD", "expires_at": "tomorrow"}, "$.free_bets.expires_at"),
        ({"amount": 5, "currency": "USD", "expires_at": "2031-02-30T00:00:00Z"}, "not a valid ISO 8601"),
        ({"amount": 5, "currency": "USD"}, "$.free_bets.expires_at"),
    ],
)
async def test_assign_validation(fb_op, spec, fragment):
    err = await fb_op.error(
        "POST", "/api/v1/freebets/assign", assign_body(free_bets=spec), status=400, code="INVALID_REQUEST"
    )
    assert fragment in err["message"]
    platform = fb_op.client.app[PLATFORM]
    assert (await platform.db.fetchone("SELECT COUNT(*) FROM free_bets"))[0] == 0


async def test_assign_needs_a_known_player_when_the_setting_says_so(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, freebet_requires_player=True)
    await op.ok("POST", "/api/game/launch", launch_body())
    err = await op.error(
        "POST",
        "/api/v1/freebets/assign",
        assign_body(player_id="stranger"),
        status=404,
        code="PLAYER_NOT_FOUND",
    )
    assert "--freebet-requires-player false" in err["message"]
    assert (await assign(op))["player_id"] == "player-1"  # a launched player is known


async def test_assign_needs_a_real_game(fb_op):
    await fb_op.error(
        "POST", "/api/v1/freebets/assign", assign_body(game_id="no-such-game"), status=404, code="NOT_FOUND"
    )
    fiat_only = "jungle-draw"  # a game without crypto
    err = await fb_op.error(
        "POST",
        "/api/v1/freebets/assign",
        assign_body(game_id=fiat_only, free_bets={"amount": 1, "currency": "BTC", "expires_at": FUTURE}),
        status=400,
        code="INVALID_REQUEST",
    )
    assert "does not support BTC" in err["message"]


async def test_unknown_players_are_accepted_by_default(fb_op):
    # A sign-up promotion (the guide's example): the free bet waits for the player's first session
    # (tests/test_free_bet_promotion.py plays it).
    assert fb_op.client.app[PLATFORM].settings.freebet_requires_player is False
    assert (await assign(fb_op, player_id="stranger"))["status"] == "active"


async def test_cancel_paths(fb_op):
    fb = await assign(fb_op)
    fid = fb["netspace_free_bet_id"]
    cancelled = (
        await fb_op.ok(
            "POST",
            "/api/v1/freebets/cancel",
            {"netspace_free_bet_id": fid, "reason": "Solicitação do jogador — 取消"},
        )
    )["free_bet"]
    assert (
        cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "Solicitação do jogador — 取消"
    )
    again = (await fb_op.ok("POST", "/api/v1/freebets/cancel", {"netspace_free_bet_id": fid}))["free_bet"]
    assert again["status"] == "cancelled" and [e["event"] for e in again["history"]] == [
        "assigned",
        "cancelled",
    ]
    await fb_op.error(
        "POST",
        "/api/v1/freebets/cancel",
        {"netspace_free_bet_id": "fb_ns_nope"},
        status=404,
        code="NOT_FOUND",
    )
    await fb_op.error(
        "POST",
        "/api/v1/freebets/status",
        {"netspace_free_bet_id": "fb_ns_nope"},
        status=404,
        code="NOT_FOUND",
    )
    await fb_op.error(
        "POST",
        "/api/v1/freebets/cancel",
        {"netspace_free_bet_id": fid, "reason": "x" * 501},
        status=400,
        code="INVALID_REQUEST",
    )
    err = await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 1, "use_free_bet": True},
        status=409,
        code="INVALID_STATE",
    )
    assert "no active free bet" in err["message"] and "cancelled" in err["message"]


async def test_used_free_bet_cannot_be_cancelled(fb_op):
    fid = (await assign(fb_op, free_bets={"amount": 2, "currency": "USD", "expires_at": FUTURE}))[
        "netspace_free_bet_id"
    ]
    await play(fb_op, amount=2, outcome="lose")
    fb = await status(fb_op, fid)
    assert fb["status"] == "used" and fb["remaining_amount"] == 0 and fb["used_amount"] == 2
    err = await fb_op.error(
        "POST", "/api/v1/freebets/cancel", {"netspace_free_bet_id": fid}, status=409, code="INVALID_STATE"
    )
    assert "used" in err["message"]


async def test_expiry_on_read_and_by_the_background_sweep(mock_factory, wallet, clock):
    op = await mock_factory(webhook_url=wallet.url, sweep_interval=0.05)
    await op.ok("POST", "/api/game/launch", launch_body())
    soon = "2031-01-01T00:00:00Z"
    first = await assign(
        op, operator_free_bet_id="read", free_bets={"amount": 3, "currency": "USD", "expires_at": soon}
    )
    second = await assign(
        op, operator_free_bet_id="swept", free_bets={"amount": 3, "currency": "USD", "expires_at": soon}
    )
    clock.advance(10 * 365 * 86400)  # past 2031
    # Read: the status answers expired at once.
    assert (await status(op, first["netspace_free_bet_id"]))["status"] == "expired"
    # Nobody reads the second: the sweep expires it in the store.
    platform = op.client.app[PLATFORM]
    for _ in range(100):
        row = await platform.db.fetchone(
            "SELECT status FROM free_bets WHERE netspace_free_bet_id = ?", (second["netspace_free_bet_id"],)
        )
        if row["status"] == "expired":
            break
        await asyncio.sleep(0.02)
    assert row["status"] == "expired"
    events = await platform.db.fetchall(
        "SELECT event, cause FROM free_bet_events WHERE netspace_free_bet_id = ?",
        (second["netspace_free_bet_id"],),
    )
    assert [e["event"] for e in events] == ["assigned", "expired"] and "passed" in events[1]["cause"]
    await op.error(
        "POST",
        "/api/v1/freebets/cancel",
        {"netspace_free_bet_id": first["netspace_free_bet_id"]},
        status=409,
        code="INVALID_STATE",
    )


# ---- rounds through a real wallet ----------------------------------------------------------------


async def test_free_bet_win(fb_op, wallet):
    fb = await assign(fb_op)
    rnd = await play(fb_op, amount=2, outcome="win", win_amount=9)
    assert rnd["status"] == "settled" and rnd["free_bet_id"] == fb["netspace_free_bet_id"]
    bet, win = wallet.of("bet")[0], wallet.of("win")[0]
    ids = {"operator_free_bet_id": "promo-1", "netspace_free_bet_id": fb["netspace_free_bet_id"]}
    assert bet["is_free_bet"] is True and {k: bet[k] for k in ids} == ids
    assert win["from_free_bet"] is True and {k: win[k] for k in ids} == ids and win["amount"] == 9
    assert wallet.balances[("player-1", "USD")] == Decimal(109)  # stake not debited, win credited
    after = await status(fb_op, fb["netspace_free_bet_id"])
    assert (after["remaining_amount"], after["used_amount"], after["winnings_amount"]) == (3, 2, 9)
    assert [e["event"] for e in after["history"]] == ["assigned", "staked", "won"]
    assert wallet.problems == []


async def test_free_bet_loss(fb_op, wallet):
    fb = await assign(fb_op)
    rnd = await play(fb_op, amount=5, outcome="lose")
    assert rnd["status"] == "settled"
    assert wallet.of("win")[0]["amount"] == 0 and wallet.of("win")[0]["from_free_bet"] is True
    assert wallet.balances[("player-1", "USD")] == Decimal(100)
    after = await status(fb_op, fb["netspace_free_bet_id"])
    assert after["status"] == "used" and after["winnings_amount"] == 0


async def test_free_bet_rollback_and_refund_give_the_stake_back_to_the_free_bet(fb_op, wallet):
    fb = await assign(fb_op)
    rolled = await play(fb_op, amount=2, outcome="rollback")
    refunded = await play(fb_op, amount=3, outcome="refund")
    assert (rolled["status"], refunded["status"]) == ("rolled_back", "refunded")
    after = await status(fb_op, fb["netspace_free_bet_id"])
    assert after["status"] == "active" and after["remaining_amount"] == 5 and after["used_amount"] == 0
    assert [e["event"] for e in after["history"]].count("returned") == 2
    assert wallet.balances[("player-1", "USD")] == Decimal(100)


async def test_free_bet_bet_refused_by_the_wallet_gives_the_stake_back(fb_op, wallet):
    fb = await assign(fb_op)
    wallet.fail("bet", "business:PLAYER_NOT_FOUND")
    rnd = await play(fb_op, amount=5)
    assert rnd["status"] == "rejected"
    after = await status(fb_op, fb["netspace_free_bet_id"])
    assert after["status"] == "active" and after["remaining_amount"] == 5


async def test_expired_wrong_currency_wrong_game_and_too_large_stakes_are_refused(fb_op, wallet, clock):
    await fb_op.ok("POST", "/api/game/launch", launch_body(session_id="eur", currency="EUR"))
    await assign(fb_op, operator_free_bet_id="only-other-game", game_id="royal-reels")
    err = await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 1, "use_free_bet": True},
        status=409,
        code="INVALID_STATE",
    )
    assert "limited to other games" in err["message"]
    await assign(fb_op, operator_free_bet_id="usd")
    err = await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "eur", "amount": 1, "use_free_bet": True},
        status=409,
        code="INVALID_STATE",
    )
    assert "not EUR" in err["message"]
    err = await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 6, "use_free_bet": True},
        status=409,
        code="INVALID_STATE",
    )
    assert "exceeds the free bet's remaining_amount 5" in err["message"]
    clock.advance(10 * 365 * 86400)
    await fb_op.ok("POST", "/api/game/launch", launch_body(session_id="later"))
    err = await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "later", "amount": 1, "use_free_bet": True},
        status=409,
        code="INVALID_STATE",
    )
    assert "expired" in err["message"]
    assert wallet.calls == []


async def test_concurrent_rounds_never_spend_the_same_credit_twice(fb_op, wallet):
    fb = await assign(fb_op)
    results = await asyncio.gather(
        *[
            fb_op.post(
                "/api/sandbox/game/bet",
                {"session_id": "sess-1", "amount": 1, "use_free_bet": True, "outcome": "lose"},
            )
            for _ in range(10)
        ]
    )
    codes = sorted(status for status, _ in results)
    assert codes == [200] * 5 + [409] * 5
    after = await status(fb_op, fb["netspace_free_bet_id"])
    assert after["status"] == "used" and after["remaining_amount"] == 0 and after["used_amount"] == 5
    assert len(wallet.of("bet")) == 5 and all(b["is_free_bet"] for b in wallet.of("bet"))


# ---- the Lotterix jackpot -------------------------------------------------------------------------


async def test_jackpot_update_and_game_detail(fb_op):
    game = (await fb_op.ok("GET", "/api/games/lotterix"))["game"]
    assert game["jackpot"] == {}
    answer = (await fb_op.ok("POST", "/api/lotterix/jackpot/update", {"amount": 1234.5, "currency": "USD"}))[
        "jackpot"
    ]
    assert answer["game_id"] == "lotterix" and answer["amount"] == 1234.5 and answer["currency"] == "USD"
    await fb_op.ok("POST", "/api/lotterix/jackpot/update", {"amount": 0.5, "currency": "BTC"})
    game = (await fb_op.ok("GET", "/api/games/lotterix"))["game"]
    assert game["jackpot"]["USD"]["amount"] == 1234.5 and game["jackpot"]["BTC"]["amount"] == 0.5
    assert "jackpot" not in (await fb_op.ok("GET", "/api/games/royal-reels"))["game"]
    for body in (
        {"amount": 0, "currency": "USD"},
        {"amount": 1.001, "currency": "USD"},
        {"amount": 10, "currency": "X"},
        {"amount": 1e13, "currency": "USD"},
        {"currency": "USD"},
        {"amount": 5, "currency": "JPY", "x": 1} | {"amount": 5.5},
    ):
        await fb_op.error("POST", "/api/lotterix/jackpot/update", body, status=400, code="INVALID_REQUEST")


async def test_jackpot_hit_pays_the_whole_pot_and_empties_it(fb_op, wallet):
    await fb_op.ok("POST", "/api/lotterix/jackpot/update", {"amount": 250, "currency": "USD"})
    rnd = await play(fb_op, use_free_bet=False, outcome="jackpot")
    assert rnd["outcome"] == "jackpot" and rnd["is_jackpot"] is True and rnd["win_amount"] == 250
    assert rnd["result"]["matches"] == 5
    win = wallet.of("win")[0]
    assert win["is_jackpot"] is True and win["amount"] == 250
    assert wallet.balances[("player-1", "USD")] == Decimal(349)
    game = (await fb_op.ok("GET", "/api/games/lotterix"))["game"]
    assert game["jackpot"]["USD"]["amount"] == 0
    platform = fb_op.client.app[PLATFORM]
    events = await platform.db.fetchall("SELECT event, amount, round_id FROM jackpot_events ORDER BY id")
    assert [(e["event"], e["amount"]) for e in events] == [("update", "250"), ("hit", "250")]
    assert events[1]["round_id"] == rnd["round_id"]


async def test_jackpot_at_zero_is_refused(fb_op, wallet):
    err = await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 1, "outcome": "jackpot"},
        status=409,
        code="INVALID_STATE",
    )
    assert "jackpot is 0" in err["message"] and wallet.calls == []


async def test_jackpot_is_restored_when_its_bet_is_rolled_back(fb_op, wallet):
    await fb_op.ok("POST", "/api/lotterix/jackpot/update", {"amount": 80, "currency": "USD"})
    wallet.fail("bet", "http500")
    status_code, answer = await fb_op.post(
        "/api/sandbox/game/bet", {"session_id": "sess-1", "amount": 1, "outcome": "jackpot"}
    )
    assert status_code == 502 and answer["error"]["details"]["round"]["status"] == "rolled_back"
    game = (await fb_op.ok("GET", "/api/games/lotterix"))["game"]
    assert game["jackpot"]["USD"]["amount"] == 80


async def test_jackpot_only_in_lotterix_and_not_in_demo(fb_op):
    await fb_op.ok("POST", "/api/game/launch", launch_body(session_id="reels", game_id="royal-reels"))
    await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "reels", "amount": 1, "outcome": "jackpot"},
        status=400,
        code="INVALID_REQUEST",
    )
    demo = await fb_op.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix"})
    await fb_op.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": demo["session_id"], "amount": 1, "outcome": "jackpot"},
        status=400,
        code="INVALID_REQUEST",
    )
