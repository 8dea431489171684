"""The SQLite connection, numbered migrations, and the read/write discipline every store module uses.

Statements run inline, on the event loop's thread, on one `sqlite3` connection. With WAL and
synchronous=NORMAL a statement on these small, indexed tables takes microseconds and a commit writes
the WAL without waiting for the disk, so running it inline is cheaper than handing it to a thread
(aiosqlite's way): each hand-over costs two thread switches and a loop wake-up, about 65 µs, and a
transaction held the database's lock across every one of them (docs/performance.md has the profile).

The store modules keep an async surface (`await conn.execute(...)`, `async with conn.execute(...) as
cur`, `await cur.fetchone()`), so a statement could move off the loop again without touching them; as
no statement ever suspends, a transaction runs from BEGIN to COMMIT without yielding to the loop, and
no other coroutine can see its uncommitted rows.
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
    """One connection. A transaction never yields to the loop (see the module's docstring); the lock is
    kept as a guard, so that a transaction that ever awaited real I/O would still not interleave."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        raw = sqlite3.connect(self.path, isolation_level=None, cached_statements=STATEMENT_CACHE)
        raw.row_factory = sqlite3.Row
        self.conn = Connection(raw)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
            raw.execute(f"PRAGMA {pragma}")
        await self.migrate()

    async def close(self) -> None:
        if self.conn is not None:
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
            return cur.lastrowid

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception: nothing is ever half-written."""
        assert self.conn is not None
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[Connection]:
        """Reads wait for any open write, so they never see another coroutine's uncommitted rows."""
        assert self.conn is not None
        async with self._lock:
            yield self.conn

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[Row]:
        async with self.reading() as conn:
            return conn.raw.execute(sql, params).fetchall()

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> Row | None:
        async with self.reading() as conn:
            return conn.raw.execute(sql, params).fetchone()


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
