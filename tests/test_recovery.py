"""Deliveries survive a stop and a crash: they resume on the next start, same body, nothing lost."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from decimal import Decimal

import aiohttp
import pytest

from netspace_mock import signing
from netspace_mock.app import DISPATCHER
from netspace_mock.domain.rounds.deliveries import delivery
from netspace_mock.domain.sessions import require_session
from netspace_mock.serving import PLATFORM
from netspace_mock.store import rounds as round_store
from netspace_mock.webhooks import outbox
from support import API_KEY, SECRET, free_port, launch_body, serve_process, wait_healthy


async def test_pending_win_is_delivered_after_restart(mock_factory, wallet, tmp_path):
    first = await mock_factory(webhook_url=wallet.url, webhook_backoff=60.0)
    await first.ok("POST", "/api/game/launch", launch_body())
    wallet.fail("win", "http500")
    rnd = (
        await first.ok(
            "POST",
            "/api/sandbox/game/bet",
            {"session_id": "sess-1", "amount": 1, "outcome": "win", "win_amount": 4},
        )
    )["round"]
    assert rnd["win"]["status"] == "pending" and rnd["win"]["attempts"] == 1
    await first.client.close()  # stopped with the retry 60 s away

    second = await mock_factory(webhook_url=wallet.url)
    await second.client.app[DISPATCHER].idle()
    detail = (await second.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}"))["round"]
    assert detail["status"] == "settled" and detail["win"]["attempts"] == 2
    wins = [c["raw"] for c in wallet.calls if c["payload"]["action_type"] == "win"]
    assert len(wins) == 2 and wins[0] == wins[1]
    assert wallet.balances[("player-1", "USD")] == Decimal(103)


async def test_bet_pending_at_stop_is_rolled_back_on_start(mock_factory, wallet):
    first = await mock_factory(webhook_url=wallet.url)
    await first.ok("POST", "/api/game/launch", launch_body())
    platform = first.client.app[PLATFORM]
    # The state play() commits before sending a bet: the round and its pending bet, never answered.
    session = await require_session(platform, platform.operators.default, "sess-1")
    rnd = round_store.Round(
        operator_id=1,
        round_id="round_crashed",
        session_id="sess-1",
        player_id="player-1",
        game_id="lotterix",
        currency="USD",
        kind="real",
        amount=Decimal(2),
        outcome="lose",
        win_amount=Decimal(0),
        result={},
        status="open",
        balance=None,
        free_bet_id=None,
        created_at=time.time(),
        finished_at=None,
    )
    bet = delivery(platform, rnd, session, "bet", "txn_" + "a" * 32, Decimal(2))
    async with platform.db.transaction() as conn:
        await round_store.insert_round(conn, rnd)
        await outbox.enqueue(conn, bet)
    await first.client.close()

    second = await mock_factory(webhook_url=wallet.url)
    await second.client.app[DISPATCHER].idle()
    detail = (await second.ok("GET", "/api/sandbox/rounds/round_crashed"))["round"]
    assert detail["status"] == "rolled_back" and detail["bet"]["status"] == "unknown"
    assert [c["payload"]["action_type"] for c in wallet.calls] == ["rollback"]
    assert wallet.of("rollback")[0]["transaction_id"] == "txn_" + "a" * 32


async def _signed(session: aiohttp.ClientSession, base: str, path: str, body: dict) -> dict:
    raw = json.dumps(body)
    headers = signing.headers(API_KEY, SECRET, int(time.time()), "POST", path, raw)
    async with session.post(base + path, data=raw, headers=headers) as resp:
        return await resp.json()


@pytest.mark.slow  # a server subprocess killed and started again
async def test_kill_9_with_failing_wins_then_restart_delivers_everything(wallet, tmp_path):
    port, db = free_port(), str(tmp_path / "crash.db")
    base = f"http://127.0.0.1:{port}"
    wallet.fail("win", *["http500"] * 1000)
    proc = serve_process(
        "--port",
        str(port),
        "--db",
        db,
        "--webhook-url",
        wallet.url,
        "--webhook-backoff",
        "0.2",
        "--webhook-retries",
        "50",
    )
    try:
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, base)
            await _signed(http, base, "/api/game/launch", launch_body())
            for _ in range(10):
                answer = await _signed(
                    http,
                    base,
                    "/api/sandbox/game/bet",
                    {"session_id": "sess-1", "amount": 1, "outcome": "win", "win_amount": 2},
                )
                assert answer["round"]["bet"]["status"] == "acknowledged"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            wallet.faults.clear()
            proc = serve_process(
                "--port",
                str(port),
                "--db",
                db,
                "--webhook-url",
                wallet.url,
                "--webhook-backoff",
                "0.2",
                "--webhook-retries",
                "50",
            )
            await wait_healthy(http, base)
            for _ in range(200):
                if (
                    len({p["transaction_id"] for p in wallet.of("win")}) == 10
                    and wallet.balances[("player-1", "USD")] == 110
                ):
                    break
                await asyncio.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    bodies: dict[str, set[bytes]] = {}
    for call in wallet.calls:
        if call["payload"]["action_type"] == "win":
            bodies.setdefault(call["payload"]["transaction_id"], set()).add(call["raw"])
    assert len(bodies) == 10 and all(len(b) == 1 for b in bodies.values())  # never different content
    assert wallet.balances[("player-1", "USD")] == Decimal(110)
    assert wallet.problems == []
