"""The aiosqlite connection, numbered migrations, and the read/write discipline every store module uses."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from importlib import resources

import aiosqlite

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped in the package, in order."""
    found = []
    for entry in resources.files("netspace_mock.store").joinpath("migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One connection; writes are serialised by a lock so that one coroutine's transaction never
    interleaves with another's statements on the shared connection."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self.conn = await aiosqlite.connect(self.path, isolation_level=None)
        self.conn.row_factory = aiosqlite.Row
        await self.conn.execute("PRAGMA journal_mode=WAL")
        await self.conn.execute("PRAGMA synchronous=NORMAL")
        await self.conn.execute("PRAGMA foreign_keys=ON")
        await self.conn.execute("PRAGMA busy_timeout=5000")
        await self.migrate()

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
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
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
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
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """Reads wait for any open write, so they never see another coroutine's uncommitted rows."""
        assert self.conn is not None
        async with self._lock:
            yield self.conn

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[aiosqlite.Row]:
        async with self.reading() as conn, conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> aiosqlite.Row | None:
        async with self.reading() as conn, conn.execute(sql, params) as cur:
            return await cur.fetchone()


def where_clause(operator_id: int, filters: dict, allowed: set[str]) -> tuple[str, tuple]:
    """`operator_id = ? AND col = ? …` for the filters that are set; column names come only from `allowed`."""
    clauses, params = ["operator_id = ?"], [operator_id]
    for key, value in filters.items():
        if key in allowed and value is not None:
            clauses.append(f"{key} = ?")
            params.append(value)
    return " AND ".join(clauses), tuple(params)
