"""Bounds on what webhook attempts keep (answer bytes per attempt and per operator), and the dispatcher
when advancing a round fails: it backs off and logs one line per failure."""

from __future__ import annotations

import asyncio
import logging

import pytest

from netspace_mock import settings
from netspace_mock.app import DISPATCHER
from netspace_mock.serving import PLATFORM
from netspace_mock.store.attempts import TRUNCATED, cut
from netspace_mock.webhooks.dispatcher import FAILURE_BACKOFF_MAX, failure_delay
from support import launch_body


def test_an_answer_is_cut_to_its_bytes_on_a_character_boundary():
    assert cut(None, 10) is None
    assert cut("abc", 3) == "abc"
    assert cut("é" * 10, 5) == "éé" + TRUNCATED  # 2-byte characters: 4 bytes fit, not half of the third
    assert cut("x" * 100, 10) == "x" * 10 + TRUNCATED


async def test_an_operators_stored_answers_stay_within_its_byte_bound(mock_factory, hostile_wallet):
    op = await mock_factory(
        webhook_url=hostile_wallet.url, attempt_answer_bytes=1_000, answer_storage_bytes=10_000
    )
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s1"))
    hostile_wallet.fail("balance", *["valid_200_kb"] * 30)
    for _ in range(30):
        assert (await op.ok("GET", "/api/sandbox/game/balance?session_id=s1"))["balance"] == 100
    rows = await op.client.app[PLATFORM].db.fetchall(
        "SELECT outcome, http_status, response_body FROM webhook_attempts ORDER BY id"
    )
    assert len(rows) == 30 and {(r["outcome"], r["http_status"]) for r in rows} == {("ok", 200)}
    kept = [r["response_body"] for r in rows if r["response_body"] is not None]
    assert len(kept) == 10
    assert all(len(body.encode()) <= 1_000 + len(TRUNCATED.encode()) for body in kept)
    assert sum(len(body.encode()) for body in kept) <= 10_000 + 10 * len(TRUNCATED.encode())
    # The newest keep their answers, the oldest were trimmed.
    assert all(r["response_body"] is None for r in rows[:20])


def test_the_failure_backoff_doubles_to_its_ceiling():
    assert [failure_delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert failure_delay(10) == failure_delay(10_000) == FAILURE_BACKOFF_MAX


@pytest.mark.slow  # waits out the backoff of failed writes
async def test_a_win_that_cannot_be_recorded_backs_off_with_one_line_per_failure(
    mock_factory, wallet, caplog
):
    """The database refuses every write (PRAGMA query_only, as a read-only or failing disk would) when a
    retried win's answer comes: neither the answer nor the failure can be recorded, so the dispatcher
    logs one line (no traceback) per failure and waits before trying again; once writes work again,
    the win is delivered."""
    op = await mock_factory(webhook_url=wallet.url, webhook_backoff=0.05)
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s1"))
    wallet.fail("win", "http500")
    db = op.client.app[PLATFORM].db
    started = len(wallet.of("win"))
    status, answer = await op.post(BET, {"session_id": "s1", "amount": 5, "outcome": "win", "win_amount": 7})
    assert status == 200 and answer["round"]["win"]["status"] == "pending"
    async with db.transaction() as conn:
        await conn.execute("PRAGMA query_only = ON")
    caplog.set_level(logging.WARNING, logger="netspace_mock")
    while len(failures(caplog)) < 2:
        await asyncio.sleep(0.02)
    await db.execute("PRAGMA query_only = OFF")  # one statement: a transaction cannot begin while it is on
    await op.client.app[DISPATCHER].idle()
    rnd = (await op.ok("GET", f"/api/sandbox/rounds/{answer['round']['round_id']}"))["round"]
    assert rnd["status"] == "settled" and rnd["win"]["status"] == "acknowledged"
    logged = failures(caplog)
    # Each failed try is one call to the wallet and one log line, without a traceback.
    tries = len(wallet.of("win")) - started - 2  # minus the first (HTTP 500) and the last (delivered)
    assert len(logged) == tries and tries >= 2
    assert all(r.exc_info is None and "readonly" in r.getMessage() for r in logged)
    assert "Traceback" not in caplog.text
    assert rnd["win"]["attempts"] == 2  # the tries that could not be written left no attempt behind


def failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "failed unexpectedly" in r.getMessage()]


BET = "/api/sandbox/game/bet"


@pytest.mark.parametrize("name", settings.AT_LEAST_ONE)
def test_bounds_below_one_are_refused(name):
    with pytest.raises(ValueError, match=f"{name}: expected a whole number of 1 or more, got 0"):
        settings.from_sources({name: 0}, environ={})
