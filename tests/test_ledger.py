"""Reconciliation: after many rounds, with faults and concurrency, the wallet's balances equal exactly
what the mock's rounds imply, to the cent."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import pytest

from netspace_mock.app import DISPATCHER
from netspace_mock.serving import PLATFORM
from support import implied, launch_body
from wallet_attacks import ATTACKS

pytestmark = pytest.mark.slow  # hundreds of rounds each


async def final_rounds(op, round_ids: list[str]) -> list[dict]:
    await op.client.app[DISPATCHER].idle()
    return [(await op.ok("GET", f"/api/sandbox/rounds/{rid}"))["round"] for rid in round_ids]


async def play(op, session_id: str, rng: random.Random) -> str | None:
    body = {"session_id": session_id, "amount": rng.choice([0.1, 0.5, 1, 2.35, 5])}
    pick = rng.random()
    if pick < 0.1:
        body["outcome"] = "refund"
    elif pick < 0.2:
        body["outcome"] = "rollback"
    elif pick < 0.3:
        body.update(outcome="win", win_amount=rng.choice([0.01, 3.33, 12]))
    status, answer = await op.post("/api/sandbox/game/bet", body)
    rnd = answer["round"] if status == 200 else answer["error"]["details"]["round"]
    return rnd["round_id"]


async def test_hundreds_of_random_rounds_with_faults_reconcile(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url, webhook_timeout=0.15, webhook_retries=8)
    rng = random.Random(7)
    players = [f"player-{i}" for i in range(5)]
    for i, player in enumerate(players):
        await op.ok("POST", "/api/game/launch", launch_body(session_id=f"s{i}", player_id=player))
    for action, faults in (
        ("bet", ["http500", "late:0.3", "garbage", "business:INTERNAL_ERROR", "sleep:0.3"]),
        ("win", ["http500", "garbage", "duplicate", "sleep:0.3"]),
        ("refund", ["http500", "garbage"]),
        ("rollback", ["http500", "late:0.3"]),
    ):
        wallet.fail(action, *[rng.choice(faults + [None] * 6) or "none" for _ in range(400)])
    ids = [await play(op, f"s{rng.randrange(5)}", rng) for _ in range(300)]
    rounds = await final_rounds(op, ids)
    assert {r["status"] for r in rounds} >= {"settled", "refunded", "rolled_back", "rejected"}
    expected = implied(rounds, Decimal(100))
    for player in players:
        assert wallet.balances[(player, "USD")] == expected[player], player
    assert wallet.problems == []


async def test_random_rounds_with_hostile_answers_in_the_mix_reconcile(mock_factory, hostile_wallet):
    """As above, with the wallet's answers replaced at random by hostile ones (pieces, 200 KB, over
    1 MiB, unbounded or non-finite numbers, invalid UTF-8, a lone surrogate, deep nesting)."""
    wallet = hostile_wallet
    op = await mock_factory(webhook_url=wallet.url, webhook_timeout=5.0, webhook_retries=12)
    rng = random.Random(17)
    players = [f"player-{i}" for i in range(5)]
    for i, player in enumerate(players):
        await op.ok("POST", "/api/game/launch", launch_body(session_id=f"s{i}", player_id=player))
    # The slow drip is left to its own test: here it would only make the run wait for timeouts.
    attacks: list[str | None] = [name for name in ATTACKS if name != "slow_drip"]
    for action in ("bet", "win", "refund", "rollback"):
        wallet.fail(action, *[rng.choice(attacks + [None] * 8) for _ in range(300)])
    ids = [await play(op, f"s{rng.randrange(5)}", rng) for _ in range(120)]
    rounds = await final_rounds(op, ids)
    assert {r["status"] for r in rounds} >= {"settled", "refunded", "rolled_back"}
    assert wallet.hostile_calls > 30
    expected = implied(rounds, Decimal(100))
    for player in players:
        assert wallet.balances[(player, "USD")] == expected[player], player
    assert wallet.problems == []
    rows = await op.client.app[PLATFORM].db.fetchall(
        "SELECT outcome, COUNT(*) AS n FROM webhook_attempts GROUP BY outcome"
    )
    outcomes = {r["outcome"]: r["n"] for r in rows}
    assert outcomes.get("invalid_response", 0) > 30


async def test_200_concurrent_bets_over_20_sessions_keep_every_ledger_exact(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url)
    for i in range(20):
        await op.ok("POST", "/api/game/launch", launch_body(session_id=f"s{i}", player_id=f"p{i}"))
    wallet.fail("win", *["http500"] * 40)
    rng = random.Random(3)
    ids = await asyncio.gather(*[play(op, f"s{i % 20}", rng) for i in range(200)])
    rounds = await final_rounds(op, ids)
    expected = implied(rounds, Decimal(100))
    for i in range(20):
        assert wallet.balances[(f"p{i}", "USD")] == expected[f"p{i}"]
    assert wallet.max_overlap == 1


async def test_reference_wallet_plays_1000_rounds_with_zero_discrepancies(client):
    """The built-in wallet (the default webhook) and the mock agree on every balance after 1,000 rounds."""
    rng = random.Random(11)
    players = [f"ref-{i}" for i in range(10)]
    for i, player in enumerate(players):
        await client.ok("POST", "/api/game/launch", launch_body(session_id=f"r{i}", player_id=player))
    ids: list[str] = []
    for batch in range(50):
        ids += await asyncio.gather(*[play(client, f"r{(batch + j) % 10}", rng) for j in range(20)])
    rounds = await final_rounds(client, ids)
    assert len(rounds) == 1000
    expected = implied(rounds, Decimal(1000))
    platform = client.client.app[PLATFORM]
    rows = await platform.db.fetchall("SELECT player_id, balance FROM wallet_accounts")
    actual = {r["player_id"]: Decimal(r["balance"]) for r in rows}
    discrepancies = {p: (actual.get(p), expected[p]) for p in players if actual.get(p) != expected[p]}
    assert discrepancies == {}
    # The mock's last known balance of each player is what the wallet holds: the round that made the
    # player's last booking recorded the balance the wallet answered it with (concurrent rounds of one
    # player may finish in either order, so the newest round is not always that one).
    last = await platform.db.fetchall(
        "SELECT player_id, round_id FROM wallet_transactions WHERE rowid IN "
        "(SELECT MAX(rowid) FROM wallet_transactions GROUP BY player_id)"
    )
    by_id = {r["round_id"]: r for r in rounds}
    assert {r["player_id"] for r in last} == set(players)
    for row in last:
        assert Decimal(str(by_id[row["round_id"]]["balance"])) == actual[row["player_id"]]
