"""The reference operator wallet at /operator/webhook — the example an operator's own webhook can follow.

It does what the guide asks of every operator:
  1. verify the platform's signature and timestamp before anything else;
  2. keep one balance per player and currency;
  3. be idempotent on (action_type, transaction_id) — a repeat answers exactly as the first time;
  4. refuse a bet the balance cannot cover with INSUFFICIENT_BALANCE, and book nothing;
  5. never debit a free-bet stake (is_free_bet), but credit its winnings (from_free_bet);
  6. revert on rollback — whose transaction_id is the transaction being reverted — and answer success to a
     rollback of a transaction it never saw (the bet may never have arrived), so the platform can stop;
  7. never pay a round twice: a refund, or a rollback of the bet, once the round was settled by a win is
     refused (INVALID_SESSION), as a win on a round whose bet was given back is;
  8. refuse an amount with more decimals than its currency has (INVALID_REQUEST), never round it;
  9. take a bet only on a session the platform launched for the player, once the player has one
     (INVALID_SESSION otherwise); a test player with none yet, as in a certification run without a
     session_id, may bet on any.

A player exists here once the platform has launched a session for them in that currency, and the test
players of the `wallet_test_players` setting (`cert-player` in USD by default) exist from the start: they
are what an operator creates in its own player database to be certified, so `netspace-mock certify` against
this wallet passes on the first run. In a real operator, your own player database decides. Each account
opens with `wallet_initial_balance`. Every change happens in one database transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from netspace_mock import jsonio, schemas, settings, signing
from netspace_mock.domain import money
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest
from netspace_mock.serving import PLATFORM, json_response, read_body
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
        async with platform.db.transaction() as conn:
            answer = await _book(platform, conn, operator_id, call)
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


async def _book(platform: Platform, conn: Connection, operator_id: int, call: dict[str, Any]) -> dict:
    player, currency, action = call["player_id"], call["currency"], call["action_type"]
    txn = call.get("transaction_id")
    balance, done = await _account(platform, conn, operator_id, player, currency, action, txn)
    if action == "balance":
        return {"balance": balance}
    # Idempotency: the same (action_type, transaction_id) again answers as the first time did.
    if done is not None:
        return {"balance": balance, "transaction_id": done}

    if not money.is_exact(Decimal(call["amount"]), currency):
        raise Refusal(
            "INVALID_REQUEST", f"{currency} amounts have at most {money.DECIMALS[currency]} decimals", 400
        )
    amount = money.quantize(call["amount"], currency)
    booked = await BOOKINGS[action](conn, operator_id, call, amount, balance)
    wallet_txn = platform.ids.make("wtx_", 24)
    await conn.execute(
        "INSERT INTO wallet_transactions(operator_id, action_type, transaction_id, wallet_txn_id, player_id, currency, "
        "round_id, amount, booked, is_free_bet, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            operator_id,
            action,
            txn,
            wallet_txn,
            player,
            currency,
            call.get("round_id"),
            str(amount),
            str(booked),
            int(bool(call.get("is_free_bet"))),
            iso(platform.clock.operator_now(operator_id)),
        ),
    )
    balance += booked
    await conn.execute(
        "UPDATE wallet_accounts SET balance = ? WHERE operator_id = ? AND player_id = ? AND currency = ?",
        (str(balance), operator_id, player, currency),
    )
    return {"balance": balance, "transaction_id": wallet_txn}


async def _bet(conn, operator_id: int, call: dict, amount: Decimal, balance: Decimal) -> Decimal:
    # One statement for the booking's checks: its rollback came first, and the player's sessions.
    check = await _one(
        conn,
        "SELECT EXISTS(SELECT 1 FROM wallet_transactions WHERE operator_id = ?1 AND action_type = 'rollback' "
        "AND transaction_id = ?2) AS rolled_back, "
        "EXISTS(SELECT 1 FROM sessions WHERE operator_id = ?1 AND player_id = ?3) AS has_sessions, "
        "EXISTS(SELECT 1 FROM sessions WHERE operator_id = ?1 AND session_id = ?4 AND player_id = ?3) AS launched",
        (operator_id, call["transaction_id"], call["player_id"], call["session_id"]),
    )
    if check["rolled_back"]:
        # The rollback arrived first: this bet was already cancelled and must not be booked now.
        raise Refusal(
            "DUPLICATE_TRANSACTION", f"transaction {call['transaction_id']} was already rolled back"
        )
    if check["has_sessions"] and not check["launched"]:
        raise Refusal("INVALID_SESSION", f"session {call['session_id']!r} was never launched for this player")
    if call.get("is_free_bet"):
        return Decimal(0)  # the stake is the platform's promotional credit, not the player's money
    if amount > balance:
        raise Refusal("INSUFFICIENT_BALANCE", f"Player balance is insufficient: {balance} < {amount}")
    return -amount


async def _win(conn, operator_id: int, call: dict, amount: Decimal, balance: Decimal) -> Decimal:
    bet = await _one(
        conn,
        "SELECT reverted FROM wallet_transactions WHERE operator_id = ? AND action_type = 'bet' "
        "AND round_id = ?",
        (operator_id, call["round_id"]),
    )
    if bet is not None and bet["reverted"]:
        raise Refusal("INVALID_SESSION", f"round {call['round_id']} was rolled back; its win cannot be paid")
    return amount  # from_free_bet wins are credited like any other


# Whether a win (not reverted) settled the bet's round: then its stake is not given back.
WON = (
    "EXISTS(SELECT 1 FROM wallet_transactions w WHERE w.operator_id = t.operator_id AND w.action_type = 'win' "
    "AND w.round_id = t.round_id AND w.reverted = 0) AS won"
)


def _settled(round_id: str) -> Refusal:
    return Refusal(
        "INVALID_SESSION", f"round {round_id} was settled by a win; its stake cannot be given back"
    )


async def _refund(conn, operator_id: int, call: dict, amount: Decimal, balance: Decimal) -> Decimal:
    bet = await _one(
        conn,
        f"SELECT transaction_id, amount, booked, reverted, {WON} FROM wallet_transactions t "
        "WHERE operator_id = ? AND action_type = 'bet' AND round_id = ?",
        (operator_id, call["round_id"]),
    )
    if bet is not None and bet["won"]:
        raise _settled(call["round_id"])
    if bet is None or bet["reverted"]:
        return Decimal(0)  # nothing was taken for this round (or it was given back already)
    await _mark_reverted(conn, operator_id, "bet", bet["transaction_id"])
    return min(amount, -Decimal(bet["booked"]))


async def _rollback(conn, operator_id: int, call: dict, amount: Decimal, balance: Decimal) -> Decimal:
    # transaction_id names the transaction being reverted, whatever its action.
    original = await _one(
        conn,
        f"SELECT action_type, round_id, booked, reverted, {WON} FROM wallet_transactions t "
        "WHERE operator_id = ? AND transaction_id = ? AND action_type != 'rollback'",
        (operator_id, call["transaction_id"]),
    )
    if original is None or original["reverted"]:
        return Decimal(0)  # never seen (or already reverted): succeed and change nothing
    if original["action_type"] == "bet" and original["won"]:
        raise _settled(original["round_id"])
    await _mark_reverted(conn, operator_id, original["action_type"], call["transaction_id"])
    return -Decimal(original["booked"])


BOOKINGS = {"bet": _bet, "win": _win, "refund": _refund, "rollback": _rollback}


async def _account(
    platform: Platform, conn, operator_id: int, player: str, currency: str, action: str, txn: str | None
) -> tuple[Decimal, str | None]:
    """The player's balance in this currency (the account opens on the player's first call in it) and,
    when this (action_type, transaction_id) was booked already, the wallet transaction it was booked as."""
    row = await _one(
        conn,
        "SELECT a.balance, t.wallet_txn_id FROM wallet_accounts a LEFT JOIN wallet_transactions t "
        "ON t.operator_id = a.operator_id AND t.action_type = ? AND t.transaction_id = ? "
        "WHERE a.operator_id = ? AND a.player_id = ? AND a.currency = ?",
        (action, txn, operator_id, player, currency),
    )
    if row is not None:
        return Decimal(row["balance"]), row["wallet_txn_id"]
    known = await _one(
        conn,
        "SELECT EXISTS(SELECT 1 FROM players WHERE operator_id = ? AND player_id = ?) AS player, "
        "EXISTS(SELECT 1 FROM player_currencies WHERE operator_id = ? AND player_id = ? "
        "AND currency = ?) AS account",
        (operator_id, player, operator_id, player, currency),
    )
    test_player = (player, currency) in settings.test_players(platform.settings.wallet_test_players)
    if not known["player"] and not test_player:
        raise Refusal("PLAYER_NOT_FOUND", f"player {player!r} does not exist")
    if not known["account"] and not test_player:
        raise Refusal("PLAYER_NOT_FOUND", f"player {player!r} has no {currency} account")
    balance = money.quantize(platform.settings.wallet_initial_balance, currency)
    await conn.execute(
        "INSERT INTO wallet_accounts(operator_id, player_id, currency, balance) VALUES (?,?,?,?)",
        (operator_id, player, currency, str(balance)),
    )
    done = await _find(conn, operator_id, action, txn) if txn is not None else None
    return balance, done["wallet_txn_id"] if done is not None else None


async def _find(conn, operator_id: int, action: str, txn: str):
    return await _one(
        conn,
        "SELECT * FROM wallet_transactions WHERE operator_id = ? AND action_type = ? AND transaction_id = ?",
        (operator_id, action, txn),
    )


async def _mark_reverted(conn, operator_id: int, action: str, txn: str) -> None:
    await conn.execute(
        "UPDATE wallet_transactions SET reverted = 1 WHERE operator_id = ? AND action_type = ? "
        "AND transaction_id = ?",
        (operator_id, action, txn),
    )


async def _one(conn: Connection, sql: str, params: tuple):
    return await one(conn, sql, params)
