"""Operator isolation: several operators in one mock (--operators FILE); one operator's key can never
read, change or cancel what belongs to another. Every attempt is a 404, or simply not visible."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from netspace_mock import signing
from support import (
    KEY_B,
    KEY_C,
    SECRET_B,
    SECRET_C,
    Signed,
    free_port,
    launch_body,
    operators_file,
    serve_process,
)

FREE_BET = {"amount": 5, "currency": "USD", "expires_at": "2099-01-01T00:00:00Z"}


async def b_round(b: Signed, **body) -> dict:
    body = {"session_id": "b-session", "amount": 1, **body}
    return (await b.ok("POST", "/api/sandbox/game/bet", body))["round"]


# ---- sessions ---------------------------------------------------------------------------------------


async def test_sessions_of_another_operator_cannot_be_played_read_or_changed(pair, wallet):
    a, b = pair
    await b.ok("POST", "/api/game/launch", launch_body(session_id="b-session", player_id="b-player"))
    # A cannot play it, nor ask its balance: for A it does not exist.
    err = await a.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "b-session", "amount": 1},
        status=404,
        code="INVALID_SESSION",
    )
    assert "does not exist" in err["message"]
    await a.error("GET", "/api/sandbox/game/balance?session_id=b-session", status=404, code="INVALID_SESSION")
    # A "relaunch" of the same session_id makes A's own session, in another game; B's is untouched.
    await a.ok(
        "POST",
        "/api/game/launch",
        launch_body(session_id="b-session", player_id="a-player", game_id="jungle-draw"),
    )
    await a.ok("POST", "/api/sandbox/game/launch", launch_body(session_id="b-sandbox", player_id="x"))
    rnd = await b_round(b, outcome="lose")
    assert rnd["player_id"] == "b-player" and rnd["game_id"] == "lotterix"
    balance = await b.ok("GET", "/api/sandbox/game/balance?session_id=b-session")
    assert balance["player_id"] == "b-player"
    # None of it reached A's wallet: B's calls went to B's webhook, signed with B's key.
    assert wallet.calls == []
    _, log = await b.get(f"/api/sandbox/webhooks?round_id={rnd['round_id']}")
    assert {att["request"]["headers"]["X-API-Key"] for att in log["attempts"]} == {KEY_B}


# ---- free bets --------------------------------------------------------------------------------------


async def test_free_bets_of_another_operator_cannot_be_read_or_cancelled(pair):
    a, b = pair
    await b.ok("POST", "/api/game/launch", launch_body(session_id="b-session", player_id="shared-player"))
    await a.ok("POST", "/api/game/launch", launch_body(session_id="a-session", player_id="shared-player"))
    fb = (
        await b.ok(
            "POST",
            "/api/v1/freebets/assign",
            {"operator_free_bet_id": "fb-1", "player_id": "shared-player", "free_bets": FREE_BET},
        )
    )["free_bet"]
    ns_id = fb["netspace_free_bet_id"]
    await a.error(
        "POST", "/api/v1/freebets/status", {"netspace_free_bet_id": ns_id}, status=404, code="NOT_FOUND"
    )
    await a.error(
        "POST",
        "/api/v1/freebets/cancel",
        {"netspace_free_bet_id": ns_id, "reason": "not yours"},
        status=404,
        code="NOT_FOUND",
    )
    # The same operator_free_bet_id at A is A's own free bet: no conflict reveals B's.
    mine = await a.ok(
        "POST",
        "/api/v1/freebets/assign",
        {
            "operator_free_bet_id": "fb-1",
            "player_id": "shared-player",
            "free_bets": {**FREE_BET, "amount": 7},
        },
    )
    assert mine["free_bet"]["netspace_free_bet_id"] != ns_id and mine["free_bet"]["amount"] == 7
    # A's player of the same name cannot stake B's free bet.
    staked = await a.ok(
        "POST", "/api/sandbox/game/bet", {"session_id": "a-session", "amount": 2, "use_free_bet": True}
    )
    assert staked["round"]["free_bet_id"] == mine["free_bet"]["netspace_free_bet_id"]
    still = (await b.ok("POST", "/api/v1/freebets/status", {"netspace_free_bet_id": ns_id}))["free_bet"]
    assert still["status"] == "active" and still["remaining_amount"] == 5 and still["cancel_reason"] is None


# ---- jackpots ---------------------------------------------------------------------------------------


async def test_jackpot_updates_are_per_operator(pair):
    a, b = pair
    await a.ok("POST", "/api/lotterix/jackpot/update", {"amount": 500, "currency": "USD"})
    assert "USD" not in (await b.ok("GET", "/api/games/lotterix"))["game"]["jackpot"]
    await b.ok("POST", "/api/lotterix/jackpot/update", {"amount": 100, "currency": "USD"})
    assert (await a.ok("GET", "/api/games/lotterix"))["game"]["jackpot"]["USD"]["amount"] == 500
    assert (await b.ok("GET", "/api/games/lotterix"))["game"]["jackpot"]["USD"]["amount"] == 100
    # A jackpot round of A takes A's pot only.
    await a.ok("POST", "/api/game/launch", launch_body(session_id="a-session", player_id="a-player"))
    won = await a.ok(
        "POST", "/api/sandbox/game/bet", {"session_id": "a-session", "amount": 1, "outcome": "jackpot"}
    )
    assert won["round"]["win_amount"] == 500
    assert (await a.ok("GET", "/api/games/lotterix"))["game"]["jackpot"]["USD"]["amount"] == 0
    assert (await b.ok("GET", "/api/games/lotterix"))["game"]["jackpot"]["USD"]["amount"] == 100


# ---- rounds, deliveries and the webhook log ---------------------------------------------------------


async def test_rounds_deliveries_and_webhook_log_of_another_operator_are_invisible(pair, mock_factory):
    a, b = pair
    await b.ok("POST", "/api/game/launch", launch_body(session_id="b-session", player_id="b-player"))
    played = await b_round(b, outcome="win", win_amount=2)
    round_id, win_txn = played["round_id"], played["win"]["transaction_id"]
    await a.error("GET", f"/api/sandbox/rounds/{round_id}", status=404, code="NOT_FOUND")
    await a.error(
        "POST",
        "/api/sandbox/deliveries/resend",
        {"action_type": "win", "transaction_id": win_txn},
        status=404,
        code="NOT_FOUND",
    )
    for path in (
        f"/api/sandbox/webhooks?round_id={round_id}",
        f"/api/sandbox/webhooks?transaction_id={win_txn}",
        "/api/sandbox/webhooks?player_id=b-player",
        "/api/sandbox/webhooks",
    ):
        assert (await a.ok("GET", path))["attempts"] == [], path
    for path in (f"/api/sandbox/deliveries?round_id={round_id}", "/api/sandbox/deliveries"):
        assert (await a.ok("GET", path))["deliveries"] == [], path
    stats = (await a.ok("GET", "/api/sandbox/stats"))["stats"]
    assert stats["rounds"]["total"] == 0 and stats["webhook_calls"]["total"] == 0
    # A's reset deletes A's data only.
    await a.ok("POST", "/api/sandbox/reset")
    assert (await b.ok("GET", f"/api/sandbox/rounds/{round_id}"))["round"]["round_id"] == round_id
    assert (await b.ok("GET", "/api/sandbox/stats"))["stats"]["rounds"]["total"] == 1


async def test_a_failed_delivery_of_another_operator_cannot_be_resent(mock_factory, tmp_path):
    """B's webhook refuses connections (nothing listens there), so B's bet is rolled back and the
    rollback fails for good; only B's key can see it or resend it."""
    nowhere = f"http://127.0.0.1:{free_port()}/hook"
    a = await mock_factory(operators=operators_file(tmp_path, webhook_b=nowhere), webhook_retries=1)
    b = Signed(a.client, KEY_B, SECRET_B, now=a.now)
    await b.ok("POST", "/api/game/launch", launch_body(session_id="b-session", player_id="b-player"))
    status, answer = await b.post("/api/sandbox/game/bet", {"session_id": "b-session", "amount": 1})
    assert status == 502
    rnd = answer["error"]["details"]["round"]
    assert rnd["rollback"]["status"] == "failed"
    resend = {"action_type": "rollback", "transaction_id": rnd["rollback"]["transaction_id"]}
    await a.error("GET", f"/api/sandbox/rounds/{rnd['round_id']}", status=404, code="NOT_FOUND")
    await a.error("POST", "/api/sandbox/deliveries/resend", resend, status=404, code="NOT_FOUND")
    assert (await a.ok("GET", "/api/sandbox/deliveries?status=failed"))["deliveries"] == []
    # B's own key can: one more attempt, which fails again.
    again = await b.ok("POST", "/api/sandbox/deliveries/resend", resend)
    assert again["round"]["rollback"]["attempts"] == 2
    assert len((await b.ok("GET", "/api/sandbox/deliveries?status=failed"))["deliveries"]) == 1


# ---- certification ----------------------------------------------------------------------------------


async def test_certification_runs_of_another_operator_are_invisible(pair):
    a, b = pair
    run = (await b.ok("POST", "/api/certification/run", {"player_id": "cert-b", "currency": "USD"}))["run"]
    assert run["status"] == "passed"  # B's webhook is the reference wallet
    await a.error("GET", f"/api/certification/runs/{run['id']}", status=404, code="NOT_FOUND")
    status = await a.ok("GET", "/api/certification/status")
    assert status["certified"] is False and status["last_run"] is None
    assert (await b.ok("GET", "/api/certification/status"))["certified"] is True
    # C, a third operator, sees none of it either.
    c = Signed(a.client, KEY_C, SECRET_C, now=a.now)
    await c.error("GET", f"/api/certification/runs/{run['id']}", status=404, code="NOT_FOUND")


async def test_a_key_cannot_be_used_with_another_operators_secret(pair):
    a, _ = pair
    crossed = Signed(a.client, KEY_B, "sandbox-secret-key", now=a.now)  # B's key, A's secret
    err = await crossed.error("GET", "/api/sandbox/stats", status=401, code="UNAUTHORIZED")
    assert err["message"].startswith("signature mismatch")


# ---- through the CLI --------------------------------------------------------------------------------


async def _call(http, base, key, secret, method, path, body=None):
    raw = b"" if body is None else json.dumps(body).encode()
    headers = signing.headers(key, secret, int(time.time()), method, path, raw)
    async with http.request(method, base + path, data=raw or None, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_operators_file_through_the_cli(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve_process(
        "--port", str(port), "--db", str(tmp_path / "cli.db"), "--operators", operators_file(tmp_path)
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(base + "/health") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            a = ("sandbox-api-key", "sandbox-secret-key")
            b, c = (KEY_B, SECRET_B), (KEY_C, SECRET_C)
            status, _ = await _call(
                http, base, *b, "POST", "/api/game/launch", launch_body(session_id="cli-b")
            )
            assert status == 200
            status, played = await _call(
                http, base, *b, "POST", "/api/sandbox/game/bet", {"session_id": "cli-b", "amount": 1}
            )
            assert status == 200 and played["round"]["status"] == "settled"
            round_id = played["round"]["round_id"]
            for creds in (a, c):
                status, answer = await _call(
                    http, base, *creds, "POST", "/api/sandbox/game/bet", {"session_id": "cli-b", "amount": 1}
                )
                assert (status, answer["error"]["code"]) == (404, "INVALID_SESSION")
                status, answer = await _call(http, base, *creds, "GET", f"/api/sandbox/rounds/{round_id}")
                assert (status, answer["error"]["code"]) == (404, "NOT_FOUND")
            status, answer = await _call(http, base, *b, "GET", f"/api/sandbox/rounds/{round_id}")
            assert status == 200 and answer["round"]["player_id"] == "player-1"
            status, answer = await _call(http, base, "nobody", "x", "GET", "/api/sandbox/stats")
            assert status == 401 and "unknown API key" in answer["error"]["message"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_the_journal_faults_and_webhook_url_of_another_operator_are_out_of_reach(pair, wallet):
    a, b = pair
    await b.ok("POST", "/api/game/launch", launch_body(session_id="b-session", player_id="b-player"))
    played = await b_round(b, outcome="lose")
    for path in (
        f"/api/sandbox/requests?round_id={played['round_id']}",
        "/api/sandbox/requests?session_id=b-session",
    ):
        assert (await a.ok("GET", path))["requests"] == [], path
    assert all(
        r["headers"].get("X-API-Key") == a.api_key
        for r in (await a.ok("GET", "/api/sandbox/requests"))["requests"]
    )
    # B's faults hit B only, and A's reset or DELETE leaves them.
    await b.ok("POST", "/api/sandbox/faults", {"route": "/api/game/currencies", "kind": "http_500"})
    await a.ok("GET", "/api/game/currencies")
    assert (await a.ok("GET", "/api/sandbox/faults"))["faults"] == []
    await a.ok("DELETE", "/api/sandbox/faults")
    await a.ok("POST", "/api/sandbox/reset")
    await b.error("GET", "/api/game/currencies", status=500, code="INTERNAL_ERROR")
    # A's webhook URL is A's: B's calls still go to B's (the reference wallet).
    await a.ok("POST", "/api/sandbox/webhook", {"url": None})
    assert (await b.ok("GET", "/api/sandbox/webhook"))["webhook"]["reference_wallet"] is True
    assert (await a.ok("GET", "/api/sandbox/webhook"))["webhook"]["reference_wallet"] is True
    await a.ok("POST", "/api/sandbox/webhook", {"url": wallet.url})
    assert (await b.ok("GET", "/api/sandbox/webhook"))["webhook"]["configured"] is None
