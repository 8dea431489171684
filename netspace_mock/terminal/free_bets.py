"""`freebets assign|status|cancel`: the guide's free bet endpoints, from the terminal."""

from __future__ import annotations

import argparse
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from netspace_mock.client import AsyncNetspaceSDK
from netspace_mock.terminal.arguments import amount, duration
from netspace_mock.terminal.connection import OK, AddSettings, add_connection
from netspace_mock.terminal.table import block, json_line, table

FIELDS = [
    ("netspace_free_bet_id", "free bet"),
    ("operator_free_bet_id", "operator id"),
    ("player_id", "player"),
    ("game_id", "game"),
    ("status", "status"),
    ("amount", "amount"),
    ("remaining_amount", "remaining"),
    ("used_amount", "used"),
    ("winnings_amount", "winnings"),
    ("currency", "currency"),
    ("expires_at", "expires"),
    ("created_at", "created"),
    ("cancel_reason", "cancel reason"),
]
HISTORY = [("at", "at"), ("event", "event"), ("amount", "amount"), ("round_id", "round"), ("cause", "cause")]


async def assign(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    expires_at = args.expires_at or await _in(client, args.expires_in)
    answer = await client.assign_free_bet(
        operator_free_bet_id=args.id or f"fb-cli-{secrets.token_hex(6)}",
        player_id=args.player,
        amount=args.amount,
        currency=args.currency,
        expires_at=expires_at,
        game_id=args.game,
    )
    return _print(args, answer["free_bet"], out)


async def _in(client: AsyncNetspaceSDK, seconds: int) -> str:
    """That long after the operator's sandbox clock (which `POST /api/sandbox/clock` may have advanced)."""
    now = datetime.fromisoformat((await client.get_clock())["clock"]["now"])
    return (now + timedelta(seconds=seconds)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def status(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    return _print(args, (await client.get_free_bet_status(args.free_bet_id))["free_bet"], out)


async def cancel(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    return _print(args, (await client.cancel_free_bet(args.free_bet_id, args.reason))["free_bet"], out)


def _print(args: argparse.Namespace, free_bet: dict[str, Any], out: TextIO) -> int:
    if args.json:
        json_line({"free_bet": free_bet}, out)
        return OK
    block([(label, free_bet.get(key)) for key, label in FIELDS], out)
    if free_bet.get("history"):
        print("\nhistory:", file=out)
        table(free_bet["history"], HISTORY, out)
    return OK


def add(commands: Any, add_settings: AddSettings) -> None:
    parser = commands.add_parser("freebets", help="assign a free bet, see its status, cancel it")
    verbs = parser.add_subparsers(dest="freebets_command", required=True)
    given = verbs.add_parser(
        "assign",
        help="assign a free bet to a player",
        description="POST /api/v1/freebets/assign. The player must have been launched (play launches "
        "one), unless the mock runs with --freebet-requires-player off.",
    )
    given.add_argument("--player", required=True, help="player_id")
    given.add_argument("--amount", type=amount, required=True, help="the free bet's amount")
    given.add_argument("--currency", type=str.upper, required=True, help="its currency")
    given.add_argument("--game", default=None, help="only for this game_id (default: any game)")
    given.add_argument("--id", default=None, help="operator_free_bet_id (default: fb-cli-<random>)")
    when = given.add_mutually_exclusive_group()
    when.add_argument("--expires-at", default=None, help="ISO 8601 with a zone, e.g. 2030-01-31T23:59:59Z")
    when.add_argument(
        "--expires-in", type=duration, default=duration("7d"), metavar="DURATION",
        help="from the sandbox clock's now: 90s, 30m, 12h, 7d (default: 7d)",
    )  # fmt: skip
    _finish(given, add_settings, assign, "freebets assign")

    asked = verbs.add_parser("status", help="a free bet and its history")
    asked.add_argument("free_bet_id", metavar="NETSPACE_FREE_BET_ID", help="fb_ns_..., as assign prints it")
    _finish(asked, add_settings, status, "freebets status")

    ended = verbs.add_parser("cancel", help="cancel an active free bet")
    ended.add_argument("free_bet_id", metavar="NETSPACE_FREE_BET_ID")
    ended.add_argument("--reason", default=None, help="why (kept with the free bet)")
    _finish(ended, add_settings, cancel, "freebets cancel")


def _finish(parser: argparse.ArgumentParser, add_settings: AddSettings, verb: Any, name: str) -> None:
    parser.add_argument("--json", action="store_true", help="print {free_bet} as one JSON line")
    add_connection(parser, add_settings)
    parser.set_defaults(verb=verb, verb_name=name)
