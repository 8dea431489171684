"""The SQLite database on aiosqlite: numbered migrations, one way to write, and reads that never wait.

A file has two connections in WAL mode: writes go through `transaction()` (BEGIN IMMEDIATE … COMMIT,
or ROLLBACK, under one asyncio lock) on the first; reads go to the second, which sees only committed
rows and never waits for an open transaction. A database in memory (`:memory:`) is private to one
connection, so there the reads share it and wait for an open transaction to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from importlib import resources
from typing import Any

import aiosqlite

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
Row = sqlite3.Row
Connection = aiosqlite.Connection
Params = Iterable[Any] | dict[str, Any]

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped in the package, in order."""
    found = []
    for entry in resources.files("netspace_mock.store").joinpath("migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def rows(conn: Connection, sql: str, params: Params = ()) -> list[Row]:
    """Every row of a query, run and fetched in one call to the connection's thread."""
    return list(await conn.execute_fetchall(sql, params))


async def one(conn: Connection, sql: str, params: Params = ()) -> Row | None:
    """The first row of a query (for queries of one row: by key, or an aggregate)."""
    found = await conn.execute_fetchall(sql, params)
    return next(iter(found), None)


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self.writer: Connection | None = None
        self.reader: Connection | None = None  # None in memory: reads use the writer
        self._lock = asyncio.Lock()

    @property
    def in_memory(self) -> bool:
        return self.path in ("", ":memory:")

    async def _connect(self, *pragmas: str) -> Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            for pragma in pragmas:
                await conn.execute(f"PRAGMA {pragma}")
        except BaseException:
            await conn.close()  # its thread would otherwise keep the process alive
            raise
        return conn

    async def open(self) -> None:
        """Open, migrate and, for a file, open the reading connection; on a failure nothing stays open
        (a file that is not SQLite's fails here)."""
        try:
            self.writer = await self._connect(*PRAGMAS)
            await self.migrate()
            if not self.in_memory:
                self.reader = await self._connect("foreign_keys=ON", "busy_timeout=5000", "query_only=ON")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close both connections once the open transaction, if any, has ended."""
        async with self._lock:
            if self.reader is not None:
                await self.reader.close()
                self.reader = None
            if self.writer is not None:
                await self.writer.close()
                self.writer = None

    async def migrate(self) -> int:
        """Apply every migration newer than the database; an older file upgrades in place."""
        conn = self._writing()
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
        )
        (current,) = await one(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_version")
        for version, name, sql in migrations():
            if version <= current:
                continue
            await conn.executescript(
                f"BEGIN;\n{sql}\nINSERT INTO schema_version(version, name) VALUES ({version}, '{name}');\nCOMMIT;"
            )
            current = version
        return current

    async def next_boot(self) -> int:
        """Count this start of the database (1 for a fresh one)."""
        async with self.transaction() as conn:
            cur = await conn.execute("INSERT INTO boots DEFAULT VALUES")
            boot = cur.lastrowid
        assert boot is not None
        return boot

    def _writing(self) -> Connection:
        if self.writer is None:
            raise sqlite3.OperationalError("the database is closed")
        return self.writer

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT: all of the body's statements, or none of them when the body raises
        (or is cancelled, or the COMMIT fails). One at a time: the lock keeps another coroutine's
        statements out of an open transaction on the shared connection."""
        async with self._lock:
            conn = self._writing()
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                await self._roll_back(conn)
                raise

    async def execute(self, sql: str, params: Params = ()) -> None:
        """One write statement, its own transaction (SQLite commits a lone statement by itself), kept
        out of any open transaction by the same lock."""
        async with self._lock:
            await self._writing().execute(sql, params)

    @staticmethod
    async def _roll_back(conn: Connection) -> None:
        # Shielded: a second cancellation must not leave the connection inside the transaction. SQLite
        # may have rolled back already (a full disk, a failed COMMIT): there is nothing more to undo.
        with contextlib.suppress(sqlite3.Error, ValueError):
            await asyncio.shield(conn.execute("ROLLBACK"))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows as committed: from the reading connection, or in memory once no transaction is open."""
        if self.reader is not None:
            return await rows(self.reader, sql, params)
        async with self._lock:
            return await rows(self._writing(), sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        found = await self.fetchall(sql, params)
        return found[0] if found else None


def row_values(record: Any) -> dict[str, Any]:
    """A dataclass record's fields as a new dict, one level deep: what an INSERT binds."""
    return dict(vars(record))


def where_clause(operator_id: int, filters: dict, allowed: set[str]) -> tuple[str, tuple]:
    """`operator_id = ? AND col = ? …` for the filters that are set; column names come only from `allowed`."""
    clauses, params = ["operator_id = ?"], [operator_id]
    for key, value in filters.items():
        if key in allowed and value is not None:
            clauses.append(f"{key} = ?")
            params.append(value)
    return " AND ".join(clauses), tuple(params)
