"""The reference operator wallet at /operator/webhook — the example an operator's own webhook can follow.

It does what the guide asks of every operator:
  1. verify the platform's signature and timestamp before anything else;
  2. keep one balance per player and currency;
  3. be idempotent on (action_type, transaction_id) — a repeat answers exactly as the first time;
  4. refuse a bet the balance cannot cover with INSUFFICIENT_BALANCE, and book nothing;
  5. never debit a free-bet stake (is_free_bet), but credit its winnings (from_free_bet);
  6. revert on rollback — whose transaction_id is the transaction being reverted — and answer success to a
     rollback of a transaction it never saw (the bet may never have arrived), so the platform can stop.

A player exists here once the platform has launched a session for them in that currency, and the test
players of the `wallet_test_players` setting (`cert-player` in USD by default) exist from the start: they
are what an operator creates in its own player database to be certified, so `netspace-mock certify` against
this wallet passes on the first run. In a real operator, your own player database decides. Each account
opens with `wallet_initial_balance`. Every change is atomic: a bet or a win is one statement, a refund
or a rollback one transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from netspace_mock import jsonio, schemas, settings, signing
from netspace_mock.api.body import read as read_body
from netspace_mock.api.pipeline import PLATFORM, json_response
from netspace_mock.domain import money
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest
from netspace_mock.sources import iso
from netspace_mock.store.db import Connection, one

ACTIONS = ("balance", "bet", "win", "refund", "rollback")


class Refusal(Exception):
    """A business answer: {"success": false, "error": {code, message}} with this HTTP status."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


async def handle(request: web.Request) -> web.Response:
    platform = request.app[PLATFORM]
    raw = await read_body(request, platform.settings.body_timeout)
    try:
        operator_id = _authenticate(platform, request, raw)
        call = _parse(raw)
        answer = await _book(platform, operator_id, call)
    except Refusal as refusal:
        return json_response(
            {"success": False, "error": {"code": refusal.code, "message": refusal.message}},
            status=refusal.status,
        )
    return json_response({"success": True, **answer})


def _authenticate(platform: Platform, request: web.Request, raw: bytes) -> int:
    """Check the platform's signature exactly as the platform checks yours (PROTOCOL §1)."""
    operator = platform.operators.by_api_key(request.headers.get(signing.HEADER_KEY, ""))
    timestamp = request.headers.get(signing.HEADER_TIMESTAMP, "")
    given = request.headers.get(signing.HEADER_SIGNATURE, "")
    if operator is None or not timestamp or not given:
        raise Refusal("UNAUTHORIZED", "missing or unknown X-API-Key, X-Timestamp or X-Signature", 401)
    try:
        signing.check_timestamp(timestamp, platform.clock.now(), platform.settings.timestamp_tolerance)
        signing.verify(operator.secret_key, timestamp, "POST", request.raw_path, raw, given, "path_qs")
    except signing.SignatureError as exc:
        raise Refusal("UNAUTHORIZED", exc.reason, 401) from None
    return operator.id


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        call = jsonio.loads(raw)
        action = call.get("action_type") if isinstance(call, dict) else None
        if action not in ACTIONS:
            raise InvalidRequest.at("$.action_type", "must be one of " + ", ".join(ACTIONS))
        schemas.validate(f"webhook.{action}", call)
    except InvalidRequest as exc:
        raise Refusal("INVALID_REQUEST", exc.message, 400) from None
    return call


# ---- balance, bet and win: one read, then the booking as one statement -------------------------------
#
# The read gives the account's balance, whether this (action_type, transaction_id) was booked already and
# what the booking depends on (a bet: whether its rollback came first; a win: whether its round's bet was
# reverted). The booking is one INSERT of the wallet transaction, with the balance it leaves; a trigger
# moves the account to that balance in the same statement (migration 0013). The INSERT books only if
# what was read still holds (the balance unchanged, the bet not reverted, no rollback, not booked): else
# nothing is written and the call is read and decided again. So each booking is atomic and exact without
# holding the database's write lock across a read.

_STATE = (
    "SELECT a.balance, (SELECT wallet_txn_id FROM wallet_transactions WHERE operator_id = :operator_id "
    "AND action_type = :action AND transaction_id = :txn) AS done, {depends} AS depends "
    "FROM wallet_accounts a WHERE a.operator_id = :operator_id AND a.player_id = :player "
    "AND a.currency = :currency"
)
_ROLLED_BACK = (
    "EXISTS(SELECT 1 FROM wallet_transactions WHERE operator_id = :operator_id "
    "AND action_type = 'rollback' AND transaction_id = :txn)"
)
_BET_REVERTED = (
    "EXISTS(SELECT 1 FROM wallet_transactions WHERE operator_id = :operator_id AND action_type = 'bet' "
    "AND round_id = :round_id AND reverted)"
)
STATE = {
    "balance": _STATE.format(depends="NULL"),
    "bet": _STATE.format(depends=_ROLLED_BACK),
    "win": _STATE.format(depends=_BET_REVERTED),
    # refund and rollback read what they revert in their transaction (_revert)
    "refund": _STATE.format(depends="NULL"),
    "rollback": _STATE.format(depends="NULL"),
}
_BOOK = (
    "INSERT INTO wallet_transactions(operator_id, action_type, transaction_id, wallet_txn_id, player_id, "
    "currency, round_id, amount, booked, is_free_bet, created_at, balance) "
    "SELECT :operator_id, :action, :txn, :wallet_txn, :player, :currency, :round_id, :amount, :booked, "
    ":is_free_bet, :created_at, :after "
    "WHERE (SELECT balance FROM wallet_accounts WHERE operator_id = :operator_id AND player_id = :player "
    "AND currency = :currency) = :before{holds} ON CONFLICT DO NOTHING"
)
BOOK = {
    "bet": _BOOK.format(holds=f" AND NOT {_ROLLED_BACK}"),
    "win": _BOOK.format(holds=f" AND NOT {_BET_REVERTED}"),
    "refund": _BOOK.format(holds=""),
    "rollback": _BOOK.format(holds=""),
}


async def _book(platform: Platform, operator_id: int, call: dict[str, Any]) -> dict:
    action = call["action_type"]
    params = {
        "operator_id": operator_id,
        "action": action,
        "txn": call.get("transaction_id"),
        "player": call["player_id"],
        "currency": call["currency"],
        "round_id": call.get("round_id"),
    }
    if action in ("refund", "rollback"):
        async with platform.db.transaction() as conn:
            return await _revert(platform, conn, call, params)
    while True:
        state = await platform.db.fetchone(STATE[action], params)
        if state is None:
            await _open_account(platform, operator_id, call["player_id"], call["currency"])
            continue
        balance, done = Decimal(state["balance"]), state["done"]
        if action == "balance":
            return {"balance": balance}
        # Idempotency: the same (action_type, transaction_id) again answers as the first time did.
        if done is not None:
            return {"balance": balance, "transaction_id": done}
        amount = money.quantize(call["amount"], call["currency"])
        booked = (_bet if action == "bet" else _win)(call, amount, balance, state["depends"])
        booking = _booking(platform, call, params, amount, state["balance"], booked)
        if await platform.db.execute(BOOK[action], booking):
            return {"balance": balance + booked, "transaction_id": booking["wallet_txn"]}
        # Something it depends on changed since it was read (another call of this player was booked
        # meanwhile, or this one, or its rollback): read and decide again.


def _booking(
    platform: Platform, call: dict, params: dict, amount: Decimal, before: str, booked: Decimal
) -> dict[str, Any]:
    """The INSERT's values: the transaction, and the balance it was decided on (as read) and leaves."""
    return {
        **params,
        "wallet_txn": platform.ids.make("wtx_", 24),
        "amount": str(amount),
        "booked": str(booked),
        "is_free_bet": int(bool(call.get("is_free_bet"))),
        "created_at": iso(platform.clock.operator_now(params["operator_id"])),
        "before": before,
        "after": str(Decimal(before) + booked),
    }


def _bet(call: dict, amount: Decimal, balance: Decimal, rolled_back: int) -> Decimal:
    if rolled_back:
        # The rollback arrived first: this bet was already cancelled and must not be booked now.
        raise Refusal(
            "DUPLICATE_TRANSACTION", f"transaction {call['transaction_id']} was already rolled back"
        )
    if call.get("is_free_bet"):
        return Decimal(0)  # the stake is the platform's promotional credit, not the player's money
    if amount > balance:
        raise Refusal("INSUFFICIENT_BALANCE", f"Player balance is insufficient: {balance} < {amount}")
    return -amount


def _win(call: dict, amount: Decimal, balance: Decimal, bet_reverted: int) -> Decimal:
    if bet_reverted:
        raise Refusal("INVALID_SESSION", f"round {call['round_id']} was rolled back; its win cannot be paid")
    return amount  # from_free_bet wins are credited like any other


# ---- refund and rollback: what they revert, in one transaction --------------------------------------


async def _revert(platform: Platform, conn: Connection, call: dict[str, Any], params: dict) -> dict:
    state = await one(conn, STATE[call["action_type"]], params)
    if state is None:
        await _open_account(platform, params["operator_id"], call["player_id"], call["currency"], conn)
        state = await one(conn, STATE[call["action_type"]], params)
    balance, done = Decimal(state["balance"]), state["done"]
    if done is not None:
        return {"balance": balance, "transaction_id": done}
    amount = money.quantize(call["amount"], call["currency"])
    revert = _refund if call["action_type"] == "refund" else _rollback
    booked = await revert(conn, params["operator_id"], call, amount)
    booking = _booking(platform, call, params, amount, state["balance"], booked)
    cur = await conn.execute(BOOK[call["action_type"]], booking)
    assert cur.rowcount == 1, "a booking in its transaction found the account changed"
    return {"balance": balance + booked, "transaction_id": booking["wallet_txn"]}


async def _refund(conn: Connection, operator_id: int, call: dict, amount: Decimal) -> Decimal:
    bet = await one(
        conn,
        "SELECT transaction_id, amount, booked, reverted FROM wallet_transactions "
        "WHERE operator_id = ? AND action_type = 'bet' AND round_id = ?",
        (operator_id, call["round_id"]),
    )
    if bet is None or bet["reverted"]:
        return Decimal(0)  # nothing was taken for this round (or it was given back already)
    await _mark_reverted(conn, operator_id, "bet", bet["transaction_id"])
    return min(amount, -Decimal(bet["booked"]))


async def _rollback(conn: Connection, operator_id: int, call: dict, amount: Decimal) -> Decimal:
    # transaction_id names the transaction being reverted, whatever its action.
    original = await one(
        conn,
        "SELECT action_type, booked, reverted FROM wallet_transactions WHERE operator_id = ? "
        "AND transaction_id = ? AND action_type != 'rollback'",
        (operator_id, call["transaction_id"]),
    )
    if original is None or original["reverted"]:
        return Decimal(0)  # never seen (or already reverted): succeed and change nothing
    await _mark_reverted(conn, operator_id, original["action_type"], call["transaction_id"])
    return -Decimal(original["booked"])


async def _mark_reverted(conn: Connection, operator_id: int, action: str, txn: str) -> None:
    await conn.execute(
        "UPDATE wallet_transactions SET reverted = 1 WHERE operator_id = ? AND action_type = ? "
        "AND transaction_id = ?",
        (operator_id, action, txn),
    )


# ---- accounts ---------------------------------------------------------------------------------------


async def _open_account(
    platform: Platform, operator_id: int, player: str, currency: str, conn: Connection | None = None
) -> None:
    """Open the player's account in this currency on their first call in it, with the initial balance;
    refused when the platform never launched a session for them in that currency (nor is it a test
    player). In `conn`'s transaction when given, else as one statement of its own."""
    sql = (
        "SELECT EXISTS(SELECT 1 FROM players WHERE operator_id = ? AND player_id = ?) AS player, "
        "EXISTS(SELECT 1 FROM player_currencies WHERE operator_id = ? AND player_id = ? "
        "AND currency = ?) AS account"
    )
    args = (operator_id, player, operator_id, player, currency)
    known = await (one(conn, sql, args) if conn is not None else platform.db.fetchone(sql, args))
    test_player = (player, currency) in settings.test_players(platform.settings.wallet_test_players)
    if not known["player"] and not test_player:
        raise Refusal("PLAYER_NOT_FOUND", f"player {player!r} does not exist")
    if not known["account"] and not test_player:
        raise Refusal("PLAYER_NOT_FOUND", f"player {player!r} has no {currency} account")
    balance = money.quantize(platform.settings.wallet_initial_balance, currency)
    opening = (
        "INSERT INTO wallet_accounts(operator_id, player_id, currency, balance) VALUES (?,?,?,?) "
        "ON CONFLICT DO NOTHING"
    )
    values = (operator_id, player, currency, str(balance))
    if conn is not None:
        await conn.execute(opening, values)
    else:
        await platform.db.execute(opening, values)
