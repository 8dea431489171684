"""`tail`: follow the running mock's webhook attempts and incoming requests as they happen, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any, TextIO

import aiohttp

from netspace_mock import schemas
from netspace_mock.client import AsyncNetspaceSDK
from netspace_mock.terminal.arguments import count, seconds
from netspace_mock.terminal.connection import OK, AddSettings, add_connection, clean
from netspace_mock.terminal.table import json_line, shown

PAGE = 500  # the most attempts one answer holds
JOURNAL = "/api/sandbox/requests"
# Reads of what tail shows, its own polls among them: left out of the requests it prints.
OWN_READS = {("GET", JOURNAL), ("GET", "/api/sandbox/webhooks")}


class Attempts:
    """The webhook attempts after a cursor (`after_id`), oldest first."""

    label, name = "webhook_attempt", "webhook attempts"

    def __init__(self, client: AsyncNetspaceSDK, filters: dict[str, Any]) -> None:
        self.client, self.filters, self.cursor = client, clean(filters), 0

    async def start(self, last: int) -> list[dict[str, Any]]:
        newest = await self.client.request("GET", "/api/sandbox/webhooks", query={"per_page": 1})
        self.cursor = newest["attempts"][0]["id"] if newest["attempts"] else 0
        if not last:
            return []
        page = await self.client.request(
            "GET", "/api/sandbox/webhooks", query={**self.filters, "per_page": min(last, PAGE)}
        )
        return list(reversed(page["attempts"]))

    async def poll(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            query = {**self.filters, "after_id": self.cursor, "per_page": PAGE}
            page = (await self.client.request("GET", "/api/sandbox/webhooks", query=query))["attempts"]
            if page:
                self.cursor = page[-1]["id"]
            found += page
            if len(page) < PAGE:
                return found

    @staticmethod
    def line(a: dict[str, Any]) -> str:
        status = (a.get("response") or {}).get("status")
        text = (
            f"{_time(a['created_at'])}  webhook  {a['action_type']:<8} #{a['attempt']:<2} {shown(status):>3}  "
            f"{a['outcome']:<16} {a['latency_ms']:>8.1f} ms  round {shown(a['round_id'])}  "
            f"txn {shown(a['transaction_id'])}"
        )
        return text + (f"  {shown(a['reason'])}" if a.get("reason") and a["outcome"] != "ok" else "")


class Requests:
    """The request journal (GET /api/sandbox/requests) after the newest entry seen: entries are asked
    for `since` that entry's time, and those seen already (at that very time) are not shown again."""

    label, name = "request", "requests"

    def __init__(self, client: AsyncNetspaceSDK, filters: dict[str, Any]) -> None:
        self.client, self.filters = client, clean(filters)
        self.since: Any = None
        self.seen: set[Any] = set()

    async def _fetch(self) -> list[dict[str, Any]]:
        query = {**self.filters, "since": self.since}
        answer = await self.client.request("GET", JOURNAL, query=query)
        entries = next((answer[k] for k in ("requests", "entries") if isinstance(answer.get(k), list)), [])
        return sorted(entries, key=_order)

    def _keep(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = [e for e in entries if e["id"] not in self.seen]
        if fresh:
            newest = fresh[-1]["time"]
            if newest != self.since:
                self.since, self.seen = newest, set()
            self.seen |= {e["id"] for e in fresh if e["time"] == newest}
        return [e for e in fresh if (e["method"], e["path"].partition("?")[0]) not in OWN_READS]

    async def start(self, last: int) -> list[dict[str, Any]]:
        recent = self._keep(await self._fetch())
        return recent[-last:] if last else []

    async def poll(self) -> list[dict[str, Any]]:
        return self._keep(await self._fetch())

    @staticmethod
    def line(e: dict[str, Any]) -> str:
        return (
            f"{_time(e['time'])}  request  {e['method']:<6} {e['path']}  {e['status']}  {shown(e['verdict'])}"
        )


def _order(entry: dict[str, Any]) -> tuple[str, int, str]:
    ident = entry["id"]
    return (str(entry["time"]), ident if isinstance(ident, int) else 0, str(ident))


def _time(value: Any) -> str:
    return str(value).replace("T", " ").removesuffix("Z")


async def tail(args: argparse.Namespace, client: AsyncNetspaceSDK, out: TextIO) -> int:
    streams: list[Attempts | Requests] = []
    if args.webhooks or not args.requests:
        streams.append(
            Attempts(
                client,
                {
                    "player_id": args.player,
                    "session_id": args.session,
                    "round_id": args.round,
                    "transaction_id": args.transaction,
                    "action": args.action,
                    "outcome": args.outcome,
                },
            )
        )
    if args.requests:
        streams.append(Requests(client, {"status": args.status, "path": args.path, "verdict": args.verdict}))
    for stream in streams:
        _emit(args, stream, await stream.start(args.last), out)
    followed = " and ".join(stream.name for stream in streams)
    print(f"netspace-mock tail: following {followed} of {client.base_url} (Ctrl-C to stop)", file=sys.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl-C then ends with code 2
            loop.add_signal_handler(sig, stop.set)
    unreachable = False
    while not stop.is_set():
        try:
            for stream in streams:
                _emit(args, stream, await stream.poll(), out)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            if not unreachable:  # said once; following resumes when the mock answers again
                print(f"netspace-mock tail: the mock does not answer ({exc}); still trying", file=sys.stderr)
            unreachable = True
        else:
            if unreachable:
                print("netspace-mock tail: the mock answers again", file=sys.stderr)
            unreachable = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.interval)
    return OK


def _emit(
    args: argparse.Namespace, stream: Attempts | Requests, items: list[dict[str, Any]], out: TextIO
) -> None:
    for item in items:
        if args.json:
            json_line({stream.label: item}, out)
        else:
            print(stream.line(item), file=out, flush=True)


def _choices(name: str) -> list[str]:
    return list(schemas.query_properties("sandbox.webhooks.query")[name]["enum"])


def add(commands: Any, add_settings: AddSettings) -> None:
    parser = commands.add_parser(
        "tail",
        help="follow webhook attempts (and incoming requests) live, until Ctrl-C",
        description="Follow the running mock live: each webhook attempt it makes (--webhooks, the "
        "default) and each request it receives (--requests), one line each, as they happen, until "
        "Ctrl-C (exit code 0). Only what happens after the start is printed, unless --last N.",
    )
    parser.add_argument("--webhooks", action="store_true", help="follow webhook attempts (the default)")
    parser.add_argument("--requests", action="store_true", help="follow incoming requests (the journal)")
    attempts = parser.add_argument_group("webhook attempt filters")
    attempts.add_argument("--player", default=None, help="only this player_id")
    attempts.add_argument("--session", default=None, help="only this session_id")
    attempts.add_argument("--round", default=None, help="only this round_id")
    attempts.add_argument("--transaction", default=None, help="only this transaction_id")
    attempts.add_argument("--action", choices=_choices("action"), default=None, help="only this action")
    attempts.add_argument("--outcome", choices=_choices("outcome"), default=None, help="only this outcome")
    requests = parser.add_argument_group("request filters")
    requests.add_argument("--status", type=int, default=None, help="only answers of this HTTP status")
    requests.add_argument("--path", default=None, help="only requests to this path")
    requests.add_argument("--verdict", default=None, help="only requests with this verdict")
    parser.add_argument("--last", type=count, default=0, metavar="N", help="first print the N latest ones")
    parser.add_argument(
        "--interval", type=seconds, default=0.5, metavar="SECONDS", help="seconds between polls (default 0.5)"
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per line: {webhook_attempt} or {request}"
    )
    add_connection(parser, add_settings)
    parser.set_defaults(verb=tail, verb_name="tail")
