"""The SQLite store: migrations (fresh, repeated, in-place upgrade), pragmas, and what an app start seeds."""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from netspace_mock.app import create_app
from netspace_mock.domain import sessions
from netspace_mock.paths import fixture
from netspace_mock.serving import PLATFORM
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids
from netspace_mock.store import Database
from netspace_mock.store import journal as journal_store
from netspace_mock.store.db import migrations
from netspace_mock.store.db import one as db_one
from support import Signed, count_rows, launch_body

MIGRATIONS = migrations()


def schema_of(path) -> set[tuple[str, str, str]]:
    """Every table, index and trigger with its SQL: two databases with equal schemas compare equal."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
        ).fetchall()
    return set(rows)


def versions_of(path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT version, name, applied_at FROM schema_version ORDER BY version"
        ).fetchall()


@asynccontextmanager
async def started(settings: Settings, clock: Clock | None = None):
    """The app's startup and cleanup, without serving: what `serve` does to the database."""
    runner = web.AppRunner(create_app(settings, clock=clock or Clock(), ids=Ids(settings.seed)))
    await runner.setup()
    try:
        yield runner.app[PLATFORM]
    finally:
        await runner.cleanup()


def test_migrations_are_numbered_from_one_without_gaps():
    assert [v for v, _, _ in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[0][1] == "0001_core.sql"


async def test_fresh_database_gets_every_migration(tmp_path):
    path = tmp_path / "fresh.db"
    db = Database(str(path))
    await db.open()
    assert await db.migrate() == MIGRATIONS[-1][0]
    await db.close()
    versions = versions_of(path)
    assert [(v, n) for v, n, _ in versions] == [(v, n) for v, n, _ in MIGRATIONS]
    assert all(applied.endswith("Z") for _, _, applied in versions)


async def test_reopening_does_not_reapply(tmp_path):
    path = tmp_path / "again.db"
    db = Database(str(path))
    await db.open()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO operators(name, api_key, secret_key, created_at) VALUES ('x', 'k', 's', 't')"
        )
    await db.close()
    before, schema = versions_of(path), schema_of(path)
    for _ in range(2):
        db = Database(str(path))
        await db.open()  # a migration applied twice would fail on CREATE TABLE, or duplicate rows
        await db.close()
    assert versions_of(path) == before
    assert schema_of(path) == schema
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT api_key FROM operators").fetchall() == [("k",)]


async def test_database_at_migration_one_upgrades_in_place(tmp_path):
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    db = Database(str(fresh))
    await db.open()
    await db.close()

    version, name, sql = MIGRATIONS[0]
    with sqlite3.connect(old) as conn:
        conn.executescript(sql)
        conn.executescript(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
        )
        conn.execute("INSERT INTO schema_version(version, name) VALUES (?, ?)", (version, name))
        conn.execute(
            "INSERT INTO operators VALUES (1, 'op', 'key', 'secret', NULL, '2025-01-01T00:00:00.000Z')"
        )
        conn.execute("INSERT INTO games VALUES ('lotterix', 0, 'lottery', '{}')")
        conn.execute("INSERT INTO players VALUES (1, 'p-1', 't', 't')")
        conn.execute(
            "INSERT INTO sessions VALUES (1, 's-1', 'p-1', 'lotterix', 'EUR', 'en', NULL, NULL, 'real', NULL, 1, 2)"
        )
        conn.execute("INSERT INTO launch_tokens VALUES ('tok', 1, 's-1', 1)")

    db = Database(str(old))
    await db.open()
    await db.close()
    assert [(v, n) for v, n, _ in versions_of(old)] == [(v, n) for v, n, _ in MIGRATIONS]
    assert schema_of(old) == schema_of(fresh)
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT session_id, currency FROM sessions").fetchall() == [("s-1", "EUR")]
        # 0009 drops the stored launch tokens (they are made from the session now) and keeps the session.
        assert (
            conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'launch_tokens%'").fetchall() == []
        )
        # 0002 backfills the currencies each player was launched with from the sessions it finds.
        assert conn.execute("SELECT player_id, currency FROM player_currencies").fetchall() == [
            ("p-1", "EUR")
        ]


async def test_wal_and_foreign_keys_are_on(platform, settings):
    assert (await platform.db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    for conn in (platform.db.writer, platform.db.reader):
        assert (await db_one(conn, "PRAGMA foreign_keys"))[0] == 1
        assert (await db_one(conn, "PRAGMA busy_timeout"))[0] == 5000
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with platform.db.transaction() as conn:
            await conn.execute("INSERT INTO players VALUES (999, 'p', 't', 't')")
    assert await count_rows(platform.db, "players") == 0


async def test_a_journal_row_reads_back_as_written_column_for_column(platform):
    # Rows are bound by position: every field distinct, so a column written in another's place shows.
    operator_id = platform.operators.default.id
    entry = journal_store.Entry(
        operator_id=operator_id,
        created_at=1767225600.125,
        source="game",
        method="POST",
        path="/api/sandbox/game/bet",
        query="x=1",
        headers={"X-API-Key": "k", "X-Signature": "abcdef012345…"},
        body='{"amount":1}',
        body_bytes=12,
        verdict="refused",
        refusal={"message": "signature mismatch"},
        warnings=["a warning"],
        fault="http_500 on every request",
        status=500,
        error_code="INTERNAL_ERROR",
        latency_ms=1.5,
        session_id="s-1",
        round_id="r-1",
        free_bet_id="fb-1",
    )
    bounds = journal_store.Bounds()
    async with platform.db.transaction() as conn:
        await journal_store.insert_many(conn, [entry], bounds)
    (found,), total = await journal_store.search(platform.db, operator_id, {"round_id": "r-1"}, 10, 0)
    assert total == 1 and found.id is not None
    found.id = None
    assert found == entry


async def test_catalog_loaded_once_and_not_duplicated(settings):
    games = fixture("games")
    async with started(settings) as platform:
        assert await count_rows(platform.db, "games") == len(games)
        rows = await platform.db.fetchall("SELECT id, position FROM games ORDER BY position")
        assert [(r["id"], r["position"]) for r in rows] == [(g["id"], i) for i, g in enumerate(games)]
    async with started(settings) as platform:
        assert await count_rows(platform.db, "games") == len(games)
        assert [g["id"] for g in platform.catalog.games] == [g["id"] for g in games]
        before = versions_of(settings.db)
    assert versions_of(settings.db) == before


async def test_default_operator_from_settings_and_updated_secret(aiohttp_client, settings, clock):
    async with started(settings) as platform:
        rows = await platform.db.fetchall("SELECT id, name, api_key, secret_key, webhook_url FROM operators")
        assert [tuple(r) for r in rows] == [
            (1, "Default operator", "sandbox-api-key", "sandbox-secret-key", None)
        ]

    changed = settings.replace(secret_key="rotated-secret", webhook_url="https://operator.example/hook")
    app = create_app(changed, clock=clock, ids=Ids(changed.seed))
    test_client = await aiohttp_client(app, server_kwargs={"port": changed.port})
    platform = app[PLATFORM]
    rows = await platform.db.fetchall("SELECT id, api_key, secret_key, webhook_url FROM operators")
    assert [tuple(r) for r in rows] == [
        (1, "sandbox-api-key", "rotated-secret", "https://operator.example/hook")
    ]

    old = Signed(test_client, settings.api_key, settings.secret_key, now=clock.now)
    new = Signed(test_client, changed.api_key, changed.secret_key, now=clock.now)
    await old.error("GET", "/api/game/currencies", status=401, code="UNAUTHORIZED")
    await new.ok("GET", "/api/game/currencies")


async def test_state_survives_a_restart(settings):
    async with started(settings) as platform:
        await sessions.launch(platform, platform.operators.default, launch_body(), kind="real")
    async with started(settings.replace(seed=2)) as platform:
        session = await sessions.require_session(platform, platform.operators.default, "sess-1")
        assert (session.player_id, session.kind) == ("player-1", "real")


async def test_seeded_ids_repeat_on_a_fresh_database_and_never_collide_after_a_restart(make_client, tmp_path):
    async def first_token(client, session_id: str) -> str:
        answer = await client.ok("POST", "/api/game/launch", launch_body(session_id=session_id))
        return answer["game_url"].rsplit("/", 1)[1]

    first = await make_client(db=str(tmp_path / "a.db"))
    tokens = [await first_token(first, "s-0")]
    await first.client.close()
    twin = await make_client(db=str(tmp_path / "b.db"))  # the same seed on another fresh database
    assert await first_token(twin, "s-0") == tokens[0]
    # A restart on the first database must not redraw what it already holds: a new session there takes
    # a rowid of its own (a repeated one would be a UNIQUE error, a 500), and its token is another.
    again = await make_client(db=str(tmp_path / "a.db"))
    tokens.append(await first_token(again, "s-1"))
    assert tokens[1] != tokens[0]
    assert await count_rows(again.client.app[PLATFORM].db, "sessions") == 2
