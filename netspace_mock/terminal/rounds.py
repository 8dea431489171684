"""`rounds show ID` and `resend DELIVERY_ID`, and how a round and its deliveries are printed."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from netspace_mock.client import AsyncNetspaceSDK
from netspace_mock.terminal.connection import OK, AddSettings, Missing, UsageError, add_connection
from netspace_mock.terminal.table import json_line, shown, table

ACTIONS = ("bet", "win", "refund", "rollback")
RESENDABLE = ("win", "refund", "rollback")
DELIVERY_COLUMNS = [
    ("delivery", "delivery"),
    ("amount", "amount"),
    ("status", "status"),
    ("attempts", "attempts"),
    ("operator_transaction_id", "operator txn"),
    ("next_attempt_at", "next attempt"),
    ("last_error", "last error"),
]
ATTEMPT_COLUMNS = [
    ("id", "id"),
    ("created_at", "time"),
    ("action_type", "action"),
    ("attempt", "try"),
    ("http", "http"),
    ("outcome", "outcome"),
    ("latency_ms", "ms"),
    ("reason", "reason"),
]


def delivery_id(action: str, transaction_id: str) -> str:
    """What `resend` takes: deliveries have no id of their own in the API, so ACTION:TRANSACTION_ID."""
    return f"{action}:{transaction_id}"


def print_round(rnd: dict[str, Any], out: TextIO) -> None:
    """The round in one line, then one row per delivery (bet, win, refund, rollback)."""
    result = "-" if rnd["outcome"] is None else f"{rnd['outcome']} {shown(rnd['win_amount'])}"
    print(
        f"round {rnd['round_id']}  {rnd['status']}  bet {shown(rnd['amount'])} {rnd['currency']}  "
        f"outcome {result}  balance {shown(rnd['balance'])}  "
        f"(session {rnd['session_id']}, player {rnd['player_id']}, {rnd['game_id']})",
        file=out,
    )
    scenario = rnd.get("scenario")
    if scenario:
        state = "applied" if scenario["applied"] else "not applied yet"
        print(f"  scenario {scenario['name']} ({state}): {scenario['description']}", file=out)
    rows = [
        {**rnd[action], "delivery": delivery_id(action, rnd[action]["transaction_id"])}
        for action in ACTIONS
        if rnd.get(action)
    ]
    table(rows, DELIVERY_COLUMNS, _Indented(out))


class _Indented:
    """A stream that indents each line it is given, for a table under its round."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write("\n".join("  " + line if line else line for line in text.split("\n")))

    def flush(self) -> None:
        self.out.flush()


async def show(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    rnd = (await client.get_round(args.round_id))["round"]
    attempts = await round_attempts(client, args.round_id)
    if args.json:
        json_line({"round": rnd, "attempts": attempts}, out)
        return OK
    print_round(rnd, out)
    print(f"\nwebhook attempts ({len(attempts)}):", file=out)
    rows = [{**a, "http": (a.get("response") or {}).get("status")} for a in attempts]
    table(rows, ATTEMPT_COLUMNS, _Indented(out))
    return OK


async def round_attempts(client: AsyncNetspaceSDK, round_id: str) -> list[dict[str, Any]]:
    """Every recorded attempt of the round, oldest first."""
    found, cursor = [], 0
    while True:
        page = await client.request(
            "GET", "/api/sandbox/webhooks", query={"round_id": round_id, "after_id": cursor, "per_page": 500}
        )
        found += page["attempts"]
        if len(page["attempts"]) < 500:
            return found
        cursor = page["attempts"][-1]["id"]


async def resend(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    action, transaction_id = await _resolve(client, args.delivery_id)
    rnd = (await client.resend_delivery(action, transaction_id))["round"]
    if args.json:
        json_line({"round": rnd}, out)
    else:
        print(f"resent {delivery_id(action, transaction_id)}:", file=out)
        print_round(rnd, out)
    return OK


async def _resolve(client: AsyncNetspaceSDK, given: str) -> tuple[str, str]:
    """ACTION:TRANSACTION_ID as given, or a bare TRANSACTION_ID when one delivery that can be resent has
    it (a rollback shares its bet's transaction_id, and a bet is never resent)."""
    action, sep, transaction_id = given.partition(":")
    if sep and action in ACTIONS:
        if not transaction_id:
            raise UsageError(f"{given!r}: no transaction id after {action}:")
        return action, transaction_id
    query = {"transaction_id": given, "per_page": 500}
    found = (await client.request("GET", "/api/sandbox/deliveries", query=query))["deliveries"]
    candidates = [d for d in found if d["action_type"] in RESENDABLE]
    failed = [d for d in candidates if d["status"] == "failed"]
    chosen = failed if len(failed) == 1 else candidates
    if len(chosen) == 1:
        return chosen[0]["action_type"], given
    if not chosen:
        raise Missing(
            f"no win, refund or rollback delivery has transaction_id {given!r}; give ACTION:TRANSACTION_ID "
            "(e.g. win:txn_...), as `rounds show` prints it"
        )
    choices = ", ".join(delivery_id(d["action_type"], given) for d in chosen)
    raise UsageError(f"{given!r} is the transaction_id of several deliveries; give one of {choices}")


def add(commands: Any, add_settings: AddSettings) -> None:
    rounds = commands.add_parser("rounds", help="look at a round of the running mock")
    verbs = rounds.add_subparsers(dest="rounds_command", required=True)
    shown_round = verbs.add_parser(
        "show",
        help="a round, its deliveries and every webhook attempt it made",
        description="Print a round, its deliveries (each with the ACTION:TRANSACTION_ID that `resend` "
        "takes) and every webhook attempt it made, oldest first.",
    )
    shown_round.add_argument("round_id", metavar="ROUND_ID")
    shown_round.add_argument("--json", action="store_true", help="print {round, attempts} as one JSON line")
    add_connection(shown_round, add_settings)
    shown_round.set_defaults(verb=show, verb_name="rounds show")

    again = commands.add_parser(
        "resend",
        help="give a failed win, refund or rollback one more attempt now",
        description="Give a failed delivery one more attempt now and print its round. DELIVERY_ID is "
        "ACTION:TRANSACTION_ID (e.g. win:txn_ab12), as `rounds show` and `play` print it; a bare "
        "TRANSACTION_ID is enough when one win, refund or rollback has it.",
    )
    again.add_argument("delivery_id", metavar="DELIVERY_ID")
    again.add_argument("--json", action="store_true", help="print {round} as one JSON line")
    add_connection(again, add_settings)
    again.set_defaults(verb=resend, verb_name="resend")
