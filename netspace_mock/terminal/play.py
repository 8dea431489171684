"""`play`: launch a sandbox session when it does not exist yet, then play rounds and print each one."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import Any, TextIO

from netspace_mock import schemas
from netspace_mock.client import AsyncNetspaceSDK, NetspaceError
from netspace_mock.terminal.arguments import amount, count
from netspace_mock.terminal.connection import API_ERROR, OK, AddSettings, add_connection, clean, report
from netspace_mock.terminal.rounds import print_round
from netspace_mock.terminal.table import json_line

BET = "sandbox.bet.request"


def _choices(name: str) -> list[str]:
    """The values the bet's schema allows for one field: the API's list, so the two cannot drift."""
    return list(schemas.query_properties(BET)[name]["enum"])


def _numbers(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected five numbers such as 1,5,9,12,20, got {text!r}") from None


async def play(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    bet = clean(
        {
            "session_id": args.session,
            "amount": args.amount,
            "outcome": args.outcome,
            "win_amount": args.win_amount,
            "use_free_bet": True if args.free_bet else None,
            "numbers": args.numbers,
            "scenario": args.scenario,
            "delay_seconds": args.delay_seconds,
        }
    )
    launched = False
    for number in range(1, args.rounds + 1):
        try:
            try:
                answer = await client.request("POST", "/api/sandbox/game/bet", bet)
            except NetspaceError as exc:
                if exc.code != "INVALID_SESSION" or launched:
                    raise
                # Unknown or expired: launched (or relaunched) once, as the flags describe it.
                await _launch(args, client)
                launched = True
                answer = await client.request("POST", "/api/sandbox/game/bet", bet)
        except NetspaceError as exc:
            failed = exc.details.get("round")
            if failed:  # WEBHOOK_ERROR: the round exists, with what the webhook did
                _print(args, number, failed, out)
            report("netspace-mock play", exc)
            return API_ERROR
        _print(args, number, answer["round"], out)
    return OK


async def _launch(args: argparse.Namespace, client: AsyncNetspaceSDK) -> None:
    await client.sandbox_launch(
        session_id=args.session, player_id=args.player, game_id=args.game, currency=args.currency
    )
    print(
        f"netspace-mock play: launched session {args.session} for player {args.player} "
        f"({args.game}, {args.currency})",
        file=sys.stderr,
    )


def _print(args: argparse.Namespace, number: int, rnd: dict[str, Any], out: TextIO) -> None:
    if args.json:
        json_line(rnd, out)
        return
    if args.rounds > 1:
        print(f"[{number}/{args.rounds}] ", end="", file=out)
    print_round(rnd, out)
    out.flush()


def add(commands: Any, add_settings: AddSettings) -> None:
    parser = commands.add_parser(
        "play",
        help="play sandbox rounds against the webhook and print each round's deliveries",
        description="Play sandbox rounds (POST /api/sandbox/game/bet) and print each round with its "
        "deliveries. When the session does not exist yet (or expired), it is launched first with "
        "--player, --game and --currency; an existing session keeps its own.",
    )
    parser.add_argument("--session", default="cli-session", help="session_id (default: cli-session)")
    parser.add_argument(
        "--player", default="cli-player", help="player_id of a session launched (default: cli-player)"
    )
    parser.add_argument(
        "--game", default="lotterix", help="game_id of a session launched (default: lotterix)"
    )
    parser.add_argument(
        "--currency", default="USD", type=str.upper, help="currency of a session launched (default: USD)"
    )
    parser.add_argument("--amount", type=amount, default=Decimal(1), help="the stake (default: 1)")
    parser.add_argument(
        "--outcome",
        choices=_choices("outcome"),
        default=None,
        help="force the outcome (default: the game's math)",
    )
    parser.add_argument("--win-amount", type=amount, default=None, help="with --outcome win: the win")
    parser.add_argument("--rounds", type=count, default=1, metavar="N", help="rounds to play (default: 1)")
    parser.add_argument(
        "--scenario", choices=_choices("scenario"), default=None, metavar="NAME",
        help=schemas.query_properties(BET)["scenario"]["description"],
    )  # fmt: skip
    parser.add_argument(
        "--delay-seconds", type=float, default=None, help="with --scenario delayed_win: seconds (default 2)"
    )
    parser.add_argument("--free-bet", action="store_true", help="stake the player's active free bet")
    parser.add_argument(
        "--numbers", type=_numbers, default=None, help="Lotterix: the five numbers picked, e.g. 1,5,9,12,20"
    )
    parser.add_argument("--json", action="store_true", help="print each round as one JSON line")
    add_connection(parser, add_settings)
    parser.set_defaults(verb=play, verb_name="play")
