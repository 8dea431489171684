"""Every method of the Python client against the running app, async and blocking."""

from __future__ import annotations

import asyncio

import pytest

from netspace_mock.client import API_METHODS, AsyncNetspaceSDK, NetspaceError, NetspaceSDK
from support import API_KEY, SECRET


def base_url(client) -> str:
    return str(client.client.make_url("")).rstrip("/")


async def test_every_method_round_trips(client):
    sdk = AsyncNetspaceSDK(API_KEY, SECRET, base_url(client))
    called = set()

    async def call(name, *args, **kwargs):
        called.add(name)
        answer = await getattr(sdk, name)(*args, **kwargs)
        assert answer["success"] is True
        return answer

    try:
        assert len((await call("get_currencies"))["currencies"]) == 33
        page = await call("get_games", category="slots", per_page=2, page=2, featured=False)
        assert page["pagination"]["page"] == 2 and all(g["category"] == "slots" for g in page["games"])
        assert (await call("get_game_detail", "lotterix"))["game"]["has_jackpot"] is True
        assert len((await call("get_categories"))["categories"]) >= 6
        assert all(g["featured"] for g in (await call("get_featured_games"))["games"])
        launched = await call(
            "launch_game",
            session_id="s-1",
            player_id="p-1",
            game_id="lotterix",
            currency="USD",
            language="pt",
            client_ip="192.168.1.1",
            return_url="https://casino.example/lobby",
        )
        assert "/play/" in launched["game_url"]
        assert (await call("launch_demo", game_id="lotterix", currency="EUR"))["demo"] is True
        await call("sandbox_launch", session_id="s-2", player_id="p-1", game_id="lotterix", currency="USD")
        assert (await call("sandbox_balance", "s-1"))["balance"] == 1000
        fb = await call(
            "assign_free_bet", "promo-9", "p-1", 5, "USD", "2031-01-01T00:00:00Z", game_id="lotterix"
        )
        fid = fb["free_bet"]["netspace_free_bet_id"]
        assert (await call("get_free_bet_status", fid))["free_bet"]["status"] == "active"
        rnd = (
            await call(
                "sandbox_bet",
                "s-1",
                2,
                outcome="win",
                win_amount=3,
                use_free_bet=True,
                numbers=[1, 2, 3, 4, 5],
            )
        )["round"]
        assert rnd["status"] == "settled" and rnd["free_bet_id"] == fid
        assert (await call("get_round", rnd["round_id"]))["round"]["round_id"] == rnd["round_id"]
        assert (await call("cancel_free_bet", fid, reason="done"))["free_bet"]["status"] == "cancelled"
        assert (await call("update_jackpot", 100, "USD"))["jackpot"]["amount"] == 100
        attempts = await call("get_webhook_attempts", round_id=rnd["round_id"], action="win")
        assert attempts["attempts"][0]["action_type"] == "win"
        assert (await call("get_deliveries", status="failed"))["deliveries"] == []
        assert (await call("sandbox_stats"))["stats"]["rounds"]["total"] == 1
        assert (await call("get_clock"))["clock"]["offset_seconds"] == 0
        assert (await call("advance_clock", 60))["clock"]["offset_seconds"] == 60
        tests = await call("get_certification_tests")
        run = await call("run_certification", "p-1", "USD", tests=[t["id"] for t in tests["tests"]])
        assert run["run"]["status"] == "passed"
        assert (await call("get_certification_status"))["certified"] is True
        assert (await call("webhook_url"))["webhook"]["reference_wallet"] is True
        assert (await call("set_webhook_url", None))["webhook"]["configured"] is None
        journal = await call("requests", {"path": "/api/sandbox/game/bet"}, per_page=5)
        assert [r["round_id"] for r in journal["requests"]] == [rnd["round_id"]]
        rule = {"route": "/api/games/featured", "kind": "latency", "latency_ms": 1, "count": 1}
        assert (await call("add_fault", rule))["fault"]["kind"] == "latency"
        assert [f["route"] for f in (await call("faults"))["faults"]] == ["/api/games/featured"]
        assert (await call("clear_faults"))["deleted"] == 1
        assert (await call("sandbox_reset"))["reset"]["rounds"] == 1
        with pytest.raises(NetspaceError) as failed:
            await sdk.resend_delivery("win", "txn_nope")
        assert failed.value.code == "NOT_FOUND" and failed.value.status == 404
        called.add("resend_delivery")
        assert called == set(API_METHODS)
    finally:
        await sdk.close()


async def test_errors_carry_the_envelope(client):
    async with AsyncNetspaceSDK(API_KEY, SECRET, base_url(client)) as sdk:
        with pytest.raises(NetspaceError) as failed:
            await sdk.launch_game(session_id="s", player_id="p", game_id="nope", currency="USD")
        assert (failed.value.status, failed.value.code) == (404, "NOT_FOUND")
        with pytest.raises(NetspaceError) as failed:
            await sdk.get_games(per_page=1000)
        assert (
            failed.value.code == "INVALID_REQUEST"
            and failed.value.details["errors"][0]["path"] == "$.per_page"
        )
    async with AsyncNetspaceSDK(API_KEY, "wrong-secret", base_url(client)) as sdk:
        with pytest.raises(NetspaceError) as failed:
            await sdk.get_currencies()
        assert failed.value.code == "UNAUTHORIZED" and "string_to_sign" in failed.value.details


async def test_blocking_client_as_in_the_guides_quick_start(client):
    def quick_start() -> dict:
        netspace = NetspaceSDK(api_key=API_KEY, secret_key=SECRET, base_url=base_url(client))
        try:
            return netspace.launch_game(
                session_id="session-123",
                player_id="player-456",
                game_id="lotterix",
                currency="USD",
                client_ip="192.168.1.1",
            )
        finally:
            netspace.close()

    session = await asyncio.to_thread(quick_start)
    assert session["session_id"] == "session-123" and "/play/" in session["game_url"]
    assert all(hasattr(NetspaceSDK, name) for name in API_METHODS)
