"""The guide's free-bet flow as a sign-up promotion: a free bet assigned to a player the platform has
not seen yet waits for that player's first launch, and is then staked like any other, end to end
through the built-in reference wallet and the game page."""

from __future__ import annotations

import json

from yarl import URL

from netspace_mock.app import DISPATCHER

FUTURE = "2031-02-15T23:59:59Z"
# The guide's assign example, as JSON.stringify sends it (its 50.00 is written 50), with a future expiry.
GUIDE_ASSIGN = {
    "operator_free_bet_id": "promo_2025_001",
    "player_id": "player123",
    "free_bets": {"amount": 50, "currency": "BRL", "expires_at": FUTURE},
}
FIRST_LAUNCH = {"session_id": "welcome-1", "player_id": "player123", "game_id": "lotterix", "currency": "BRL"}


async def _balance(client) -> float:
    return (await client.ok("GET", "/api/sandbox/game/balance?session_id=welcome-1"))["balance"]


async def _game_state(client, page: str) -> dict:
    async with client.client.get(page + "/state") as resp:
        assert resp.status == 200
        return await resp.json()


async def test_a_free_bet_for_a_new_player_is_staked_at_their_first_launch(client, platform):
    assigned = (await client.ok("POST", "/api/v1/freebets/assign", GUIDE_ASSIGN))["free_bet"]
    fid = assigned["netspace_free_bet_id"]
    assert (assigned["status"], assigned["player_id"], assigned["amount"]) == ("active", "player123", 50)
    # Nothing of the player exists yet: no session, no player row, no account in the wallet.
    assert await platform.db.fetchone("SELECT 1 FROM players WHERE player_id = 'player123'") is None
    waiting = await client.ok("POST", "/api/v1/freebets/status", {"netspace_free_bet_id": fid})
    assert waiting["free_bet"]["status"] == "active"

    # The first launch: the game page offers the waiting free bet.
    page = URL((await client.ok("POST", "/api/game/launch", FIRST_LAUNCH))["game_url"]).path
    offered = (await _game_state(client, page))["free_bets"]
    assert [(f["netspace_free_bet_id"], f["remaining_amount"]) for f in offered] == [(fid, 50)]
    start = await _balance(client)
    assert start == 1000  # the reference wallet's new player

    # A free-bet round: the stake comes from the free bet, the win goes to the real balance.
    body = {"session_id": "welcome-1", "amount": 10, "use_free_bet": True, "outcome": "win", "win_amount": 25}
    rnd = (await client.ok("POST", "/api/sandbox/game/bet", body))["round"]
    assert rnd["status"] == "settled" and rnd["free_bet_id"] == fid
    assert await _balance(client) == start + 25

    # One more from the game page itself, as the player would play it.
    async with client.client.post(
        page + "/round", data=json.dumps({"amount": 5, "numbers": [1, 2, 3, 4, 5], "use_free_bet": True})
    ) as resp:
        played = await resp.json()
        assert resp.status == 200, played
    assert played["round"]["free_bet_id"] == fid
    assert [f["remaining_amount"] for f in played["free_bets"]] == [35]

    after = (await client.ok("POST", "/api/v1/freebets/status", {"netspace_free_bet_id": fid}))["free_bet"]
    assert (after["remaining_amount"], after["used_amount"]) == (35, 15)
    assert [e["event"] for e in after["history"]][:3] == ["assigned", "staked", "won"]

    # What the wallet received: the guide's free-bet fields on the bet and on the win.
    await client.client.app[DISPATCHER].idle()
    attempts = (await client.ok("GET", f"/api/sandbox/webhooks?round_id={rnd['round_id']}"))["attempts"]
    sent = {a["action_type"]: json.loads(a["request"]["body"]) for a in attempts}
    ids = {"operator_free_bet_id": "promo_2025_001", "netspace_free_bet_id": fid}
    assert sent["bet"]["is_free_bet"] is True and {k: sent["bet"][k] for k in ids} == ids
    assert sent["win"]["from_free_bet"] is True and {k: sent["win"][k] for k in ids} == ids
    assert sent["bet"]["player_id"] == "player123" and sent["bet"]["currency"] == "BRL"


async def test_the_strict_setting_refuses_a_player_not_seen_yet(make_client):
    strict = await make_client(freebet_requires_player=True)
    err = await strict.error(
        "POST", "/api/v1/freebets/assign", GUIDE_ASSIGN, status=404, code="PLAYER_NOT_FOUND"
    )
    assert "player123" in err["message"] and "--freebet-requires-player false" in err["message"]
    await strict.ok("POST", "/api/game/launch", FIRST_LAUNCH)
    assert (await strict.ok("POST", "/api/v1/freebets/assign", GUIDE_ASSIGN))["free_bet"][
        "status"
    ] == "active"
