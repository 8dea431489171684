"""The operator wallet of the tests: one scriptable wallet, honest by default, with named flaws.

A real aiohttp server on port 0 with an in-memory ledger, independent of the mock's reference wallet.
It checks the mock's signature on every call, validates every payload against the package's schemas
(what is wrong goes to `problems`), records every call, and books each (action, transaction_id) once.

A flaw is a name of wallet_flaws.FLAW_NAMES or of wallet_attacks.ATTACKS. Given to `Wallet(flaws=...)`
it lasts the wallet's life (the defective wallets certification must judge, a wallet that is always
slow); given to `wallet.fail(action, ...)` it is the next call of that action's only, in order.

A pytest plugin (`pytest_plugins` in tests/conftest.py): `wallet` (alias `hostile_wallet`) serves one,
`mock_factory` starts mocks with overridden settings, `operator` is the mock wired to the wallet and
`pair` one mock with two operators.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from wallet_flaws import checked, refusal, seconds

from netspace_mock import schemas, signing
from netspace_mock.app import create_app
from netspace_mock.currencies import DECIMALS
from netspace_mock.settings import Settings
from netspace_mock.sources import Ids
from support import API_KEY, KEY_B, SECRET, SECRET_B, Signed, operators_file
from wallet_attacks import Hostile, write


class Wallet:
    """What it was sent: `calls` (headers, raw bytes, payload; `of(action)` the payloads of one action),
    `problems`, `max_overlap` (the most calls of one round at once); what it holds: `balances` by
    (player_id, currency). `faults` queues each action's flaws to come."""

    def __init__(
        self,
        flaws: tuple[str, ...] | list[str] = (),
        *,
        players: dict[str, str] | None = None,
        sessions: tuple[str, ...] | None = None,
        start_balance: str = "100.00",
        api_key: str = API_KEY,
        secret: str = SECRET,
    ) -> None:
        """`players`: each player's one currency (another player is PLAYER_NOT_FOUND, another currency
        INVALID_REQUEST); None: every player exists in every currency, with `start_balance` each.
        `sessions`: the session_ids it issued (a bet on another is INVALID_SESSION); None: any."""
        self.flaws = [checked(f) for f in flaws]
        self.players = players
        self.sessions = sessions
        self.api_key, self.secret = api_key, secret
        self.start = Decimal(start_balance)
        self.balances: dict[tuple[str, str], Decimal] = defaultdict(lambda: self.start)
        self.done: dict[tuple[str, str], dict[str, Any]] = {}
        self.booked: dict[str, dict[str, Any]] = {}  # by transaction_id: what a rollback would revert
        self.calls: list[dict[str, Any]] = []
        self.faults: dict[str, list[str | Hostile | None]] = defaultdict(list)
        self.in_flight: dict[str, int] = defaultdict(int)  # by round_id
        self.max_overlap = 0  # the most calls of one round in flight at once
        self.calls_in_flight = self.most_in_flight = 0
        self.hostile_calls = 0
        self.problems: list[str] = []  # what the mock got wrong (certification errs on purpose)
        self.received = asyncio.Event()  # a call came in
        self.held = asyncio.Event()  # a held hostile answer waits for `release` before its last piece
        self.release = asyncio.Event()
        self.url = ""

    def fail(self, action: str, *flaws: str | Hostile | None, held: bool = False) -> None:
        """Give the next calls of this action these flaws, one call each, in order (None: honestly).
        `held`: the attacks wait for `release` before their last piece, with `held` set meanwhile."""
        self.faults[action].extend(checked(f, held) for f in flaws)

    def of(self, action: str) -> list[dict[str, Any]]:
        return [c["payload"] for c in self.calls if c["payload"].get("action_type") == action]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        payload = json.loads(raw)
        action = payload.get("action_type")
        queued = self.faults[action].pop(0) if self.faults[action] else None
        given = [*self.flaws, queued]
        flaws = [f for f in given if isinstance(f, str)]
        hostile = next((f for f in given if isinstance(f, Hostile)), None)
        wait = 2.0 if "times_out" in flaws else seconds(flaws, "slow")
        if wait:
            await asyncio.sleep(wait)
        refused = self._check_signature(request, raw, flaws)
        if refused is not None:
            return refused
        found = schemas.problems(f"webhook.{action}", payload)
        if found:
            self.problems.append(f"{action} payload off schema: {found}")
        self.calls.append({"headers": dict(request.headers), "raw": raw, "payload": payload})
        self.received.set()
        round_id = payload.get("round_id", "")
        self.in_flight[round_id] += 1
        self.max_overlap = max(self.max_overlap, self.in_flight[round_id])
        self.calls_in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.calls_in_flight)
        try:
            if "until_released" in flaws:
                await self.release.wait()
            exact = json.loads(raw, parse_float=Decimal)  # the ledger counts in decimals, not floats
            return await self._answer(request, exact, flaws, hostile)
        finally:
            self.in_flight[round_id] -= 1
            self.calls_in_flight -= 1

    def _check_signature(self, request: web.Request, raw: bytes, flaws: list[str]) -> web.Response | None:
        """None when the call is signed right (or the wallet does not look); else its 401."""
        if "no_signature_check" in flaws:
            return None
        h = request.headers
        try:
            if h.get("X-API-Key") != self.api_key and "ignores_api_key" not in flaws:
                raise signing.SignatureError(f"X-API-Key is {h.get('X-API-Key')!r}")
            ts, given = h["X-Timestamp"], h["X-Signature"]
            if "accepts_future_timestamps" in flaws:
                if time.time() - int(ts) > 300:  # the mistake: no abs()
                    raise signing.SignatureError("X-Timestamp is too old")
            elif "accepts_old_timestamps" in flaws:
                if int(ts) - time.time() > 300:  # the mistake: only the future side
                    raise signing.SignatureError("X-Timestamp is in the future")
            elif "timestamp_as_float" in flaws:
                if abs(time.time() - float(ts)) > 300:  # the mistake: NaN compares false
                    raise signing.SignatureError("X-Timestamp is out of the window")
            elif "ignores_timestamp" not in flaws:
                signing.check_timestamp(ts, time.time(), 60 if "narrow_window" in flaws else 300)
            path = request.raw_path
            if "signs_without_timestamp" in flaws or "signs_body_only" in flaws:
                message = raw if "signs_body_only" in flaws else b"POST" + path.encode() + raw
                if not hmac.compare_digest(
                    hmac.new(self.secret.encode(), message, "sha256").hexdigest(), given
                ):
                    raise signing.SignatureError("X-Signature does not match")
            elif "accepts_signature_prefixes" in flaws:
                right = signing.sign(self.secret, ts, "POST", path, raw)
                if not right.startswith(given):  # the mistake: a prefix passes
                    raise signing.SignatureError("X-Signature does not match")
            elif "case_sensitive_signature" in flaws:
                if given != signing.sign(self.secret, ts, "POST", path, raw):  # the mistake: exact text
                    raise signing.SignatureError("X-Signature does not match")
            else:
                signing.verify(self.secret, ts, "POST", path, raw, given, "path_qs")
        except (KeyError, ValueError, signing.SignatureError) as exc:
            self.problems.append(f"bad signature: {exc!r}")
            return web.json_response(refusal("UNAUTHORIZED"), status=401)
        return None

    async def _answer(
        self, request: web.Request, p: dict[str, Any], flaws: list[str], hostile: Hostile | None
    ) -> web.StreamResponse:
        if "http500" in flaws:
            return web.Response(status=500, text="boom")
        gone = seconds(flaws, "sleep")
        if gone is not None:
            await asyncio.sleep(gone)
            return web.Response(status=500, text="too late")
        if "garbage" in flaws:
            return web.Response(text="<html>oops</html>", content_type="text/html")
        code = next((f[9:] for f in flaws if f.startswith("business:")), None)
        if code:
            return web.json_response(refusal(code))
        before = self.balances[(p["player_id"], p["currency"])]
        refused = self._refused_account(p)
        if refused is None and "lost_updates" in flaws and p["action_type"] != "balance":
            key = (p["player_id"], p["currency"])
            read = self.balances[key]
            await asyncio.sleep(0.002)  # another call of the player may book meanwhile
            self.balances[key] = read  # the mistake: it writes over what was booked since it read
        answer, status = refused or self._book(p, flaws)
        action = p["action_type"]
        if answer["success"] and f"answers_balance_before:{action}" in flaws:
            answer["balance"] = before
        if answer["success"] and f"answers_cents:{action}" in flaws:
            answer["balance"] = answer["balance"] * 100
        if not answer["success"] and "bare_http_errors" in flaws:
            bare = {"PLAYER_NOT_FOUND": (404, "Not Found"), "INVALID_REQUEST": (400, "Bad Request")}
            if answer["error"]["code"] in bare:
                status, text = bare[answer["error"]["code"]]
                return web.Response(status=status, text=text)
        if "duplicate" in flaws:
            return web.json_response(refusal("DUPLICATE_TRANSACTION"))
        late = seconds(flaws, "late")
        if late:
            await asyncio.sleep(late)
        if hostile is not None:
            self.hostile_calls += 1
            return await write(request, hostile, hostile.build(answer), self.held, self.release)
        if "balance" in answer and ("string_balance" in flaws or "balance_as_string" in flaws):
            answer["balance"] = f"{answer['balance']:.2f}"
        if "no_txn_id" in flaws:
            answer.pop("transaction_id", None)
        return web.Response(
            text=json.dumps(answer, default=float), status=status, content_type="application/json"
        )

    def _refused_account(self, p: dict[str, Any]) -> tuple[dict[str, Any], int] | None:
        if self.players is None:
            return None
        if p["player_id"] not in self.players:
            return refusal("PLAYER_NOT_FOUND"), 200
        if p["currency"] != self.players[p["player_id"]]:
            return refusal("INVALID_REQUEST"), 400
        return None

    def _bet_of(self, round_id: str, reverted: bool | None = None) -> dict[str, Any] | None:
        return next(
            (
                b
                for b in self.booked.values()
                if b["action"] == "bet" and b["round_id"] == round_id and reverted in (None, b["reverted"])
            ),
            None,
        )

    def _won(self, round_id: str) -> bool:
        """Whether the round was settled by a win (one of 0 included) that was not reverted since."""
        return any(
            b["action"] == "win" and b["round_id"] == round_id and not b["reverted"]
            for b in self.booked.values()
        )

    def _book(self, p: dict[str, Any], flaws: list[str]) -> tuple[dict[str, Any], int]:
        """Book the call once per (action, transaction_id); the answer and its HTTP status."""
        key = (p["player_id"], p["currency"])
        action = p["action_type"]
        if action == "balance":
            return {"success": True, "balance": self.balances[key]}, 200
        txn = p["transaction_id"][:64] if "truncates_ids" in flaws else p["transaction_id"]
        idem = (action, txn, p["player_id"]) if "per_player_idempotency" in flaws else (action, txn)
        if idem in self.done and "books_duplicates" not in flaws:
            return {**self.done[idem], "balance": self.balances[key]}, 200
        amount = Decimal(p["amount"])
        exact = amount == amount.quantize(Decimal(1).scaleb(-DECIMALS[p["currency"]]))
        if amount < 0 or (not exact and "books_sub_unit_amounts" not in flaws):
            return refusal("INVALID_REQUEST"), 400
        if "ascii_ids" in flaws and not all(str(v).isascii() for v in p.values()):
            return refusal("INVALID_REQUEST"), 400
        delta = Decimal(0)
        settled = self._won(p["round_id"]) and action in ("refund", "rollback")
        if action == "bet":
            if (
                self.sessions is not None
                and p["session_id"] not in self.sessions
                and "any_session" not in flaws
            ):
                return refusal("INVALID_SESSION"), 200
            if not p.get("is_free_bet") or "debits_free_bets" in flaws:
                if self.balances[key] < amount and "negative_balance" not in flaws:
                    return refusal("INSUFFICIENT_BALANCE"), 200
                delta = -amount
        elif action == "win":
            bet = self._bet_of(p["round_id"])
            if bet is not None and bet["reverted"]:
                return refusal("INVALID_SESSION"), 200  # no win on a round whose bet was given back
            delta = Decimal(0) if "win_credits_nothing" in flaws else amount
        elif action == "refund":
            if settled and "refund_after_win_pays" not in flaws:
                return refusal("INVALID_SESSION"), 200  # the round was paid: nothing to refund
            bet = self._bet_of(p["round_id"], reverted=False)
            if bet is not None and "refund_does_nothing" not in flaws:
                bet["reverted"] = True
                delta = -bet["delta"]
        elif action == "rollback":
            original = self.booked.get(txn)
            if original is None and "rollback_unknown_errors" in flaws:
                return refusal("INTERNAL_ERROR"), 200
            paid_bet = original is not None and original["action"] == "bet" and settled
            if paid_bet and "rollback_after_win_pays" not in flaws:
                return refusal("INVALID_SESSION"), 200  # the round was paid: its bet stays
            if original is not None and not original["reverted"] and "rollback_does_nothing" not in flaws:
                original["reverted"] = True
                delta = -original["delta"]
        self.balances[key] += delta
        if "int32_cents" in flaws:  # the count of cents wraps around past 2**31 - 1
            cents = (int(self.balances[key] * 100) + 2**31) % 2**32 - 2**31
            self.balances[key] = Decimal(cents) / 100
        if action != "rollback":
            self.booked[txn] = {
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
        return dict(answer), 200


OTHER_PLAYER = "cert-other"  # the second test player of OperatorWallet
SESSION = "sess-cert-issued"  # the session OperatorWallet issued, when it was given sessions


def OperatorWallet(
    *flaws: str,
    player: str = "cert-player",
    currency: str = "USD",
    balance: str = "100.00",
    sessions: tuple[str, ...] | None = None,
):
    """The wallet a certification run is pointed at: the test player and OTHER_PLAYER in one currency,
    these flaws; given `sessions`, a bet on any other session is INVALID_SESSION."""
    return Wallet(
        flaws, players={player: currency, OTHER_PLAYER: currency}, sessions=sessions, start_balance=balance
    )


async def serve(aiohttp_server, wallet: Wallet, path: str = "/wallet/callback") -> str:
    """Serve the wallet on port 0 for the test's length; its URL (also `wallet.url`)."""
    app = web.Application()
    app.router.add_post(path, wallet.handle)
    server = await aiohttp_server(app)
    wallet.url = str(server.make_url(path))
    return wallet.url


@pytest.fixture
async def wallet(aiohttp_server) -> Wallet:
    """An honest wallet on port 0, any player in any currency; script it with `fail()`."""
    honest = Wallet()
    await serve(aiohttp_server, honest, "/hooks/netspace")
    return honest


@pytest.fixture
def hostile_wallet(wallet) -> Wallet:
    """The same wallet, by the name the hostile-answer tests give it."""
    return wallet


@pytest.fixture
def mock_factory(aiohttp_client, tmp_path, unused_tcp_port_factory, clock):
    """Start a mock app (own port, given DB file) with settings overrides; returns a Signed client."""

    async def start(**overrides: Any) -> Signed:
        port = overrides.pop("port", None) or unused_tcp_port_factory()
        base = dict(
            db=str(tmp_path / "mock.db"), port=port, seed=1234, webhook_backoff=0.01, webhook_timeout=1.0
        )
        base.update(overrides)
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
