"""A correct operator wallet, in memory, and the same wallet with one deliberate flaw at a time.

Used to prove the certification suite judges each defect right. Only `player` exists, in `currency`.
"""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

from aiohttp import web

from netspace_mock import signing
from support import API_KEY, SECRET

ADVISORY_FLAWS = ("debits_free_bets",)
FLAWS = (
    "no_signature_check",
    "ignores_timestamp",
    "negative_balance",
    "books_duplicates",
    "win_credits_nothing",
    "rollback_does_nothing",
    "rollback_unknown_errors",
    "refund_does_nothing",
    "balance_as_string",
    "times_out",
)


class OperatorWallet:
    def __init__(
        self,
        flaw: str | None = None,
        player: str = "cert-player",
        currency: str = "USD",
        balance: str = "100.00",
    ) -> None:
        assert flaw is None or flaw in FLAWS + ADVISORY_FLAWS
        self.flaw, self.player, self.currency = flaw, player, currency
        self.balance = Decimal(balance)
        self.done: dict[tuple[str, str], str] = {}
        self.booked: dict[str, dict] = {}
        self.lock = asyncio.Lock()

    def refuse(self, code: str, status: int = 200) -> web.Response:
        return web.json_response(
            {"success": False, "error": {"code": code, "message": code.lower()}}, status=status
        )

    def answer(self, txn: str | None = None) -> web.Response:
        balance: object = self.balance if self.flaw != "balance_as_string" else f"{self.balance:.2f}"
        body = {"success": True, "balance": balance}
        if txn:
            body["transaction_id"] = txn
        return web.Response(text=json.dumps(body, default=float), content_type="application/json")

    async def handle(self, request: web.Request) -> web.Response:
        if self.flaw == "times_out":
            await asyncio.sleep(2)
        raw = await request.read()
        h = request.headers
        if self.flaw != "no_signature_check":
            if h.get("X-API-Key") != API_KEY or not h.get("X-Timestamp") or not h.get("X-Signature"):
                return self.refuse("UNAUTHORIZED", 401)
            try:
                if self.flaw != "ignores_timestamp":
                    signing.check_timestamp(h["X-Timestamp"], time.time(), 300)
                signing.verify(
                    SECRET, h["X-Timestamp"], "POST", request.raw_path, raw, h["X-Signature"], "path_qs"
                )
            except signing.SignatureError:
                return self.refuse("UNAUTHORIZED", 401)
        call = json.loads(raw, parse_float=Decimal, parse_int=Decimal)
        if call["player_id"] != self.player:
            return self.refuse("PLAYER_NOT_FOUND")
        if call["currency"] != self.currency:
            return self.refuse("INVALID_REQUEST", 400)
        async with self.lock:
            return self.book(call)

    def book(self, call: dict) -> web.Response:
        action = call["action_type"]
        if action == "balance":
            return self.answer()
        amount, txn = call["amount"], call["transaction_id"]
        key = (action, txn)
        if key in self.done and self.flaw != "books_duplicates":
            return self.answer(self.done[key])
        if amount < 0:
            return self.refuse("INVALID_REQUEST", 400)
        delta = Decimal(0)
        if action == "bet":
            if amount > self.balance and self.flaw != "negative_balance":
                return self.refuse("INSUFFICIENT_BALANCE")
            free = call.get("is_free_bet") and self.flaw != "debits_free_bets"
            delta = Decimal(0) if free else -amount
        elif action == "win":
            bet = next(
                (b for b in self.booked.values() if b["round"] == call["round_id"] and b["action"] == "bet"),
                None,
            )
            if bet is not None and bet["reverted"]:
                return self.refuse("INVALID_SESSION")
            delta = Decimal(0) if self.flaw == "win_credits_nothing" else amount
        elif action == "refund":
            bet = next(
                (
                    b
                    for b in self.booked.values()
                    if b["round"] == call["round_id"] and b["action"] == "bet" and not b["reverted"]
                ),
                None,
            )
            if bet is not None and self.flaw != "refund_does_nothing":
                bet["reverted"] = True
                delta = -bet["delta"]
        elif action == "rollback":
            original = self.booked.get(txn)
            if original is None and self.flaw == "rollback_unknown_errors":
                return self.refuse("INTERNAL_ERROR")
            if original is not None and not original["reverted"] and self.flaw != "rollback_does_nothing":
                original["reverted"] = True
                delta = -original["delta"]
        self.balance += delta
        if action != "rollback":
            self.booked[txn] = {
                "action": action,
                "round": call["round_id"],
                "delta": delta,
                "reverted": False,
            }
        self.done[key] = f"op-{len(self.done) + 1}"
        return self.answer(self.done[key])
