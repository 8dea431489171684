"""The built-in reference wallet at /operator/webhook, called as the platform calls any operator."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from netspace_mock import signing
from netspace_mock.serving import PLATFORM
from support import API_KEY, SECRET, launch_body

PATH = "/operator/webhook"


class Caller:
    """Signs webhook calls exactly as the platform does and posts them to the reference wallet."""

    def __init__(self, client) -> None:
        self.client = client
        self.n = 0

    def body(self, action: str, **fields) -> dict:
        base = {
            "action_type": action,
            "session_id": "sess-1",
            "player_id": "player-1",
            "currency": "USD",
            "game_id": "lotterix",
            "timestamp": "2025-01-15T10:30:00.000Z",
        }
        if action != "balance":
            self.n += 1
            base.update(transaction_id=f"txn_{self.n:032x}", amount=1.0, round_id=f"round_{self.n}")
        base.update(fields)
        return base

    async def call(
        self, payload: dict, *, headers: dict | None = None, raw: bytes | None = None
    ) -> tuple[int, dict]:
        data = raw if raw is not None else json.dumps(payload, separators=(",", ":")).encode()
        sent = (
            headers
            if headers is not None
            else signing.headers(API_KEY, SECRET, int(time.time()), "POST", PATH, data)
        )
        async with self.client.client.post(PATH, data=data, headers=sent) as resp:
            return resp.status, await resp.json()

    async def ok(self, payload: dict) -> dict:
        status, answer = await self.call(payload)
        assert status == 200 and answer["success"] is True, answer
        return answer

    async def refused(self, payload: dict, code: str, status: int = 200) -> dict:
        got, answer = await self.call(payload)
        assert (got, answer["success"], answer["error"]["code"]) == (status, False, code), answer
        return answer


async def wallet(client) -> Caller:
    await client.ok("POST", "/api/game/launch", launch_body())
    return Caller(client)


async def test_signature_timestamp_and_key_are_checked(client):
    w = await wallet(client)
    payload = w.body("balance")
    data = json.dumps(payload).encode()
    now = int(time.time())
    bad = [
        {},
        {**signing.headers(API_KEY, SECRET, now, "POST", PATH, data), "X-Signature": "0" * 64},
        signing.headers(API_KEY, SECRET, now - 600, "POST", PATH, data),
        signing.headers("someone-else", SECRET, now, "POST", PATH, data),
        signing.headers(API_KEY, "wrong-secret", now, "POST", PATH, data),
        signing.headers(API_KEY, SECRET, now, "POST", PATH, data + b" "),
    ]
    for headers in bad:
        status, answer = await w.call(payload, headers=headers, raw=data)
        assert status == 401 and answer["success"] is False and answer["error"]["code"] == "UNAUTHORIZED"
    assert (await w.ok(payload))["balance"] == 1000


async def test_bet_win_and_idempotency(client):
    w = await wallet(client)
    bet = w.body("bet", amount=10)
    first = await w.ok(bet)
    again = await w.ok(bet)
    assert first["balance"] == again["balance"] == 990
    assert first["transaction_id"] == again["transaction_id"] and first["transaction_id"].startswith("wtx_")
    win = w.body("win", amount=25.5, round_id=bet["round_id"])
    assert (await w.ok(win))["balance"] == 1015.5
    assert (await w.ok(win))["balance"] == 1015.5


async def test_insufficient_balance_books_nothing(client):
    w = await wallet(client)
    await w.refused(w.body("bet", amount=1000.01), "INSUFFICIENT_BALANCE")
    assert (await w.ok(w.body("balance")))["balance"] == 1000


async def test_unknown_player_and_currency_are_player_not_found(client):
    w = await wallet(client)
    answer = await w.refused(w.body("balance", player_id="ghost"), "PLAYER_NOT_FOUND")
    assert "ghost" in answer["error"]["message"]
    answer = await w.refused(w.body("bet", currency="EUR"), "PLAYER_NOT_FOUND")
    assert "EUR" in answer["error"]["message"]


async def test_rollback_reverts_once_and_accepts_unknown_transactions(client):
    w = await wallet(client)
    bet = w.body("bet", amount=7)
    await w.ok(bet)
    rollback = w.body("rollback", transaction_id=bet["transaction_id"], amount=7, round_id=bet["round_id"])
    assert (await w.ok(rollback))["balance"] == 1000
    assert (await w.ok(rollback))["balance"] == 1000
    never_seen = w.body("rollback", transaction_id="txn_" + "f" * 32, amount=5)
    assert (await w.ok(never_seen))["balance"] == 1000
    # That bet can no longer be booked: its rollback came first.
    late = w.body("bet", transaction_id="txn_" + "f" * 32, amount=5)
    await w.refused(late, "DUPLICATE_TRANSACTION")
    # And a win for the rolled-back round is not paid.
    await w.refused(w.body("win", amount=3, round_id=bet["round_id"]), "INVALID_SESSION")
    assert (await w.ok(w.body("balance")))["balance"] == 1000


async def test_refund_gives_the_stake_back_once(client):
    w = await wallet(client)
    bet = w.body("bet", amount=4)
    await w.ok(bet)
    refund = w.body("refund", amount=4, round_id=bet["round_id"])
    assert (await w.ok(refund))["balance"] == 1000
    assert (await w.ok(refund))["balance"] == 1000
    second = w.body("refund", amount=4, round_id=bet["round_id"])  # another refund id, same round
    assert (await w.ok(second))["balance"] == 1000


async def test_a_settled_round_is_never_paid_twice(client):
    w = await wallet(client)
    bet = w.body("bet", amount=4)
    await w.ok(bet)
    assert (await w.ok(w.body("win", amount=6, round_id=bet["round_id"])))["balance"] == 1002
    answer = await w.refused(w.body("refund", amount=4, round_id=bet["round_id"]), "INVALID_SESSION")
    assert "settled by a win" in answer["error"]["message"]
    rollback = w.body("rollback", transaction_id=bet["transaction_id"], amount=4, round_id=bet["round_id"])
    await w.refused(rollback, "INVALID_SESSION")
    assert (await w.ok(w.body("balance")))["balance"] == 1002


async def test_an_amount_finer_than_the_currency_is_refused(client):
    w = await wallet(client)
    answer = await w.refused(w.body("bet", amount=1.005), "INVALID_REQUEST", status=400)
    assert "at most 2 decimals" in answer["error"]["message"]
    assert (await w.ok(w.body("balance")))["balance"] == 1000


async def test_a_bet_needs_a_session_launched_for_the_player(client):
    w = await wallet(client)  # sess-1 was launched for player-1
    answer = await w.refused(w.body("bet", session_id="sess-never"), "INVALID_SESSION")
    assert "sess-never" in answer["error"]["message"]
    assert (await w.ok(w.body("bet", amount=2)))["balance"] == 998
    # A test player with no session yet bets on any (a certification run without a session_id).
    assert (await w.ok(w.body("bet", player_id="cert-player", session_id="cert_any")))["balance"] == 999


async def test_free_bet_stake_is_not_debited_and_its_win_is_credited(client):
    w = await wallet(client)
    ids = {"operator_free_bet_id": "promo-1", "netspace_free_bet_id": "fb_ns_1"}
    bet = w.body("bet", amount=50, is_free_bet=True, **ids)
    assert (await w.ok(bet))["balance"] == 1000
    win = w.body("win", amount=80, round_id=bet["round_id"], from_free_bet=True, **ids)
    assert (await w.ok(win))["balance"] == 1080


async def test_bad_payloads_are_refused_clearly(client):
    w = await wallet(client)
    for payload, fragment in (
        (w.body("jump"), "action_type"),
        ({**w.body("bet"), "amount": "1"}, "$.amount"),
        ({**w.body("bet"), "amount": -1}, "$.amount"),
    ):
        status, answer = await w.call(payload)
        assert (
            status == 400
            and answer["error"]["code"] == "INVALID_REQUEST"
            and fragment in answer["error"]["message"]
        )
    status, answer = await w.call({}, raw=b"{not json")
    assert status == 400 and "malformed JSON" in answer["error"]["message"]


async def test_wallet_state_lives_in_sqlite(client):
    w = await wallet(client)
    await w.ok(w.body("bet", amount=2.5))
    platform = client.client.app[PLATFORM]
    row = await platform.db.fetchone("SELECT balance FROM wallet_accounts WHERE player_id = 'player-1'")
    assert Decimal(row["balance"]) == Decimal("997.50")


async def test_the_test_player_has_an_account_from_the_start(client):
    """`netspace-mock certify --player-id cert-player --currency USD` needs no launch first."""
    w = Caller(client)
    assert (await w.ok(w.body("balance", player_id="cert-player")))["balance"] == 1000
    assert (await w.ok(w.body("bet", player_id="cert-player", amount=3)))["balance"] == 997
    # Only in its currency, and only that player: the advisory checks still see PLAYER_NOT_FOUND.
    await w.refused(w.body("balance", player_id="cert-player", currency="EUR"), "PLAYER_NOT_FOUND")
    await w.refused(w.body("balance", player_id="cert-unknown-1"), "PLAYER_NOT_FOUND")
    assert (
        await client.client.app[PLATFORM].db.fetchall("SELECT player_id FROM players") == []
    )  # the platform itself still knows no player: only the wallet has one


async def test_test_players_come_from_the_setting(make_client):
    w = Caller(await make_client(wallet_test_players="alice:EUR, bob:usd", wallet_initial_balance=50))
    assert (await w.ok(w.body("balance", player_id="alice", currency="EUR")))["balance"] == 50
    assert (await w.ok(w.body("balance", player_id="bob", currency="USD")))["balance"] == 50
    await w.refused(w.body("balance", player_id="alice", currency="USD"), "PLAYER_NOT_FOUND")
    await w.refused(w.body("balance", player_id="cert-player"), "PLAYER_NOT_FOUND")
