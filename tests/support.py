"""Test helpers: a signing client that checks every answer against its schema, route lookup, the
balances rounds imply, and the command line and server as separate processes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from netspace_mock import js_json, schemas, signing
from netspace_mock.api.routes import ROUTES
from netspace_mock.client import AsyncNetspaceSDK
from netspace_mock.serving import PLATFORM
from netspace_mock.store import operators

API_KEY = "sandbox-api-key"
SECRET = "sandbox-secret-key"
# The certification suite's advisory checks, in the order they run.
ADVISORIES = [
    "unknown_player",
    "other_currency",
    "negative_amount",
    "win_after_rollback",
    "concurrent_bets",
    "precision",
    "zero_win",
    "free_bet",
    "unknown_session",
    "refund_after_win",
    "rollback_after_win",
    "excess_decimals",
    "large_amount",
    "long_unicode_ids",
    "shared_transaction_id",
    "error_envelope",
    "signature_case",
    "timestamp_window",
    "latency",
]
# The two that run only when the run is given a session_id the wallet issued, and a second test player.
GIVEN_ONLY = ["unknown_session", "shared_transaction_id"]
# Two more operators, from an operators file (operators_file).
KEY_B, SECRET_B = "operator-b-key", "operator-b-secret-0123456789"
KEY_C, SECRET_C = "operator-c-key", "operator-c-secret-9876543210"

_TEMPLATES = [(re.compile("^" + re.sub(r"{\w+}", "[^/]+", r.path) + "$"), r) for r in ROUTES]


def route_for(method: str, path: str):
    path = path.partition("?")[0]
    for pattern, route in _TEMPLATES:
        if route.method == method and pattern.match(path):
            return route
    return None


def check_schema(method: str, path: str, status: int, body: Any) -> None:
    """Every answer must match its schema: the route's response schema, or the error envelope."""
    if status == 200 and path.startswith("/api/"):
        route = route_for(method, path)
        assert route is not None and route.response, f"no response schema for {method} {path}"
        found = schemas.problems(route.response, body)
    else:
        found = schemas.problems("error", body) if status >= 400 else []
    assert not found, f"{method} {path} answered {status} off its schema: {found}\n{json.dumps(body)[:2000]}"


def stringified(payload: Any) -> bytes:
    """What JSON.stringify(payload) gives, as UTF-8 (tuples as arrays, as json.dumps writes them)."""
    return js_json.canonical(json.loads(json.dumps(payload)))


class Signed:
    """Acts as an operator through the project's own client (netspace_mock.client), signing every request,
    and validates every answer against its schema. `client` is aiohttp's TestClient of the app."""

    def __init__(self, client: TestClient, api_key: str = API_KEY, secret: str = SECRET, now=None) -> None:
        self.client = client
        self.api_key = api_key
        self.secret = secret
        self.now = now or time.time
        base_url = str(client.make_url("")).rstrip("/")
        self.sdk = AsyncNetspaceSDK(api_key, secret, base_url, session=client.session, now=self.now)

    def headers(self, method: str, path: str, body: bytes | str = b"") -> dict[str, str]:
        return signing.headers(self.api_key, self.secret, int(self.now()), method, path, body)

    async def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        expect: int | None = None,
    ) -> tuple[int, Any]:
        # A payload is sent as JSON.stringify would send it, as a client written after the guide does:
        # the canonical form, which carries no integration warning (test_integration_warnings.py).
        body = raw if raw is not None else (b"" if payload is None else stringified(payload))
        if isinstance(body, str):
            body = body.encode()
        status, answer = await self.sdk.send(method, path, body, headers)
        text = json.dumps(answer)
        check_schema(method, path, status, answer)
        if expect is not None:
            assert status == expect, f"{method} {path}: expected {expect}, got {status}: {text[:2000]}"
        return status, answer

    async def get(self, path: str, **kw) -> tuple[int, Any]:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, payload: Any = None, **kw) -> tuple[int, Any]:
        return await self.request("POST", path, payload, **kw)

    async def ok(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        """A request that must succeed; returns the answer."""
        _, answer = await self.request(method, path, payload, expect=200)
        assert answer["success"] is True
        return answer

    async def error(
        self, method: str, path: str, payload: Any = None, *, status: int, code: str, **kw
    ) -> dict:
        """A request that must fail with this status and code; returns the error object."""
        got, answer = await self.request(method, path, payload, **kw)
        assert (got, answer["error"]["code"]) == (status, code), f"{method} {path}: {got} {answer}"
        return answer["error"]


def launch_body(**overrides: Any) -> dict[str, Any]:
    body = {"session_id": "sess-1", "player_id": "player-1", "game_id": "lotterix", "currency": "USD"}
    body.update(overrides)
    return body


def operators_file(tmp_path, webhook_b: str | None = None) -> str:
    """An --operators file with operators B and C (B's webhook: `webhook_b`, else the built-in wallet)."""
    path = tmp_path / "operators.json"
    entries = [
        {"name": "Operator B", "api_key": KEY_B, "secret_key": SECRET_B},
        {"name": "Operator C", "api_key": KEY_C, "secret_key": SECRET_C},
    ]
    if webhook_b:
        entries[0]["webhook_url"] = webhook_b
    path.write_text(json.dumps(entries))
    return str(path)


async def count_rows(db, table: str, where: str = "1", params: tuple = ()) -> int:
    """Rows of a table (through the app's own connection) matching a WHERE clause."""
    row = await db.fetchone(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
    return row[0]


@asynccontextmanager
async def statements(db) -> AsyncIterator[list[str]]:
    """Every SQL statement the database runs meanwhile, on both its connections, in the order each
    connection ran them (SQLite's own trace, through aiosqlite's set_trace_callback)."""
    seen: list[str] = []
    connections = [c for c in (db.writer, db.reader) if c is not None]
    for conn in connections:
        await conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        for conn in connections:
            await conn.set_trace_callback(None)


# aiosqlite's Connection methods that each hand one call to the connection's thread and wait for it.
HOPS = ("execute", "execute_fetchall", "execute_insert", "executemany", "executescript", "commit", "rollback")


class _Counted:
    """A connection whose every call that crosses to its thread is appended to `seen` (the method's
    name and its SQL); anything else is the connection's own."""

    def __init__(self, conn, seen: list[str]) -> None:
        self._conn, self._seen = conn, seen

    def __getattr__(self, name: str):
        found = getattr(self._conn, name)
        if name not in HOPS:
            return found

        def counted(*args, **kwargs):
            self._seen.append(f"{name} {args[0] if args else ''}")  # the method and its SQL
            return found(*args, **kwargs)

        return counted


@asynccontextmanager
async def hops(db) -> AsyncIterator[list[str]]:
    """Every hand-over to one of the database's connection threads meanwhile (each awaited call of
    aiosqlite's Connection is one: the call queued to the thread, the loop woken with its result)."""
    seen: list[str] = []
    writer, reader = db.writer, db.reader
    db.writer = _Counted(writer, seen)
    db.reader = None if reader is None else _Counted(reader, seen)
    try:
        yield seen
    finally:
        db.writer, db.reader = writer, reader


async def recorded_warnings(mock) -> list:
    """The integration warnings the mock behind `mock` (a Signed test client) recorded for its operator."""
    platform = mock.client.app[PLATFORM]
    operator = await operators.by_api_key(platform.db, mock.api_key)
    return await platform.integration_warnings.of_operator(platform.db, operator.id)


BANNER = re.compile(r"serving on (http://127\.0\.0\.1:(\d+))")


def banner(proc: subprocess.Popen, limit: float = 10.0) -> re.Match:
    """The first line of a `serve` subprocess's banner (its stdout piped), printed once it listens,
    matched by BANNER: group 1 the URL, group 2 the port, `.string` the line. Bounded, so a server that
    never starts fails the test instead of hanging it."""
    ready, _, _ = select.select([proc.stdout], [], [], limit)
    if not ready:
        raise AssertionError(f"serve printed no banner within {limit:g} s")
    line = proc.stdout.readline()
    found = BANNER.search(line if isinstance(line, str) else line.decode())
    assert found, f"no banner: {line!r}"
    return found


def free_port() -> int:
    """A free port of 127.0.0.1 for a server the test starts itself."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_healthy(
    http: aiohttp.ClientSession, base: str, proc: subprocess.Popen | None = None, limit: float = 10.0
) -> None:
    """Poll GET /health until it answers 200 (a server subprocess that exits fails at once)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc is None or proc.poll() is None, "the mock exited"
        try:
            async with http.get(base + "/health") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.025)
    raise AssertionError("the mock did not become healthy")


def serve_process(*args: str, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """`python -m netspace_mock serve ARGS` as a separate process (for restarts, kills and real logs)."""
    return subprocess.Popen(
        [sys.executable, "-m", "netspace_mock", "serve", *args],
        stdout=stdout,
        stderr=stderr,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def implied(rounds: list[dict], start: Decimal) -> dict[str, Decimal]:
    """What each player's balance must be, from the rounds alone."""
    balances: dict[str, Decimal] = defaultdict(lambda: start)
    for r in rounds:
        assert r["status"] != "open", r
        if r["status"] == "settled":
            balances[r["player_id"]] += Decimal(str(r["win_amount"])) - Decimal(str(r["amount"]))
        else:
            balances[r["player_id"]] += 0  # rejected, refunded and rolled back rounds move nothing
    return balances


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any NETSPACE_MOCK_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETSPACE_MOCK_")}
    env.update(extra)
    return env


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path, stdin: str | None = None):
    """`python -m netspace_mock ARGS`, run to its end (30 s at most)."""
    return subprocess.run(
        [sys.executable, "-m", "netspace_mock", *args],
        capture_output=True,
        text=True,
        env=env or clean_env(),
        cwd=cwd,
        input=stdin,
        timeout=30,
    )
