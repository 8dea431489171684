"""The sandbox clock: advancing it expires sessions and free bets at once; signatures still use real time."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
