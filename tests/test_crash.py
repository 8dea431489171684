"""Crash safety: a burst of concurrent rounds against a wallet that fails many deliveries, the server
killed with SIGKILL in the middle of it, restarted on the same database file. Nothing acknowledged is
lost, nothing is sent twice with different content, every delivery completes, the wallet's ledger
reconciles with the rounds, and the database file is intact. Loopback only, bounded to ~30 s."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
import time
from collections import defaultdict
from decimal import Decimal

import aiohttp
import pytest

from netspace_mock import signing
from support import API_KEY, SECRET, free_port, implied, launch_body, serve_process, wait_healthy

pytestmark = pytest.mark.slow  # a burst, a SIGKILL and a restart
PLAYERS = 20
ROUNDS = 240
CONCURRENCY = 40
KILL_AFTER = 90  # answers received before the SIGKILL; the rest are in flight or not yet sent
FINAL = {"win": "settled", "lose": "settled", "refund": "refunded", "rollback": "rolled_back"}


async def _call(
    http: aiohttp.ClientSession, base: str, method: str, path: str, body=None
) -> tuple[int, dict]:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = signing.headers(API_KEY, SECRET, int(time.time()), method, path, raw)
    async with http.request(method, base + path, data=raw or None, headers=headers) as resp:
        return resp.status, await resp.json()


def _integrity(db: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


async def test_sigkill_mid_burst_loses_nothing_and_everything_is_delivered(wallet, tmp_path):
    rng = random.Random(2024)
    port, db = free_port(), str(tmp_path / "crash.db")
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 - closed in finally
    # Many deliveries fail: a third of the bets (rolled back), and half the attempts of the rest.
    wallet.fail(
        "bet", *[rng.choice(["http500", "garbage", "none", "none", "none", "none"]) for _ in range(600)]
    )
    for action in ("win", "refund", "rollback"):
        wallet.fail(action, *[rng.choice(["http500", "garbage", "none", "none"]) for _ in range(600)])
    seen: dict[str, dict] = {}  # round_id -> the round as the client was answered
    lost_in_flight = 0
    timings: dict[str, float] = {}
    proc = serve_process(
        "--port",
        str(port),
        "--db",
        db,
        "--webhook-url",
        wallet.url,
        "--webhook-backoff",
        "0.02",
        "--webhook-retries",
        "40",
        "--log-format",
        "json",
        stdout=log,
        stderr=log,
    )
    try:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=20)
        ) as http:
            await wait_healthy(http, base, proc)
            for i in range(PLAYERS):
                status, _ = await _call(
                    http, base, "POST", "/api/game/launch", launch_body(session_id=f"s{i}", player_id=f"p{i}")
                )
                assert status == 200
            enough = asyncio.Event()
            gate = asyncio.Semaphore(CONCURRENCY)

            async def play(n: int) -> None:
                nonlocal lost_in_flight
                body = {"session_id": f"s{n % PLAYERS}", "amount": rng.choice([0.1, 0.5, 1, 2.35])}
                outcome = rng.choice(["win", "win", "lose", None, "refund", "rollback"])
                if outcome:
                    body["outcome"] = outcome
                if outcome == "win":
                    body["win_amount"] = rng.choice([0.01, 1.5, 3.33])
                async with gate:
                    if enough.is_set() and proc.poll() is not None:
                        return  # the server is gone: never sent
                    try:
                        status, answer = await _call(http, base, "POST", "/api/sandbox/game/bet", body)
                    except (TimeoutError, aiohttp.ClientError):
                        lost_in_flight += 1  # sent, but the answer never came: the client knows nothing
                        return
                rnd = answer["round"] if status == 200 else answer["error"]["details"]["round"]
                assert status in (200, 502), answer
                seen[rnd["round_id"]] = {**rnd, "requested": outcome}
                if len(seen) >= KILL_AFTER:
                    enough.set()

            async def killer() -> None:
                await enough.wait()
                await asyncio.sleep(0.05)  # well inside the burst: bets and retries in flight
                proc.send_signal(signal.SIGKILL)
                timings["killed_at"] = time.monotonic()
                await asyncio.get_running_loop().run_in_executor(None, proc.wait, 10)

            started = time.monotonic()
            await asyncio.gather(killer(), *(play(n) for n in range(ROUNDS)))
            timings["burst_s"] = timings["killed_at"] - started
            assert proc.returncode == -signal.SIGKILL
            assert _integrity(db) == "ok"  # the file a SIGKILL left behind is consistent

            # Restart on the same file; the wallet still fails some deliveries.
            wallet.faults.clear()
            for action in ("win", "refund", "rollback"):
                wallet.fail(action, "http500", "garbage")
            proc = serve_process(
                "--port",
                str(port),
                "--db",
                db,
                "--webhook-url",
                wallet.url,
                "--webhook-backoff",
                "0.02",
                "--webhook-retries",
                "40",
                "--log-format",
                "json",
                stdout=log,
                stderr=log,
            )
            restarted = time.monotonic()
            await wait_healthy(http, base, proc)
            timings["restart_to_healthy_s"] = time.monotonic() - restarted
            # Every pending delivery completes.
            for _ in range(600):
                _, pending = await _call(
                    http, base, "GET", "/api/sandbox/deliveries?status=pending&per_page=1"
                )
                _, stats = await _call(http, base, "GET", "/api/sandbox/stats")
                if pending["pagination"]["total"] == 0 and stats["stats"]["rounds"]["open"] == 0:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"still pending: {pending['pagination']['total']}")
            timings["restart_to_drained_s"] = time.monotonic() - restarted
            _, failed = await _call(http, base, "GET", "/api/sandbox/deliveries?status=failed&per_page=1")
            assert failed["pagination"]["total"] == 0

            # Every round the database holds, the ones the client never heard of included.
            _, bets = await _call(http, base, "GET", "/api/sandbox/deliveries?action=bet&per_page=500")
            round_ids = {d["round_id"] for d in bets["deliveries"]}
            final = {}
            for round_id in round_ids:
                status, answer = await _call(http, base, "GET", f"/api/sandbox/rounds/{round_id}")
                assert status == 200
                final[round_id] = answer["round"]
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        log.close()

    # Nothing acknowledged is lost: every round the client was answered is there, and ended as asked.
    assert len(seen) >= KILL_AFTER and set(seen) <= set(final)
    for round_id, answered in seen.items():
        now = final[round_id]
        assert now["status"] != "open", now
        if answered["bet"]["status"] == "acknowledged":
            expected = FINAL[answered["requested"]] if answered["requested"] else "settled"
            assert now["status"] == expected, (answered, now)
        assert now["bet"]["transaction_id"] == answered["bet"]["transaction_id"]
    # Nothing was sent with different content, across both processes.
    bodies: dict[tuple[str, str], set[bytes]] = defaultdict(set)
    for call in wallet.calls:
        bodies[(call["payload"]["action_type"], call["payload"]["transaction_id"])].add(call["raw"])
    assert all(len(b) == 1 for b in bodies.values())
    # The wallet's ledger reconciles with the rounds, to the cent.
    expected_balances = implied(list(final.values()), Decimal(100))
    for i in range(PLAYERS):
        assert wallet.balances[(f"p{i}", "USD")] == expected_balances[f"p{i}"], f"p{i}"
    assert wallet.problems == [] and wallet.max_overlap == 1
    assert _integrity(db) == "ok"
    print(
        f"\ncrash: {len(final)} rounds in the database, {len(seen)} answered before the SIGKILL, "
        f"{lost_in_flight} in flight; {len(wallet.calls)} webhook calls; "
        + ", ".join(f"{k} {v:.2f}" for k, v in timings.items() if k != "killed_at")
    )
