"""The sandbox clock: advancing it expires sessions and free bets at once; signatures still use real time."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netspace_mock.sources import Ids, PooledSystemRandom, iso, parse_iso
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
    # iso() renders each second once; whatever the order of calls, every value is datetime's own.
    ts = (millis + 0.5) / 1000  # inside the millisecond, clear of float rounding at its edges
    expected = (
        datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
    )
    assert iso(ts) == expected  # a fraction of a millisecond is cut, never rounded up
    assert iso(ts - 1) < expected < iso(ts + 1) or millis < 1000
    assert parse_iso(iso(ts)) == pytest.approx(millis / 1000, abs=1e-6)


def test_pooled_system_randomness_gives_whole_fresh_draws():
    """Unseeded ids come from os.urandom read a pool at a time: every draw in range, none repeated, and
    draws larger than the pool or across its refills whole."""
    rng = PooledSystemRandom()
    assert rng.getrandbits(0) == 0
    with pytest.raises(ValueError):
        rng.getrandbits(-1)
    ids = {f"{rng.getrandbits(160):040x}" for _ in range(3 * PooledSystemRandom.POOL_BYTES // 20)}
    assert len(ids) == 3 * PooledSystemRandom.POOL_BYTES // 20  # refilled twice, never a repeat
    assert all(len(i) == 40 for i in ids)
    assert rng.getrandbits(8 * 10_000).bit_length() > 8 * 9_990  # one draw larger than the pool
    assert all(0 <= rng.getrandbits(3) < 8 for _ in range(200))
    assert {rng.getrandbits(3) for _ in range(400)} == set(range(8))
    floats = [rng.random() for _ in range(2000)]
    assert all(0.0 <= f < 1.0 for f in floats) and len(set(floats)) == len(floats)
    assert {rng.randrange(6) for _ in range(400)} == set(range(6))
    assert len(rng.randbytes(5000)) == 5000


def test_unseeded_ids_use_the_pool_and_seeded_ids_repeat():
    assert isinstance(Ids().rng, PooledSystemRandom)
    assert Ids(7).hex(40) == Ids(7).hex(40)
    assert Ids().hex(40) != Ids().hex(40)
    # A seed makes the sequence it made before the pooled ids took their own path.
    assert Ids(7).hex(8) == f"{random.Random(7).getrandbits(32):08x}"


def test_pooled_hex_digits_have_the_length_asked_for_and_every_digit():
    rng = PooledSystemRandom()
    for length in (0, 1, 7, 28, 40, 2 * PooledSystemRandom.POOL_BYTES + 3):
        digits = rng.hex_digits(length)
        assert len(digits) == length and set(digits) <= set("0123456789abcdef")
    odd = [rng.hex_digits(1) for _ in range(800)]  # the last digit of an odd length is drawn too
    assert set(odd) == set("0123456789abcdef")
    ids = Ids()
    assert len({ids.hex(28) for _ in range(3 * PooledSystemRandom.POOL_BYTES // 14)}) == (
        3 * PooledSystemRandom.POOL_BYTES // 14
    )  # across refills, never a repeat


def test_long_ids_start_in_the_order_they_are_made_and_stay_random_after():
    ids = Ids()
    ids.start(7)
    made = [ids.make("txn_") for _ in range(300)]
    assert made == sorted(made) and len(set(made)) == 300
    assert all(len(i) == 36 and i.startswith("txn_0007") for i in made)
    assert len({i[-20:] for i in made}) == 300  # the random part (80 bits here) differs each time
    token = ids.make("", 40)
    assert len(token) == 40 and int(token, 16) >= 0
    restarted = Ids()
    restarted.start(8)  # the next start of the same database orders after every id of this one
    assert restarted.make("txn_") > made[-1]
    short = [ids.make("run_", 20) for _ in range(50)]  # too short to give digits to the order
    assert short != sorted(short)
    a, b = Ids(5), Ids(5)
    a.start(1)
    b.start(1)
    assert [a.make("round_", 24) for _ in range(5)] == [b.make("round_", 24) for _ in range(5)]


def test_orders_are_shared_with_ids_and_never_repeat_across_starts():
    ids = Ids()
    ids.start(3)
    first = ids.order()
    txn = ids.make("txn_")
    then = ids.order()
    assert first >> 32 == 3 and then == first + 2  # make() took the order between them
    assert int(txn[4:16], 16) == first + 1
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
