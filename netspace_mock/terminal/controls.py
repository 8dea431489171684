"""`reset`, `webhook set URL` / `webhook show` and `jackpot set AMOUNT CURRENCY`: the sandbox's controls."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from netspace_mock.client import AsyncNetspaceSDK
from netspace_mock.terminal.arguments import amount
from netspace_mock.terminal.connection import OK, AddSettings, add_connection
from netspace_mock.terminal.table import json_line, shown, table

REFERENCE = "unset: the mock's built-in reference wallet at /operator/webhook answers"


async def reset(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    deleted = (await client.sandbox_reset())["reset"]
    if args.json:
        json_line({"reset": deleted}, out)
        return OK
    print(f"reset: {sum(deleted.values())} rows deleted (the catalog and your credentials stay)", file=out)
    table(
        [{"table": name, "rows": n} for name, n in deleted.items()],
        [("table", "table"), ("rows", "rows")],
        out,
    )
    return OK


async def webhook_show(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    return _hook(args, await client.webhook_url(), out)


async def webhook_set(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    return _hook(args, await client.set_webhook_url(args.webhook_url), out)


def _hook(args: argparse.Namespace, answer: dict[str, Any], out: TextIO) -> int:
    """GET/POST /api/sandbox/webhook answer `webhook: {url, configured, reference_wallet}`; configured is
    null while the built-in reference wallet answers."""
    hook = answer["webhook"]
    if args.json:
        json_line({"webhook_url": hook["configured"], "calls_go_to": hook["url"]}, out)
    else:
        print(f"webhook  {hook['configured'] or REFERENCE + ' (' + hook['url'] + ')'}", file=out)
    return OK


async def jackpot_set(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    pot = (await client.update_jackpot(args.amount, args.currency))["jackpot"]
    if args.json:
        json_line({"jackpot": pot}, out)
    else:
        print(
            f"{pot['game_id']} jackpot  {shown(pot['amount'])} {pot['currency']}  (updated {pot['updated_at']})",
            file=out,
        )
    return OK


def add(commands: Any, add_settings: AddSettings) -> None:
    cleared = commands.add_parser(
        "reset",
        help="delete the operator's sandbox data (sessions, rounds, deliveries, attempts, free bets...)",
        description="POST /api/sandbox/reset: delete everything of the operator the credentials name, "
        "except the catalog and its credentials, and print what was deleted per table.",
    )
    _finish(cleared, add_settings, reset, "reset")

    hook = commands.add_parser("webhook", help="show or set the operator's webhook URL")
    verbs = hook.add_subparsers(dest="webhook_command", required=True)
    _finish(
        verbs.add_parser("show", help="print the webhook URL"), add_settings, webhook_show, "webhook show"
    )
    chosen = verbs.add_parser("set", help="point the operator at a webhook URL")
    chosen.add_argument("webhook_url", metavar="URL")
    _finish(chosen, add_settings, webhook_set, "webhook set")

    pot = commands.add_parser("jackpot", help="set the Lotterix jackpot of a currency")
    pots = pot.add_subparsers(dest="jackpot_command", required=True)
    fund = pots.add_parser("set", help="set the Lotterix jackpot of a currency (a round hitting it wins it)")
    fund.add_argument("amount", type=amount, metavar="AMOUNT")
    fund.add_argument("currency", type=str.upper, metavar="CURRENCY")
    _finish(fund, add_settings, jackpot_set, "jackpot set")


def _finish(parser: argparse.ArgumentParser, add_settings: AddSettings, verb: Any, name: str) -> None:
    parser.add_argument("--json", action="store_true", help="print the answer as one JSON line")
    add_connection(parser, add_settings)
    parser.set_defaults(verb=verb, verb_name=name)
