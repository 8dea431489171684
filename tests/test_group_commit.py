"""The group commit of store.db: transactions that end in one turn of the loop share one COMMIT, each
still all-or-nothing, none acted on before it is committed; reads, on their own connection, never see
uncommitted rows nor wait for them. In memory, each transaction commits on its own.

A second, independent sqlite3 connection to the same file is the witness of what is committed: it sees
only what SQLite has committed to the file. Statements are counted with sqlite3's trace callback."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from netspace_mock.store import Database


@pytest.fixture
async def db(tmp_path):
    database = Database(str(tmp_path / "group.db"))
    await database.open()
    assert database.conn is not None
    database.conn.raw.executescript(
        "CREATE TABLE t (k TEXT PRIMARY KEY);"
        "CREATE TABLE seen (k TEXT PRIMARY KEY, at TEXT NOT NULL);"
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"
    )
    yield database
    await database.close()


@pytest.fixture
def witness(db):
    conn = sqlite3.connect(db.path, isolation_level=None)
    yield lambda sql="SELECT k FROM t ORDER BY k": [r[0] for r in conn.execute(sql).fetchall()]
    conn.close()


@pytest.fixture
def statements(db):
    seen: list[str] = []
    db.conn.raw.set_trace_callback(seen.append)
    yield seen
    db.conn.raw.set_trace_callback(None)


@pytest.fixture
async def statements_of_memory():
    database = Database(":memory:")
    await database.open()
    database.conn.raw.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    seen: list[str] = []
    database.conn.raw.set_trace_callback(seen.append)
    yield database, seen
    await database.close()


async def insert(db: Database, key: str) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t(k) VALUES (?)", (key,))


async def test_concurrent_transactions_share_one_commit_and_are_committed_when_they_leave(
    db, witness, statements
):
    await asyncio.gather(*(insert(db, f"k{i:02d}") for i in range(20)))
    assert witness() == [f"k{i:02d}" for i in range(20)]
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert statements.count("COMMIT") == 1
    # The member that opened the group needs no savepoint of its own: a ROLLBACK would undo it.
    assert statements.count("SAVEPOINT member") == statements.count("RELEASE member") == 19


async def test_transactions_one_after_another_each_commit(db, witness, statements):
    for key in ("a", "b", "c"):
        await insert(db, key)
        assert witness()[-1] == key  # committed as soon as the block is left
    assert statements.count("COMMIT") == 3


async def test_a_member_that_raises_undoes_only_its_own_statements(db, witness):
    async def failing() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('mine-1')")
            await conn.execute("INSERT INTO t(k) VALUES ('mine-2')")
            raise ValueError("the body failed")

    results = await asyncio.gather(
        insert(db, "before"), failing(), insert(db, "after"), return_exceptions=True
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], ValueError)
    assert witness() == ["after", "before"]


async def test_the_member_that_opened_the_group_is_undone_alone(db, witness, statements):
    async def failing() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('first')")
            raise ValueError("the first body failed")

    results = await asyncio.gather(
        failing(), insert(db, "second"), insert(db, "third"), return_exceptions=True
    )
    assert isinstance(results[0], ValueError) and results[1:] == [None, None]
    assert witness() == ["second", "third"]
    assert statements.count("ROLLBACK") == 1 and statements.count("BEGIN IMMEDIATE") == 2


async def test_a_failed_statement_in_a_member_leaves_the_others_committed(db, witness):
    async def duplicate() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('half')")
            await conn.execute("INSERT INTO t(k) VALUES ('one')")  # the primary key is taken

    await insert(db, "one")
    results = await asyncio.gather(
        insert(db, "two"), duplicate(), insert(db, "three"), return_exceptions=True
    )
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert witness() == ["one", "three", "two"]  # and not 'half'


async def test_a_commit_that_fails_fails_every_member_and_writes_nothing(db, witness):
    async def orphan() -> None:
        async with db.transaction() as conn:  # a deferred foreign key: checked at COMMIT only
            await conn.execute("INSERT INTO child(parent_id) VALUES (42)")

    results = await asyncio.gather(insert(db, "x"), orphan(), insert(db, "y"), return_exceptions=True)
    assert all(isinstance(r, sqlite3.OperationalError) for r in results), results
    assert "could not commit" in str(results[0]) and "FOREIGN KEY" in str(results[0])
    assert witness() == [] and witness("SELECT parent_id FROM child") == []
    await insert(db, "z")  # the database goes on
    assert witness() == ["z"]


async def test_a_read_never_sees_an_open_group_and_never_waits_for_it(db, witness):
    seen: dict[str, object] = {}

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('w')")
        seen["read after the writer left"] = (await db.fetchone("SELECT COUNT(*) FROM t"))[0]

    async def reader() -> None:
        # Runs while the writer's group is open, before its COMMIT: the row is not there yet, for the
        # file as for the mock's own reads, which answer at once.
        seen["witness while open"] = witness()
        seen["read while open"] = (await db.fetchone("SELECT COUNT(*) FROM t"))[0]
        seen["all while open"] = [r[0] for r in await db.fetchall("SELECT k FROM t")]
        async with db.reading() as conn, conn.execute("SELECT COUNT(*) FROM t") as cur:
            seen["reading() while open"] = (await cur.fetchone())[0]

    await asyncio.gather(writer(), reader())
    assert seen["witness while open"] == [] and seen["all while open"] == []
    assert seen["read while open"] == 0 and seen["reading() while open"] == 0
    assert seen["read after the writer left"] == 1 and witness() == ["w"]


async def test_reads_are_refused_writes(db):
    async with db.reading() as conn:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await conn.execute("INSERT INTO t(k) VALUES ('through a read')")


async def test_in_memory_each_transaction_commits_on_its_own(statements_of_memory):
    database, statements = statements_of_memory
    results = await asyncio.gather(*(insert(database, f"m{i}") for i in range(5)))
    assert results == [None] * 5
    assert statements.count("COMMIT") == 5 and database.reader is None
    assert (await database.fetchone("SELECT COUNT(*) FROM t"))[0] == 5
    assert [r[0] for r in await database.fetchall("SELECT k FROM t ORDER BY k")] == [
        f"m{i}" for i in range(5)
    ]


async def test_a_cancelled_member_does_not_cancel_the_group(db, witness):
    task = asyncio.create_task(insert(db, "cancelled"))
    others = [asyncio.create_task(insert(db, k)) for k in ("p", "q")]
    await asyncio.sleep(0)  # every member has run its body and waits for the COMMIT
    task.cancel()
    await asyncio.gather(*others)
    with pytest.raises(asyncio.CancelledError):
        await task
    # The cancelled member's body had finished: its row is committed with the group, like a COMMIT that
    # returned just before the caller was cancelled.
    assert witness() == ["cancelled", "p", "q"]


async def test_close_commits_an_open_group(tmp_path):
    database = Database(str(tmp_path / "close.db"))
    await database.open()
    database.conn.raw.execute("CREATE TABLE t (k TEXT)")
    task = asyncio.create_task(insert(database, "last"))
    await asyncio.sleep(0)
    await database.close()
    await task
    with sqlite3.connect(tmp_path / "close.db") as conn:
        assert conn.execute("SELECT k FROM t").fetchall() == [("last",)]


async def test_a_body_that_awaits_still_runs_alone_and_the_commit_waits_for_it(db, witness):
    """No body awaits today; the lock is the guard that keeps one that ever did from interleaving."""
    order: list[str] = []

    async def slow(key: str) -> None:
        async with db.transaction() as conn:
            order.append(f"{key} in")
            await conn.execute("INSERT INTO t(k) VALUES (?)", (key,))
            await asyncio.sleep(0.01)  # the scheduled COMMIT comes round meanwhile, and waits
            assert witness() == [] or key == "b"  # nothing of this group is committed mid-body
            order.append(f"{key} out")

    await asyncio.gather(slow("a"), slow("b"))
    assert order == ["a in", "a out", "b in", "b out"]
    assert witness() == ["a", "b"]


async def test_closing_during_a_body_fails_its_group_and_writes_nothing(tmp_path):
    database = Database(str(tmp_path / "closing.db"))
    await database.open()
    database.conn.raw.execute("CREATE TABLE t (k TEXT)")
    entered = asyncio.Event()

    async def stuck() -> None:
        async with database.transaction() as conn:
            await conn.execute("INSERT INTO t(k) VALUES ('never')")
            entered.set()
            await asyncio.sleep(0.05)

    async def waiting() -> None:
        await entered.wait()
        async with database.transaction() as conn:  # queued behind the running body
            await conn.execute("INSERT INTO t(k) VALUES ('queued')")

    tasks = [asyncio.create_task(stuck()), asyncio.create_task(waiting())]
    await entered.wait()
    await database.close()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results), results
    with sqlite3.connect(tmp_path / "closing.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


# --- transaction(defers=True): a savepoint only before a second write, statements run with the COMMIT

SEEN = "INSERT INTO seen(k, at) VALUES (?, ?) ON CONFLICT DO UPDATE SET at = MAX(at, excluded.at)"


async def relaunch(db: Database, key: str, seen: str, *, second: bool = False, fail: str = "") -> None:
    """The shape of a launch: one write (and a savepoint before a second one), a deferred last visit."""
    async with db.transaction(defers=True) as conn:
        if second:
            db.savepoint()
            conn.raw.execute("INSERT INTO t(k) VALUES (?)", (key + "-first",))
        conn.raw.execute("INSERT INTO t(k) VALUES (?)", (key,))
        db.later(SEEN, "player", ("player", seen))
        if fail:
            raise ValueError(fail)


async def test_deferred_statements_run_once_per_key_with_the_commit(db, witness, statements):
    await asyncio.gather(*(relaunch(db, f"k{i:02d}", f"2026-12-01T00:00:{i:02d}") for i in range(20)))
    assert witness() == [f"k{i:02d}" for i in range(20)]
    assert witness("SELECT at FROM seen") == ["2026-12-01T00:00:19"]
    assert sum(s.startswith("INSERT INTO seen") for s in statements) == 1  # one row for 20 members
    assert statements.count("COMMIT") == 1
    assert "SAVEPOINT member" not in statements  # one write each: no savepoint
    assert statements.index("COMMIT") > max(i for i, s in enumerate(statements) if "INTO seen" in s)


async def test_a_member_without_savepoint_whose_only_write_fails_leaves_the_others(db, witness):
    await insert(db, "taken")
    results = await asyncio.gather(
        relaunch(db, "a", "2026-12-01T00:00:01"),
        relaunch(db, "taken", "2026-12-01T00:00:09"),  # its one INSERT fails: SQLite undoes it
        relaunch(db, "b", "2026-12-01T00:00:02"),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert witness() == ["a", "b", "taken"]
    assert witness("SELECT at FROM seen") == ["2026-12-01T00:00:02"]  # the failed one deferred nothing


async def test_a_member_with_its_savepoint_undoes_only_itself(db, witness):
    results = await asyncio.gather(
        relaunch(db, "a", "2026-12-01T00:00:01"),
        relaunch(db, "b", "2026-12-01T00:00:05", second=True, fail="after two writes"),
        relaunch(db, "c", "2026-12-01T00:00:02", second=True),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError) and results[0] is None and results[2] is None
    assert witness() == ["a", "c", "c-first"]
    assert witness("SELECT at FROM seen") == ["2026-12-01T00:00:02"]


async def test_a_member_that_raises_after_a_write_without_savepoint_fails_its_whole_group(db, witness):
    results = await asyncio.gather(
        relaunch(db, "a", "2026-12-01T00:00:01"),
        relaunch(db, "b", "2026-12-01T00:00:02", fail="raised after its write"),  # broke the rule
        relaunch(db, "c", "2026-12-01T00:00:03"),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    assert isinstance(results[0], sqlite3.OperationalError)  # its group was undone with b
    assert results[2] is None  # c came after and opened a group of its own
    assert witness() == ["c"] and witness("SELECT at FROM seen") == ["2026-12-01T00:00:03"]


async def test_any_other_member_runs_the_deferred_statements_before_its_own(db, witness, statements):
    async def reset() -> None:  # as a sandbox reset: it must find, and delete, what came before it
        async with db.transaction() as conn:
            conn.raw.execute("DELETE FROM seen")

    await asyncio.gather(
        relaunch(db, "a", "2026-12-01T00:00:01"),
        relaunch(db, "b", "2026-12-01T00:00:02"),
        reset(),
        relaunch(db, "c", "2026-12-01T00:00:03"),
    )
    assert witness("SELECT at FROM seen") == ["2026-12-01T00:00:03"]  # a and b's deleted, c's kept
    ran = [s for s in statements if "INTO seen" in s or s.startswith(("DELETE", "COMMIT"))]
    assert [s.split()[0] for s in ran] == ["INSERT", "DELETE", "INSERT", "COMMIT"]


async def test_deferred_statements_that_fail_fail_the_group(db, witness):
    async def bad_later() -> None:
        async with db.transaction(defers=True) as conn:
            conn.raw.execute("INSERT INTO t(k) VALUES ('x')")
            db.later("INSERT INTO seen(k, at) VALUES (?, NULL)", "bad", ("bad",))  # NOT NULL: fails

    results = await asyncio.gather(bad_later(), insert(db, "y"), return_exceptions=True)
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)  # y ran the deferred first
    assert witness() == []
    results = await asyncio.gather(
        bad_later(), relaunch(db, "z", "2026-12-01T00:00:01"), return_exceptions=True
    )
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)  # now at the COMMIT
    assert witness() == [] and witness("SELECT k FROM seen") == []


async def test_deferring_in_memory_runs_them_with_each_commit(statements_of_memory):
    db, seen = statements_of_memory
    db.conn.raw.execute("CREATE TABLE seen (k TEXT PRIMARY KEY, at TEXT NOT NULL)")
    await asyncio.gather(*(relaunch(db, f"m{i}", f"2026-12-01T00:00:0{i}") for i in range(3)))
    assert [r[0] for r in db.conn.raw.execute("SELECT at FROM seen")] == ["2026-12-01T00:00:02"]
    assert seen.count("COMMIT") == 3


async def test_savepoint_and_later_belong_to_a_deferring_body(db):
    async with db.transaction():
        with pytest.raises(AssertionError):
            db.later(SEEN, "k", ("k", "t"))
        with pytest.raises(AssertionError):
            db.savepoint()
