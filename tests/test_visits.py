"""The players' last visits written together (store.visits): those that arrive at once share one
statement, each caller returns only once its visit is committed, a failure reaches every caller, and a
caller that goes away cancels nothing. On the app's real database, counted with SQLite's trace."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from netspace_mock.store import visits
from support import launch_body, statements

T1, T2 = "2026-12-03T10:00:00.000Z", "2026-12-03T10:00:01.000Z"


async def last_seen(platform, player_id: str) -> str | None:
    row = await platform.db.fetchone(
        "SELECT last_seen_at FROM players WHERE operator_id = ? AND player_id = ?",
        (platform.operators.default.id, player_id),
    )
    return row[0] if row else None


def inserts(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("INSERT INTO players")]


async def test_visits_that_arrive_at_once_are_one_statement_and_committed_on_return(client, platform):
    op = platform.operators.default.id
    async with statements(platform.db) as seen:
        await asyncio.gather(*(platform.visits.seen(op, f"p-{n}", T1) for n in range(20)))
    assert len(inserts(seen)) == 1
    # Read from the other connection: what each caller was told is written is committed.
    assert [await last_seen(platform, f"p-{n}") for n in range(20)] == [T1] * 20


async def test_the_later_visit_of_a_player_is_kept_in_either_order(client, platform):
    op = platform.operators.default.id
    await asyncio.gather(platform.visits.seen(op, "p", T2), platform.visits.seen(op, "p", T1))
    assert await last_seen(platform, "p") == T2
    await platform.visits.seen(op, "p", T1)  # an earlier visit written later moves nothing
    assert await last_seen(platform, "p") == T2


async def test_visits_that_arrive_during_a_write_share_the_next(client, platform):
    op = platform.operators.default.id
    first = asyncio.create_task(platform.visits.seen(op, "first", T1))
    await asyncio.sleep(0)  # the write of `first` is on its way
    async with statements(platform.db) as seen:
        await asyncio.gather(first, *(platform.visits.seen(op, f"p-{n}", T1) for n in range(10)))
    assert len(inserts(seen)) <= 2
    assert await last_seen(platform, "p-9") == T1


async def test_a_failed_write_reaches_every_caller_and_the_next_write_works(client, platform):
    op = platform.operators.default.id
    await platform.db.execute("PRAGMA query_only = ON")
    outcomes = await asyncio.gather(
        *(platform.visits.seen(op, f"p-{n}", T1) for n in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, sqlite3.Error) for o in outcomes), outcomes
    await platform.db.execute("PRAGMA query_only = OFF")
    await platform.visits.seen(op, "p-0", T2)
    assert await last_seen(platform, "p-0") == T2 and await last_seen(platform, "p-1") is None


async def test_a_caller_that_goes_away_cancels_no_write(client, platform):
    op = platform.operators.default.id
    gone = asyncio.create_task(platform.visits.seen(op, "gone", T1))
    await asyncio.sleep(0)
    gone.cancel()
    await platform.visits.seen(op, "stays", T1)
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await last_seen(platform, "stays") == T1 and await last_seen(platform, "gone") == T1


async def test_more_visits_than_one_statement_binds_are_all_written(client, platform):
    op = platform.operators.default.id
    many = visits.MAX_ROWS + 5
    async with statements(platform.db) as seen:
        await asyncio.gather(*(platform.visits.seen(op, f"p-{n}", T1) for n in range(many)))
    assert len(inserts(seen)) == 2
    (count,) = await platform.db.fetchone("SELECT COUNT(*) FROM players WHERE last_seen_at = ?", (T1,))
    assert count == many


async def test_concurrent_relaunches_each_move_their_players_last_visit(client, platform, clock):
    players = [f"player-{n}" for n in range(12)]
    for p in players:
        await client.ok("POST", "/api/game/launch", launch_body(session_id=f"s-{p}", player_id=p))
    before = {p: await last_seen(platform, p) for p in players}
    clock.advance(5)
    await asyncio.gather(
        *(
            client.ok("POST", "/api/game/launch", launch_body(session_id=f"s-{p}", player_id=p))
            for p in players
        )
    )
    for p in players:
        assert await last_seen(platform, p) > before[p], p
