"""store.db on aiosqlite: a transaction is all or nothing (a body that raises, is cancelled or fails at
COMMIT leaves no row), one statement is kept out of another's open transaction, reads never wait for
a writer, and a long read does not stall the server.

An independent sqlite3 connection to the same file is the witness of what is committed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from netspace_mock.store import Database

WAIT = 10.0  # a bound on waits that should end at once, so that a bug fails the test, not hangs it


@pytest.fixture
async def db(tmp_path):
    database = Database(str(tmp_path / "t.db"))
    await database.open()
    async with database.transaction() as conn:
        await conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        await conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        await conn.execute(
            "CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
        )
    yield database
    await database.close()


@pytest.fixture
def witness(db):
    conn = sqlite3.connect(db.path, isolation_level=None)
    yield lambda sql="SELECT k FROM t ORDER BY k": [r[0] for r in conn.execute(sql).fetchall()]
    conn.close()


async def keys(db: Database) -> list[str]:
    return [r[0] for r in await db.fetchall("SELECT k FROM t ORDER BY k")]


async def test_a_transaction_commits_all_its_statements(db, witness):
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t(k) VALUES ('a')")
        await conn.execute("INSERT INTO t(k) VALUES ('b')")
    assert witness() == ["a", "b"] and await keys(db) == ["a", "b"]


async def test_a_body_that_raises_leaves_nothing(db, witness):
    with pytest.raises(RuntimeError, match="no"):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('a')")
            raise RuntimeError("no")
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('b')")
            await conn.execute("INSERT INTO t(k) VALUES ('b')")  # the second 'b' is refused
    assert witness() == []
    async with db.transaction() as conn:  # the connection is usable again
        await conn.execute("INSERT INTO t(k) VALUES ('c')")
    assert witness() == ["c"]


async def test_a_commit_that_fails_is_rolled_back(db, witness):
    # A deferred foreign key is checked at COMMIT: the COMMIT itself fails.
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('a')")
            await conn.execute("INSERT INTO child(parent_id) VALUES (7)")
    assert witness() == [] and witness("SELECT parent_id FROM child") == []
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t(k) VALUES ('b')")
    assert witness() == ["b"]


async def test_a_cancelled_transaction_leaves_nothing(db, witness):
    inside = asyncio.Event()

    async def body() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('a')")
            inside.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(body())
    await asyncio.wait_for(inside.wait(), WAIT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t(k) VALUES ('b')")
    assert witness() == ["b"]


async def test_a_cancelled_begin_does_not_leave_the_connection_in_a_transaction(db, witness):
    tasks = [asyncio.create_task(insert(db, f"k{i}")) for i in range(5)]
    await asyncio.sleep(0)  # the first has queued its BEGIN, the others wait for the lock
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await insert(db, "after")
    assert "after" in witness()


async def insert(db: Database, key: str) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t(k) VALUES (?)", (key,))


async def held_open(db: Database, inside: asyncio.Event, release: asyncio.Event, fail: bool) -> None:
    """A transaction that writes 'open', then waits to be released (and rolls back when `fail`)."""
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t(k) VALUES ('open')")
        inside.set()
        await release.wait()
        if fail:
            raise RuntimeError("rolled back")


async def test_reads_never_wait_for_an_open_transaction_nor_see_it(db, witness):
    inside, release = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(held_open(db, inside, release, fail=False))
    await asyncio.wait_for(inside.wait(), WAIT)
    # The transaction is open and holds the write lock; the read answers from what is committed.
    assert await asyncio.wait_for(keys(db), WAIT) == []
    assert not writer.done()
    release.set()
    await writer
    assert await keys(db) == ["open"] == witness()


async def test_one_statement_is_kept_out_of_an_open_transaction(db, witness):
    inside, release = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(held_open(db, inside, release, fail=True))
    await asyncio.wait_for(inside.wait(), WAIT)
    alone = asyncio.create_task(db.execute("INSERT INTO t(k) VALUES ('alone')"))
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(RuntimeError):
        await writer
    await alone
    # Had the statement run inside the open transaction, the ROLLBACK would have taken it too.
    assert witness() == ["alone"]


async def test_in_memory_reads_wait_for_the_open_transaction_and_never_see_it():
    db = Database(":memory:")
    await db.open()
    try:
        assert db.reader is None  # one connection: a database in memory is private to it
        await db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        inside, release = asyncio.Event(), asyncio.Event()
        writer = asyncio.create_task(held_open(db, inside, release, fail=True))
        await asyncio.wait_for(inside.wait(), WAIT)
        read = asyncio.create_task(keys(db))
        await asyncio.sleep(0)
        release.set()
        with pytest.raises(RuntimeError):
            await writer
        # Had the read run on the shared connection while the transaction was open, it would have seen
        # the row the ROLLBACK then took back.
        assert await read == []
        await insert(db, "x")
        assert await keys(db) == ["x"]
    finally:
        await db.close()


async def test_a_closed_database_refuses_writes_with_a_clear_error(tmp_path):
    db = Database(str(tmp_path / "closed.db"))
    await db.open()
    await db.close()
    with pytest.raises(sqlite3.OperationalError, match="the database is closed"):
        await insert(db, "x")


ATTEMPTS = 100_000


async def test_health_is_answered_while_a_report_reads_100000_webhook_attempts(client, platform):
    """GET /api/sandbox/stats reads every attempt of the operator. While it runs in SQLite (held there,
    mid-query, by a progress handler until /health has been answered), the server answers /health."""
    async with platform.db.transaction() as conn:
        await conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO webhook_attempts(operator_id, action_type, attempt, url, request_headers, "
            "request_body, latency_ms, outcome, created_at) "
            "SELECT 1, 'bet', 1, 'http://wallet', '{}', '{}', i % 997, 'ok', i FROM n",
            (ATTEMPTS,),
        )
    reading, answered = threading.Event(), threading.Event()

    def progress() -> int:
        # Runs in the reading connection's thread, inside the query: hold it there until released.
        reading.set()
        answered.wait(WAIT)
        return 0

    await platform.db.reader.set_progress_handler(progress, 10_000)
    try:
        report = asyncio.create_task(client.ok("GET", "/api/sandbox/stats"))
        assert await asyncio.to_thread(reading.wait, WAIT), "the report never reached SQLite"
        health = await asyncio.wait_for(client.client.get("/health"), WAIT)
        assert health.status == 200
        assert not report.done()  # the report is still inside its query
        answered.set()
        stats = await asyncio.wait_for(report, WAIT)
    finally:
        answered.set()
        await platform.db.reader.set_progress_handler(None, 0)
    assert stats["stats"]["webhook_calls"]["total"] == ATTEMPTS
