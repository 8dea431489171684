"""The sandbox clock, one per operator: advancing it expires that operator's sessions and free bets at
once and makes its scheduled calls due, and no one else's; signatures still use real time."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netspace_mock.domain import free_bets as free_bets_module
from netspace_mock.serving import PLATFORM
from netspace_mock.sources import Ids, iso, parse_iso
from support import launch_body


async def test_advancing_the_clock_expires_a_session_and_a_free_bet(client):
    await client.ok("POST", "/api/game/launch", launch_body())
    fb = (
        await client.ok(
            "POST",
            "/api/v1/freebets/assign",
            {
                "operator_free_bet_id": "p1",
                "player_id": "player-1",
                "free_bets": {"amount": 5, "currency": "USD", "expires_at": "2036-01-01T00:00:00Z"},
            },
        )
    )["free_bet"]
    before = (await client.ok("GET", "/api/sandbox/clock"))["clock"]
    assert before["offset_seconds"] == 0
    # One day and a second: the session (24 h) is over, the free bet (2036) is not.
    moved = (await client.ok("POST", "/api/sandbox/clock", {"advance_seconds": 86401}))["clock"]
    assert moved["offset_seconds"] == 86401 and moved["now"] > before["now"]
    err = await client.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 1},
        status=404,
        code="INVALID_SESSION",
    )
    assert "expired" in err["message"]
    status = await client.ok(
        "POST", "/api/v1/freebets/status", {"netspace_free_bet_id": fb["netspace_free_bet_id"]}
    )
    assert status["free_bet"]["status"] == "active"
    await client.ok("POST", "/api/sandbox/clock", {"advance_seconds": 10 * 365 * 86400})  # ten years on
    status = await client.ok(
        "POST", "/api/v1/freebets/status", {"netspace_free_bet_id": fb["netspace_free_bet_id"]}
    )
    assert status["free_bet"]["status"] == "expired"


async def test_clock_input_is_validated(client):
    for body in (
        {},
        {"advance_seconds": 0},
        {"advance_seconds": -5},
        {"advance_seconds": "60"},
        {"advance_seconds": 1e12},
    ):
        await client.error("POST", "/api/sandbox/clock", body, status=400, code="INVALID_REQUEST")
    assert (await client.ok("GET", "/api/sandbox/clock"))["clock"]["offset_seconds"] == 0


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=253_402_300_798_999))  # ms, to 9999-12-31 less 1 s
def test_iso_is_the_utc_time_to_the_millisecond(millis):
    ts = (millis + 0.5) / 1000  # inside the millisecond, clear of float rounding at its edges
    expected = (
        datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
    )
    assert iso(ts) == expected  # a fraction of a millisecond is cut, never rounded up
    assert iso(ts - 1) < expected < iso(ts + 1) or millis < 1000
    assert parse_iso(iso(ts)) == pytest.approx(millis / 1000, abs=1e-6)


def test_unseeded_ids_are_the_systems_randomness_and_seeded_ids_repeat():
    assert isinstance(Ids().rng, random.SystemRandom)
    assert Ids(7).hex(40) == Ids(7).hex(40)
    assert Ids().hex(40) != Ids().hex(40)
    assert Ids(7).hex(8) == f"{random.Random(7).getrandbits(32):08x}"  # the sequence a seed always made
    ids = Ids()
    for length in (1, 7, 28, 40):
        digits = ids.hex(length)
        assert len(digits) == length and set(digits) <= set("0123456789abcdef")
    made = [ids.make("txn_") for _ in range(1000)]
    assert len(set(made)) == 1000 and all(len(i) == 36 for i in made)
    a, b = Ids(5), Ids(5)
    a.start(1)
    b.start(1)
    assert [a.make("round_", 24) for _ in range(5)] == [b.make("round_", 24) for _ in range(5)]


def test_orders_never_repeat_across_starts():
    ids = Ids()
    ids.start(3)
    first = ids.order()
    then = ids.order()
    assert first >> 32 == 3 and then == first + 1
    restarted = Ids()
    restarted.start(4)
    assert restarted.order() > then


def test_a_key_is_the_seeds_own_and_leaves_the_seeded_ids_as_they_were():
    plain, keyed = Ids(11), Ids(11)
    for ids in (plain, keyed):
        ids.start(1)
    key = keyed.key("k", 32)
    assert len(key) == 32 and key == Ids(11).key("k", 32) != Ids(12).key("k", 32)
    assert key != keyed.key("another", 32)  # each key its own
    assert [keyed.make("txn_") for _ in range(3)] == [plain.make("txn_") for _ in range(3)]
    unseeded = Ids()
    assert unseeded.key("k", 32) != unseeded.key("k", 32)


# ---- each operator's own clock ----------------------------------------------------------------------

DAY = 86_400


async def _assign(op, player_id: str, expires_at: str) -> str:
    body = {
        "operator_free_bet_id": f"fb-{player_id}",
        "player_id": player_id,
        "free_bets": {"amount": 5, "currency": "USD", "expires_at": expires_at},
    }
    return (await op.ok("POST", "/api/v1/freebets/assign", body))["free_bet"]["netspace_free_bet_id"]


async def _free_bet_status(op, netspace_free_bet_id: str) -> str:
    body = {"netspace_free_bet_id": netspace_free_bet_id}
    return (await op.ok("POST", "/api/v1/freebets/status", body))["free_bet"]["status"]


async def test_an_operators_clock_moves_its_own_sessions_free_bets_and_rounds_only(pair, clock):
    a, b = pair
    platform = a.client.app[PLATFORM]
    in_two_days = iso(clock.now() + 2 * DAY)
    free_bets = {}
    for op, who in ((a, "a"), (b, "b")):
        await op.ok("POST", "/api/game/launch", launch_body(session_id=f"{who}-s", player_id=f"{who}-p"))
        free_bets[who] = await _assign(op, f"{who}-p", in_two_days)

    moved = (await a.ok("POST", "/api/sandbox/clock", {"advance_seconds": 3 * DAY}))["clock"]
    assert moved["offset_seconds"] == 3 * DAY
    assert parse_iso(moved["now"]) == pytest.approx(clock.now() + 3 * DAY, abs=5)
    b_clock = (await b.ok("GET", "/api/sandbox/clock"))["clock"]
    assert b_clock["offset_seconds"] == 0 and parse_iso(b_clock["now"]) == pytest.approx(clock.now(), abs=5)

    # A's session is over and its free bet expired, by the background sweep as by a read.
    err = await a.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "a-s", "amount": 1},
        status=404,
        code="INVALID_SESSION",
    )
    assert "expired" in err["message"]
    assert await free_bets_module.sweep(platform) == 1
    assert await _free_bet_status(a, free_bets["a"]) == "expired"
    # B's session plays on, its round stamped in B's time (the platform's), its free bet still active.
    rnd = (
        await b.ok("POST", "/api/sandbox/game/bet", {"session_id": "b-s", "amount": 1, "outcome": "lose"})
    )["round"]
    assert rnd["status"] == "settled"
    assert parse_iso(rnd["created_at"]) == pytest.approx(clock.now(), abs=5)
    assert await _free_bet_status(b, free_bets["b"]) == "active"

    # A relaunch puts A's next round in A's time, payload timestamp included.
    await a.ok("POST", "/api/game/launch", launch_body(session_id="a-s2", player_id="a-p"))
    rnd = (
        await a.ok("POST", "/api/sandbox/game/bet", {"session_id": "a-s2", "amount": 1, "outcome": "lose"})
    )["round"]
    assert parse_iso(rnd["created_at"]) == pytest.approx(clock.now() + 3 * DAY, abs=5)


async def test_a_clock_makes_its_own_delayed_win_due_and_no_one_elses(pair, wallet):
    a, b = pair
    rounds = {}
    for op, who in ((a, "a"), (b, "b")):
        await op.ok("POST", "/api/game/launch", launch_body(session_id=f"{who}-s", player_id=f"{who}-p"))
        body = {"session_id": f"{who}-s", "amount": 1, "outcome": "win", "win_amount": 2}
        body |= {"scenario": "delayed_win", "delay_seconds": 600}
        rounds[who] = (await op.ok("POST", "/api/sandbox/game/bet", body))["round"]
    await a.ok("POST", "/api/sandbox/clock", {"advance_seconds": 601})
    deadline = time.monotonic() + 10
    while (await a.ok("GET", f"/api/sandbox/rounds/{rounds['a']['round_id']}"))["round"][
        "status"
    ] != "settled":
        assert time.monotonic() < deadline, "A's delayed win was not sent after A's clock passed it"
        await asyncio.sleep(0.02)
    b_now = (await b.ok("GET", f"/api/sandbox/rounds/{rounds['b']['round_id']}"))["round"]
    assert b_now["status"] == "open" and b_now["win"]["status"] == "pending"
    assert b_now["win"]["next_attempt_at"] == rounds["b"]["win"]["next_attempt_at"]
    assert [c["payload"]["player_id"] for c in wallet.calls if c["payload"]["action_type"] == "win"] == [
        "a-p"
    ]


async def test_each_clock_is_bounded_on_its_own(pair):
    """At most 100 years ahead, so no time past year 9999 is ever written; one operator at the bound
    leaves every other operator's clock free."""
    a, b = pair
    ten_years = 315_360_000
    for _ in range(10):
        await a.ok("POST", "/api/sandbox/clock", {"advance_seconds": ten_years})
    err = await a.error(
        "POST", "/api/sandbox/clock", {"advance_seconds": ten_years}, status=400, code="INVALID_REQUEST"
    )
    assert "your sandbox clock is 3153600000 s ahead" in err["message"]
    assert "at most 3153600000 s (100 years) ahead" in err["message"]
    assert (await b.ok("POST", "/api/sandbox/clock", {"advance_seconds": ten_years}))["clock"][
        "offset_seconds"
    ] == ten_years


async def test_a_clock_is_kept_across_a_restart(mock_factory, clock):
    """A session the clock expired stays expired after a restart, and new rounds keep the clock's time."""
    first = await mock_factory()
    await first.ok("POST", "/api/game/launch", launch_body())
    await first.ok("POST", "/api/sandbox/clock", {"advance_seconds": 2 * DAY})
    await first.client.close()

    second = await mock_factory()
    assert (await second.ok("GET", "/api/sandbox/clock"))["clock"]["offset_seconds"] == 2 * DAY
    await second.error(
        "POST",
        "/api/sandbox/game/bet",
        {"session_id": "sess-1", "amount": 1},
        status=404,
        code="INVALID_SESSION",
    )
    await second.ok("POST", "/api/game/launch", launch_body(session_id="sess-2"))
    rnd = (await second.ok("POST", "/api/sandbox/game/bet", {"session_id": "sess-2", "amount": 1}))["round"]
    assert parse_iso(rnd["created_at"]) == pytest.approx(clock.now() + 2 * DAY, abs=5)
