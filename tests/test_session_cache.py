"""The platform's cache of sessions (domain.session_cache) never gives a session other than the one
committed: after a relaunch, an expiry, a sandbox reset, a write that failed, and under a mix of them
all at once. Each test reads the session through the API after it was cached, where a stale entry would
show; and the mix ends by comparing every entry kept with the database's row."""

from __future__ import annotations

import asyncio
import random

from netspace_mock.domain.session_cache import SessionCache
from netspace_mock.store import sessions as store
from netspace_mock.store.sessions import Session
from support import KEY_B, SECRET_B, Signed, count_rows, launch_body, operators_file

BET = {"session_id": "sess-1", "amount": 1, "outcome": "lose"}


def key(platform, session_id: str = "sess-1") -> tuple[int, str]:
    return (platform.operators.default.id, session_id)


async def test_a_bet_reads_its_session_from_the_cache_once_launched(client, platform):
    await client.ok("POST", "/api/game/launch", launch_body())
    rowid, cached = platform.sessions.get(key(platform))
    assert (rowid, cached) == await store.get_stored(platform.db, *key(platform))
    await client.ok("POST", "/api/sandbox/game/bet", BET)
    assert platform.sessions.get(key(platform)) == (rowid, cached)


async def test_a_relaunch_that_changes_the_session_is_what_the_next_bet_plays(client, platform):
    await client.ok("POST", "/api/game/launch", launch_body())
    await client.ok("POST", "/api/sandbox/game/bet", BET)  # the session is cached now
    await client.ok("POST", "/api/game/launch", launch_body(game_id="tiger-spins", language="de"))
    rnd = (await client.ok("POST", "/api/sandbox/game/bet", {**BET, "outcome": "lose"}))["round"]
    assert rnd["game_id"] == "tiger-spins"
    _, cached = platform.sessions.get(key(platform))
    assert cached == await store.get(platform.db, *key(platform))
    assert (cached.game_id, cached.language) == ("tiger-spins", "de")


async def test_an_expired_session_is_not_used_though_it_is_cached(client, platform, clock):
    await client.ok("POST", "/api/game/launch", launch_body())
    assert platform.sessions.get(key(platform)) is not None
    clock.advance(86_400 + 1)
    err = await client.error("POST", "/api/sandbox/game/bet", BET, status=404, code="INVALID_SESSION")
    assert "expired" in err["message"]
    await client.error("POST", "/api/game/launch", launch_body(), status=404, code="INVALID_SESSION")


async def test_a_sandbox_reset_drops_the_sessions_it_deleted(client, platform):
    await client.ok("POST", "/api/game/launch", launch_body())
    await client.ok("POST", "/api/sandbox/game/bet", BET)
    await client.ok("POST", "/api/sandbox/reset")
    assert platform.sessions.get(key(platform)) is None
    err = await client.error("POST", "/api/sandbox/game/bet", BET, status=404, code="INVALID_SESSION")
    assert "does not exist" in err["message"]
    # The same session_id is a new session now, which another player may own.
    await client.ok("POST", "/api/game/launch", launch_body(player_id="player-2", currency="EUR"))
    rnd = (await client.ok("POST", "/api/sandbox/game/bet", BET))["round"]
    assert (rnd["player_id"], rnd["currency"]) == ("player-2", "EUR")


async def test_a_reset_by_one_operator_leaves_anothers_sessions_playable(mock_factory, tmp_path):
    a = await mock_factory(operators=operators_file(tmp_path))
    b = Signed(a.client, KEY_B, SECRET_B, now=a.now)
    await a.ok("POST", "/api/game/launch", launch_body())
    await b.ok("POST", "/api/game/launch", launch_body(player_id="b-player"))
    await a.ok("POST", "/api/sandbox/reset")
    await a.error("POST", "/api/sandbox/game/bet", BET, status=404, code="INVALID_SESSION")
    rnd = (await b.ok("POST", "/api/sandbox/game/bet", BET))["round"]
    assert rnd["player_id"] == "b-player" and rnd["status"] == "settled"


async def test_a_relaunch_whose_write_failed_leaves_the_session_as_stored(client, platform):
    await client.ok("POST", "/api/game/launch", launch_body())
    await client.ok("POST", "/api/sandbox/game/bet", BET)
    await platform.db.execute("PRAGMA query_only = ON")  # every write now fails, as on a full disk
    status, answer = await client.post("/api/game/launch", launch_body(game_id="tiger-spins"))
    assert (status, answer["error"]["code"]) == (503, "STORAGE_UNAVAILABLE")
    await platform.db.execute("PRAGMA query_only = OFF")
    rnd = (await client.ok("POST", "/api/sandbox/game/bet", BET))["round"]
    assert rnd["game_id"] == "lotterix"
    assert (await store.get(platform.db, *key(platform))).game_id == "lotterix"


async def test_demo_sessions_are_not_cached_so_their_balance_is_read_fresh(client, platform):
    demo = await client.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix"})
    sid = demo["session_id"]
    await client.ok("POST", "/api/sandbox/game/bet", {"session_id": sid, "amount": 10, "outcome": "lose"})
    assert platform.sessions.get(key(platform, sid)) is None
    balance = await client.ok("GET", f"/api/sandbox/game/balance?session_id={sid}")
    assert balance["balance"] == demo["balance"] - 10


def test_a_read_begun_before_a_write_is_not_kept():
    cache = SessionCache(capacity=8)
    old = Session(1, "s", "p", "lotterix", "USD", "en", None, None, "real", None, 0.0, 1.0)
    new = old._replace(game_id="tiger-spins")
    epoch = cache.epoch  # a read of the old row begins
    cache.replace((1, "s"), (7, new))  # a write commits meanwhile
    cache.fill((1, "s"), (7, old), epoch)  # the read ends, with what it saw before the write
    assert cache.get((1, "s")) == (7, new)
    epoch = cache.epoch
    cache.clear()  # a reset
    cache.fill((1, "s"), (7, new), epoch)
    assert cache.get((1, "s")) is None
    epoch = cache.epoch
    cache.forget((1, "other"))  # a write that failed, of any session
    cache.fill((1, "s"), (7, new), epoch)
    assert cache.get((1, "s")) is None
    cache.fill((1, "s"), (7, new), cache.epoch)
    assert cache.get((1, "s")) == (7, new)


def test_the_cache_is_bounded():
    cache = SessionCache(capacity=3)
    base = Session(1, "s", "p", "lotterix", "USD", "en", None, None, "real", None, 0.0, 1.0)
    for n in range(10):
        cache.fill((1, f"s{n}"), (n, base._replace(session_id=f"s{n}")), cache.epoch)
    assert len(cache) == 3 and cache.get((1, "s9")) is not None and cache.get((1, "s0")) is None


async def test_under_concurrent_launches_relaunches_bets_and_resets_every_entry_is_the_database_row(
    client, platform
):
    """Many requests at once, on few sessions, so that reads, relaunches and resets overlap; then each
    entry the cache kept is compared with the row committed."""
    rng = random.Random(7)
    games = ["lotterix", "tiger-spins"]
    sids = [f"mix-{n}" for n in range(4)]

    def request(other: str):
        sid = rng.choice(sids)
        if rng.random() < 0.5:
            body = launch_body(session_id=sid, player_id=f"p-{sid}", game_id=rng.choice(games))
            return client.post("/api/game/launch", body)
        if other == "reset":
            return client.post("/api/sandbox/reset") if rng.random() < 0.1 else client.get("/health")
        return client.post("/api/sandbox/game/bet", {"session_id": sid, "amount": 1, "outcome": "lose"})

    for n in range(8):
        # Launches beside either resets or bets (a bet that loses its session to a reset before its
        # round is written is not what this is about).
        other = "reset" if n % 2 else "bet"
        answers = await asyncio.gather(*(request(other) for _ in range(40)))
        assert {status for status, _ in answers} <= {200, 404}
        for sid in sids:
            cached = platform.sessions.get(key(platform, sid))
            assert cached == await store.get_stored(platform.db, *key(platform, sid)), sid
    assert await count_rows(platform.db, "sessions") <= len(sids)


async def test_in_memory_the_same_paths_hold(make_client):
    """With --db :memory: reads share the writing connection: the session cache and the wallet's
    bookings work there too."""
    mock = await make_client(db=":memory:")
    await mock.ok("POST", "/api/game/launch", launch_body())
    await asyncio.gather(*(mock.ok("POST", "/api/game/launch", launch_body()) for _ in range(5)))
    rounds = await asyncio.gather(*(mock.ok("POST", "/api/sandbox/game/bet", BET) for _ in range(10)))
    assert [r["round"]["status"] for r in rounds] == ["settled"] * 10
    balance = await mock.ok("GET", "/api/sandbox/game/balance?session_id=sess-1")
    assert balance["balance"] == 1000 - 10
    await mock.ok("POST", "/api/sandbox/reset")
    await mock.error("POST", "/api/sandbox/game/bet", BET, status=404, code="INVALID_SESSION")
