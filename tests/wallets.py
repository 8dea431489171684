"""A scriptable operator wallet: a real aiohttp server on port 0 with an in-memory ledger.

It checks the mock's signature on every call, validates every payload against the package's schemas, keeps its own
ledger (independent of the reference wallet), records every call, and can be told to misbehave.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from netspace_mock import schemas, signing
from netspace_mock.app import create_app
from netspace_mock.sources import Ids
from support import API_KEY, KEY_B, SECRET, SECRET_B, Signed, operators_file


class TestWallet:
    __test__ = False

    def __init__(self, start_balance: str = "100.00") -> None:
        self.start = Decimal(start_balance)
        self.balances: dict[tuple[str, str], Decimal] = defaultdict(lambda: self.start)
        self.done: dict[tuple[str, str], dict[str, Any]] = {}
        self.booked: dict[str, dict[str, Any]] = {}  # by transaction_id: what a rollback would revert
        self.calls: list[dict[str, Any]] = []
        self.faults: dict[str, list[str]] = defaultdict(list)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.max_overlap = 0
        self.problems: list[str] = []
        self.received = asyncio.Event()
        self.url = ""

    def fail(self, action: str, *kinds: str) -> None:
        """Queue faults for the next calls of this action: 'http500', 'sleep:S' (no booking), 'late:S'
        (book, then answer too late), 'garbage', 'string_balance', 'no_txn_id', 'business:CODE', 'duplicate'."""
        self.faults[action].extend(kinds)

    def of(self, action: str) -> list[dict[str, Any]]:
        return [c["payload"] for c in self.calls if c["payload"].get("action_type") == action]

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        headers = dict(request.headers)
        try:
            signing.check_timestamp(headers["X-Timestamp"], __import__("time").time(), 300)
            signing.verify(
                SECRET,
                headers["X-Timestamp"],
                "POST",
                request.raw_path,
                raw,
                headers["X-Signature"],
                "path_qs",
            )
            assert headers["X-API-Key"] == API_KEY
        except Exception as exc:  # a mock that signs wrongly is a test failure, recorded and asserted later
            self.problems.append(f"bad signature: {exc!r}")
            return web.json_response(
                {"success": False, "error": {"code": "UNAUTHORIZED", "message": "bad"}}, status=401
            )
        payload = json.loads(raw)
        action = payload.get("action_type")
        found = schemas.problems(f"webhook.{action}", payload)
        if found:
            self.problems.append(f"{action} payload off schema: {found}")
        call = {"headers": headers, "raw": raw, "payload": payload}
        self.calls.append(call)
        self.received.set()
        round_id = payload.get("round_id", "")
        self.in_flight[round_id] += 1
        self.max_overlap = max(self.max_overlap, self.in_flight[round_id])
        try:
            fault = self.faults[action].pop(0) if self.faults[action] else None
            return await self._answer(payload, fault)
        finally:
            self.in_flight[round_id] -= 1

    async def _answer(self, p: dict[str, Any], fault: str | None) -> web.Response:
        if fault == "http500":
            return web.Response(status=500, text="boom")
        if fault and fault.startswith("sleep:"):
            await asyncio.sleep(float(fault[6:]))
            return web.Response(status=500, text="too late")
        if fault == "garbage":
            return web.Response(text="<html>oops</html>", content_type="text/html")
        if fault and fault.startswith("business:"):
            return web.json_response({"success": False, "error": {"code": fault[9:], "message": "scripted"}})
        if fault == "duplicate":
            self._book(p)
            return web.json_response(
                {"success": False, "error": {"code": "DUPLICATE_TRANSACTION", "message": "dup"}}
            )
        answer = self._book(p)
        if fault and fault.startswith("late:"):
            await asyncio.sleep(float(fault[5:]))
        if fault == "string_balance":
            answer["balance"] = str(answer["balance"])
        if fault == "no_txn_id":
            answer.pop("transaction_id", None)
        return web.Response(text=json.dumps(answer, default=float), content_type="application/json")

    def _book(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p["player_id"], p["currency"])
        action = p["action_type"]
        if action == "balance":
            return {"success": True, "balance": self.balances[key]}
        idem = (action, p["transaction_id"])
        if idem in self.done:
            return {**self.done[idem], "balance": self.balances[key]}
        amount = Decimal(str(p["amount"]))
        delta = Decimal(0)
        if action == "bet":
            if not p.get("is_free_bet"):
                if self.balances[key] < amount:
                    return {"success": False, "error": {"code": "INSUFFICIENT_BALANCE", "message": "no"}}
                delta = -amount
        elif action == "win":
            delta = amount
        elif action == "refund":
            bet = next(
                (
                    b
                    for b in self.booked.values()
                    if b["action"] == "bet" and b["round_id"] == p["round_id"] and not b["reverted"]
                ),
                None,
            )
            if bet is not None:
                bet["reverted"] = True
                delta = -bet["delta"]
        elif action == "rollback":
            original = self.booked.get(p["transaction_id"])
            if original is not None and not original["reverted"]:
                original["reverted"] = True
                delta = -original["delta"]
        self.balances[key] += delta
        if action != "rollback":
            self.booked[p["transaction_id"]] = {
                "action": action,
                "round_id": p["round_id"],
                "delta": delta,
                "reverted": False,
            }
        answer = {
            "success": True,
            "balance": self.balances[key],
            "transaction_id": f"op-{len(self.done) + 1}",
        }
        self.done[idem] = answer
        return answer


@pytest.fixture
async def wallet(aiohttp_server):
    test_wallet = TestWallet()
    app = web.Application()
    app.router.add_post("/hooks/netspace", test_wallet.handle)
    server = await aiohttp_server(app)
    test_wallet.url = str(server.make_url("/hooks/netspace"))
    return test_wallet


@pytest.fixture
def mock_factory(aiohttp_client, tmp_path, unused_tcp_port_factory, clock):
    """Start a mock app (own port, given DB file) with settings overrides; returns a Signed client."""

    async def start(**overrides: Any) -> Signed:
        port = overrides.pop("port", None) or unused_tcp_port_factory()
        base = dict(
            db=str(tmp_path / "mock.db"), port=port, seed=1234, webhook_backoff=0.01, webhook_timeout=1.0
        )
        base.update(overrides)
        from netspace_mock.settings import Settings

        settings = Settings(**base)
        app = create_app(settings, clock=clock, ids=Ids(settings.seed))
        client = await aiohttp_client(app, server_kwargs={"port": port})
        return Signed(client, settings.api_key, settings.secret_key, now=clock.now)

    return start


@pytest.fixture
async def operator(mock_factory, wallet):
    """The mock, wired to the scripted wallet."""
    return await mock_factory(webhook_url=wallet.url)


@pytest.fixture
async def pair(mock_factory, wallet, tmp_path):
    """A (the default operator, wallet: the scripted one) and B (from an operators file, wallet: the
    mock's own reference wallet), in one mock."""
    a = await mock_factory(webhook_url=wallet.url, operators=operators_file(tmp_path), webhook_retries=1)
    b = Signed(a.client, KEY_B, SECRET_B, now=a.now)
    return a, b
