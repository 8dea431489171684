"""`netspace-mock stress`: platform traffic against an operator's wallet, reconciled to the cent."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

import aiohttp

from netspace_mock import jsonio
from netspace_mock.currencies import DECIMALS
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock
from netspace_mock.stress import report
from netspace_mock.stress.options import (
    DEFAULT_ROUNDS,
    MAX_CONCURRENCY,
    MAX_DURATION,
    MAX_PLAYERS,
    MAX_ROUNDS,
)
from netspace_mock.stress.plan import Mix
from netspace_mock.stress.record import Config, StressError
from netspace_mock.stress.runner import Driver
from netspace_mock.webhooks import targets
from netspace_mock.webhooks.client import WebhookClient

EXIT_RECONCILED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class Usage(Exception):
    """A usage error: exit code 2, with this message."""


def config(args: argparse.Namespace, settings: Settings) -> Config:
    """The run's configuration from the command line; Usage says what is wrong."""
    if args.currency not in DECIMALS:
        raise Usage(f"unknown currency {args.currency!r}")
    why = targets.url_refusal(args.webhook_url, targets.HostPolicy.parse(settings.webhook_allowed_hosts))
    if why is not None:
        raise Usage(f"--webhook-url {why} (setting webhook_allowed_hosts)")
    players = _players(args)
    if args.rounds is not None and not 1 <= args.rounds <= MAX_ROUNDS:
        raise Usage(f"--rounds must be between 1 and {MAX_ROUNDS}")
    if args.duration is not None and not 0 < args.duration <= MAX_DURATION:
        raise Usage(f"--duration must be above 0 and at most {MAX_DURATION:g} seconds")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise Usage(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    if args.rate is not None and not args.rate > 0:
        raise Usage("--rate must be above 0 (leave it out to go as fast as the wallet answers)")
    try:
        mix = Mix.parse(args.mix)
    except ValueError as exc:
        raise Usage(str(exc)) from None
    rounds = args.rounds if args.rounds is not None else (MAX_ROUNDS if args.duration else DEFAULT_ROUNDS)
    return Config(
        url=args.webhook_url,
        api_key=settings.api_key,
        secret=settings.secret_key,
        currency=args.currency,
        players=players,
        rounds=rounds,
        duration=args.duration,
        concurrency=args.concurrency,
        rate=args.rate,
        mix=mix,
        seed=settings.seed if settings.seed is not None else secrets.randbits(32),
        settings=settings,
    )


def _players(args: argparse.Namespace) -> tuple[str, ...]:
    if args.players_file:
        try:
            text = Path(args.players_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise Usage(f"cannot read --players-file {args.players_file}: {exc.strerror or exc}") from None
        found = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        bad = next((p for p in found if len(p) > 128 or not p.isprintable()), None)
        if bad is not None:
            raise Usage(f"--players-file: {bad[:40]!r} is not a player id (1-128 printable characters)")
        if not found:
            raise Usage(f"--players-file {args.players_file} names no player")
        if len(found) > MAX_PLAYERS:
            raise Usage(f"--players-file names more than {MAX_PLAYERS} players")
        return tuple(dict.fromkeys(found))
    if not 1 <= args.players <= MAX_PLAYERS:
        raise Usage(f"--players must be between 1 and {MAX_PLAYERS}")
    return tuple(f"stress-player-{n}" for n in range(1, args.players + 1))


def session(settings: Settings, concurrency: int) -> aiohttp.ClientSession:
    """A client session that calls only the hosts the mock would call (the same resolver and check)."""
    policy = targets.HostPolicy.parse(settings.webhook_allowed_hosts)
    connector = aiohttp.TCPConnector(limit=2 * concurrency, resolver=targets.GuardedResolver(policy))
    return aiohttp.ClientSession(connector=connector, middlewares=(targets.client_middleware(policy),))


async def play(cfg: Config, progress=None, clock: Clock | None = None) -> dict:
    """One run from its configuration to its report; StressError when it cannot start. `clock` signs
    the calls (the portal's run signs in the platform's time, which a test may have moved)."""
    async with session(cfg.settings, cfg.concurrency) as http:
        # Every round in flight may have a call out: the client must not queue them behind 16.
        timeout = cfg.settings.webhook_timeout
        client = WebhookClient(http, clock or Clock(), timeout, per_operator=2 * cfg.concurrency)
        run = await Driver(cfg, client, progress).play()
    return report.build(run)


def _usage_error(message: str) -> int:
    print(f"netspace-mock stress: {message}", file=sys.stderr)
    return EXIT_ERROR


async def stress(args: argparse.Namespace, settings: Settings) -> int:
    try:
        cfg = config(args, settings)
    except Usage as exc:
        return _usage_error(str(exc))
    out, tty = sys.stderr, sys.stderr.isatty()
    print(
        f"netspace-mock stress: {cfg.url} as {cfg.api_key}, {len(cfg.players)} players ({cfg.currency}), "
        f"{cfg.rounds} rounds"
        + (f" or {cfg.duration:g} s" if cfg.duration else "")
        + f", concurrency {cfg.concurrency}, seed {cfg.seed}",
        flush=True,
    )
    shown = [0.0]

    def progress(figures: dict) -> None:
        # On a terminal the line is redrawn every second; in a CI log, one line every 5 s.
        if args.quiet or (
            not tty and figures["elapsed_s"] - shown[0] < 5 and figures["rounds"] != cfg.rounds
        ):
            return
        shown[0] = figures["elapsed_s"]
        print(
            ("\r" if tty else "") + report.progress_line(figures),
            end="" if tty else "\n",
            file=out,
            flush=True,
        )

    try:
        result = await play(cfg, progress)
    except StressError as exc:
        return _usage_error(str(exc))
    if tty and not args.quiet:
        print(file=out)
    print(report.text(result), flush=True)
    files = [
        (args.json_file, "--json", lambda: json.dumps(json.loads(jsonio.dumps(result)), indent=2)),
        (args.junit_file, "--junit", lambda: report.junit(result)),
    ]
    for name, flag, text in files:
        if not name:
            continue
        try:
            Path(name).write_text(text(), encoding="utf-8")
        except OSError as exc:
            return _usage_error(f"cannot write the {flag} file {name}: {exc.strerror or exc}")
    return EXIT_RECONCILED if result["passed"] else EXIT_FAILED
