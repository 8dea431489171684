"""The SQLite connection, numbered migrations, and the read/write discipline every store module uses.

Statements run inline, on the event loop's thread, on one `sqlite3` connection. With WAL and
synchronous=NORMAL a statement on these small, indexed tables takes microseconds and a commit writes
the WAL without waiting for the disk, so running it inline is cheaper than handing it to a thread
(aiosqlite's way): each hand-over costs two thread switches and a loop wake-up, about 65 µs, and a
transaction held the database's lock across every one of them (docs/performance.md has the profile).

The store modules keep an async surface (`await conn.execute(...)`, `async with conn.execute(...) as
cur`, `await cur.fetchone()`), so a statement could move off the loop again without touching them; as
no statement ever suspends, a transaction's body runs without yielding to the loop.

Group commit. `BEGIN` and `COMMIT` are most of a small transaction's cost (the `COMMIT` writes the WAL:
system calls), so the transactions that end in one turn of the event loop share them: the first opens
`BEGIN IMMEDIATE` and schedules the `COMMIT` for the loop's next turn, each runs inside a `SAVEPOINT` of
its own (a body that raises undoes only its own statements), and each leaves `transaction()` only once
the shared `COMMIT` has succeeded, raising if it failed. So a caller acts (answers a request, calls a
webhook) only on committed rows. Reads (`fetchone`, `fetchall`, `reading()`) go through a second
connection, which in WAL mode sees only what is committed: they never see a group's rows before its
`COMMIT`, and never wait for one. Only the members of one group see each other's rows before their
`COMMIT`, and they stand or fall together. A database in memory (`:memory:`) has no WAL to write and no
second connection to the same data: there each transaction commits on its own, and reads use the one
connection.

A launch, the busiest write, goes further (`transaction(defers=True)`): a member of that kind opens its
SAVEPOINT only when it is about to make a second write (`savepoint()`), and its player's last visit is
written once per group, just before the `COMMIT` (`later()`), however many launches of that player the
group holds. Every other member runs what was deferred before its own first statement, so no statement
ever runs out of its order against another member's.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from importlib import resources
from typing import Any

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
Row = sqlite3.Row


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped in the package, in order."""
    found = []
    for entry in resources.files("netspace_mock.store").joinpath("migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Cursor:
    """A statement that has run: awaitable and an async context manager, like aiosqlite's."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Iterator[Any]:
        return self
        yield  # a generator that returns at once: awaiting it never suspends

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Row | None:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()


class Connection:
    """The statements of the store modules, run inline on one sqlite3 connection (prepared statements
    are kept by sqlite3's statement cache, STATEMENT_CACHE of them)."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Cursor:
        return Cursor(self.raw.execute(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any] | dict[str, Any]]) -> Cursor:
        return Cursor(self.raw.executemany(sql, rows))

    async def executescript(self, script: str) -> Cursor:
        return Cursor(self.raw.executescript(script))


STATEMENT_CACHE = 256  # distinct SQL texts kept prepared (sqlite3's default is 128)


class Database:
    """The writing connection with its group commit, and the reading connection (see the module's
    docstring). A transaction's body never yields to the loop; the lock is kept as a guard, so that a
    body that ever awaited real I/O would still not interleave with another (and the `COMMIT` waits
    for it)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: Connection | None = None
        self.reader: Connection | None = None  # None in memory: reads use `conn`
        self.grouped = path not in ("", ":memory:")  # a file: group commit and a reading connection
        self._lock = asyncio.Lock()
        self._waiters: list[asyncio.Future[None]] | None = None  # the open group's members, or None
        self._later: dict[tuple[str, Any], Any] = {}  # the open group's deferred statements (later())
        self._member: Transaction | None = None  # the member whose body is running

    def _connect(self, *pragmas: str) -> Connection:
        raw = sqlite3.connect(self.path, isolation_level=None, cached_statements=STATEMENT_CACHE)
        raw.row_factory = sqlite3.Row
        for pragma in pragmas:
            raw.execute(f"PRAGMA {pragma}")
        return Connection(raw)

    async def open(self) -> None:
        self.conn = self._connect(
            "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"
        )
        await self.migrate()
        if self.grouped:
            self.reader = self._connect("foreign_keys=ON", "busy_timeout=5000", "query_only=ON")

    async def close(self) -> None:
        if self.conn is not None:
            self._commit()
            if self._waiters is not None:  # a body still running: closing rolls its group back
                self._fail_group(sqlite3.OperationalError("the database was closed"))
            if self.reader is not None:
                self.reader.raw.close()
                self.reader = None
            self.conn.raw.close()
            self.conn = None

    async def migrate(self) -> int:
        """Apply every migration newer than the database; an older file upgrades in place."""
        assert self.conn is not None
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
        )
        async with self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version") as cur:
            (current,) = await cur.fetchone()
        for version, name, sql in migrations():
            if version <= current:
                continue
            await self.conn.executescript(
                f"BEGIN;\n{sql}\nINSERT INTO schema_version(version, name) VALUES ({version}, '{name}');\nCOMMIT;"
            )
            current = version
        return current

    async def next_boot(self) -> int:
        """Count this start of the database (1 for a fresh one)."""
        async with self.transaction() as conn:
            cur = await conn.execute("INSERT INTO boots DEFAULT VALUES")
            boot = cur.lastrowid
        return boot

    def transaction(self, *, defers: bool = False) -> Transaction:
        """A transaction in the open group (opening one when there is none): its statements, or none of
        them when the body raises. It leaves once the group's `COMMIT` has succeeded; nothing is ever
        half-written, and nothing is acted on before it is committed.

        With `defers`, the body calls `savepoint()` before its second write (a body that makes one write
        needs none: SQLite undoes a statement that fails) and may hand statements to `later()`. Such a
        body must not raise after a write without its savepoint: if it did, its whole group would fail
        rather than keep half of it."""
        return Transaction(self, defers)

    def savepoint(self) -> None:
        """Before the second write of a `transaction(defers=True)` body: from here on, a body that raises
        undoes only its own statements."""
        member = self._member
        assert member is not None and member.defers, "savepoint() is for a transaction(defers=True) body"
        if not member.first and not member.saved:
            assert self.conn is not None
            self.conn.raw.execute("SAVEPOINT member")
            member.saved = True

    def later(self, sql: str, key: Any, params: tuple) -> None:
        """Run `sql` with `params` just before the group's COMMIT instead of now, once per `key` (the last
        params given for a key win), if this transaction's body succeeds. For statements whose order
        does not matter among themselves (`last_seen_at = MAX(...)`), in a `transaction(defers=True)`
        body; any other member runs them before its own statements."""
        member = self._member
        assert member is not None and member.defers, "later() is for a transaction(defers=True) body"
        if member.later is None:
            member.later = {}
        member.later[(sql, key)] = params

    def _run_later(self) -> None:
        """The open group's deferred statements, now: part of the group, in no member's savepoint."""
        pending, self._later = self._later, {}
        by_sql: dict[str, list[Any]] = {}
        for (sql, _), params in pending.items():
            by_sql.setdefault(sql, []).append(params)
        assert self.conn is not None
        for sql, rows in by_sql.items():
            self.conn.raw.executemany(sql, rows)

    def _undo_member(self, first: bool) -> None:
        """Undo the statements of the member whose body raised: all of the transaction for the member
        that opened the group (it is alone in it), its SAVEPOINT for another. When SQLite has rolled
        the whole group back already (a full disk, an I/O error), the group fails: every member raises."""
        assert self.conn is not None
        raw = self.conn.raw
        try:
            if first:
                self._waiters, self._later = None, {}
                raw.execute("ROLLBACK")
                return
            raw.execute("ROLLBACK TO member")
            raw.execute("RELEASE member")
        except sqlite3.Error as exc:
            self._abort_group(exc)

    def _commit(self) -> None:
        """COMMIT the open group and let its members go on (or raise in each, when it failed)."""
        waiters = self._waiters
        if waiters is None or self.conn is None:
            return
        if self._lock.locked():  # a body is running (it awaited): commit once it is done
            asyncio.get_running_loop().call_soon(self._commit)
            return
        try:
            if self._later:
                self._run_later()
            self.conn.raw.execute("COMMIT")
        except sqlite3.Error as exc:
            self._abort_group(exc)
            return
        self._waiters = None
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _abort_group(self, exc: sqlite3.Error) -> None:
        """Roll the open group back (unless SQLite already has) and fail every member with `exc`."""
        assert self.conn is not None
        if self.conn.raw.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.raw.execute("ROLLBACK")
        self._fail_group(exc)

    def _fail_group(self, exc: sqlite3.Error) -> None:
        waiters, self._waiters, self._later = self._waiters or [], None, {}
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(sqlite3.OperationalError(f"the transaction could not commit: {exc}"))

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[Connection]:
        """A connection to read with, which sees only committed rows."""
        if self.reader is not None:
            yield self.reader
            return
        assert self.conn is not None
        async with self._lock:
            yield self.conn

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[Row]:
        if self.reader is not None:
            return self.reader.raw.execute(sql, params).fetchall()
        async with self._lock:
            assert self.conn is not None
            return self.conn.raw.execute(sql, params).fetchall()

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> Row | None:
        if self.reader is not None:
            cursor = self.reader.raw.execute(sql, params)
            try:
                return cursor.fetchone()
            finally:
                cursor.close()  # ends the read at once: a later read sees later commits
        async with self._lock:
            assert self.conn is not None
            return self.conn.raw.execute(sql, params).fetchone()


class Transaction:
    """`async with db.transaction() as conn`: one member of a group commit (see the module's docstring).
    The member that opens the group needs no SAVEPOINT: when its body raises, it is still alone in the
    group, and a ROLLBACK undoes it (so a group of one costs what a plain transaction does). A class
    rather than an asynccontextmanager: it is on the path of every write, and a generator's send and
    throw cost more than the two calls."""

    __slots__ = ("db", "defers", "first", "saved", "changes", "later", "waiters")

    def __init__(self, db: Database, defers: bool = False) -> None:
        self.db = db
        self.defers = defers  # see Database.transaction
        self.first = False
        self.saved = False  # its SAVEPOINT is open
        self.changes = 0  # the connection's total_changes when its body began (defers)
        self.later: dict[tuple[str, Any], Any] | None = None
        self.waiters: list[asyncio.Future[None]] = []

    async def __aenter__(self) -> Connection:
        db = self.db
        conn = db.conn
        assert conn is not None
        await db._lock.acquire()
        try:
            waiters = db._waiters
            if waiters is None:
                conn.raw.execute("BEGIN IMMEDIATE")
                waiters = db._waiters = []
                self.first = True
                if db.grouped:
                    asyncio.get_running_loop().call_soon(db._commit)
            else:
                if db._later and not self.defers:
                    self._run_earlier_later()  # in their order: before any statement of this member
                if self.defers:
                    self.changes = conn.raw.total_changes
                else:
                    conn.raw.execute("SAVEPOINT member")
                    self.saved = True
        except BaseException:
            db._lock.release()
            raise
        self.waiters = waiters
        db._member = self
        return conn

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        db = self.db
        db._member = None
        try:
            if exc_type is not None:
                if self.first or self.saved:
                    db._undo_member(self.first)
                else:
                    self._undo_unsaved()
                return
            if db._waiters is not self.waiters:  # its group failed while the body ran (it awaited)
                raise sqlite3.OperationalError("the transaction could not commit: its group failed")
            if self.saved:
                assert db.conn is not None
                try:
                    db.conn.raw.execute("RELEASE member")
                except sqlite3.Error:
                    db._undo_member(False)  # its statements must not be committed with the group
                    raise
            if self.later:
                db._later.update(self.later)
            done = asyncio.get_running_loop().create_future()
            self.waiters.append(done)
        finally:
            db._lock.release()
        if not db.grouped:
            db._commit()  # in memory: a group of one, committed now
        await done

    def _run_earlier_later(self) -> None:
        """The statements earlier members deferred, before this member's own; if they fail, the group
        they belong to fails."""
        db = self.db
        try:
            db._run_later()
        except sqlite3.Error as exc:
            db._abort_group(exc)
            raise sqlite3.OperationalError(f"the transaction could not begin: {exc}") from None

    def _undo_unsaved(self) -> None:
        """The body of a later member without a SAVEPOINT raised (a `defers` one before its second
        write). If it changed nothing (a failed statement is undone by SQLite itself), there is nothing
        to undo; if it did, only the whole group can be undone, so the group fails."""
        db = self.db
        assert db.conn is not None
        raw = db.conn.raw
        if raw.in_transaction and raw.total_changes == self.changes:
            return
        db._abort_group(sqlite3.OperationalError("a member raised after a write without its savepoint"))


def row_values(record: Any) -> dict[str, Any]:
    """A dataclass record's fields as a new dict, one level deep: what an INSERT binds. (dataclasses.asdict
    deep-copies every nested value, which cost 5% of a sandbox round's CPU.)"""
    return dict(vars(record))


def where_clause(operator_id: int, filters: dict, allowed: set[str]) -> tuple[str, tuple]:
    """`operator_id = ? AND col = ? …` for the filters that are set; column names come only from `allowed`."""
    clauses, params = ["operator_id = ?"], [operator_id]
    for key, value in filters.items():
        if key in allowed and value is not None:
            clauses.append(f"{key} = ?")
            params.append(value)
    return " AND ".join(clauses), tuple(params)
