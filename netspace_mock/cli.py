"""The command line: `serve` runs the mock, `sign` prints the headers and a curl line for a request."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable
from logging.handlers import QueueListener
from typing import NoReturn

from netspace_mock import __version__, signing
from netspace_mock import settings as settings_mod
from netspace_mock.settings import Settings


def _add_settings_flags(parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None) -> None:
    for f in settings_mod.fields():
        if only is not None and f.name not in only:
            continue
        default = f.default
        env = settings_mod.env_name(f)
        parser.add_argument(
            settings_mod.flag_name(f),
            dest=f.name,
            default=None,
            metavar=f.name.upper(),
            type=lambda text, f=f: _flag_value(f, text),
            help=f"{f.metadata['help']} (env {env}; default {default!r})",
        )


def _flag_value(f, text: str):
    # ArgumentTypeError, so argparse shows our message instead of "invalid <lambda> value".
    try:
        return settings_mod.convert(f, text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _settings(args: argparse.Namespace) -> Settings:
    flags = {f.name: getattr(args, f.name, None) for f in settings_mod.fields()}
    try:
        settings = settings_mod.from_sources(flags)
    except ValueError as exc:
        raise SystemExit(f"netspace-mock: invalid setting: {exc}") from None
    if not 0 <= settings.port <= 65535:
        raise SystemExit(f"netspace-mock: invalid setting: port: expected 0-65535, got {settings.port}")
    return settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netspace-mock", description="An offline emulator of the Netspace ONE platform."
    )
    parser.add_argument("--version", action="version", version=f"netspace-mock {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the mock platform")
    _add_settings_flags(serve)

    sign = commands.add_parser("sign", help="print the signing headers and a curl line for one request")
    sign.add_argument("method", help="HTTP method, e.g. POST")
    sign.add_argument("path", help="request path with the /api prefix, and the query string if any")
    sign.add_argument("body", nargs="?", default="", help="the exact JSON body ('-' reads standard input)")
    sign.add_argument("--timestamp", type=int, default=None, help="Unix seconds (default: now)")
    _add_settings_flags(sign, only=("api_key", "secret_key", "host", "port", "public_url"))

    certify = commands.add_parser(
        "certify",
        help="run the certification suite against an operator webhook (exit 0 certified, 1 not, 2 error)",
    )
    certify.add_argument("--webhook-url", required=True, help="the operator's webhook URL")
    certify.add_argument("--player-id", required=True, help="a test player with a balance of at least 10")
    certify.add_argument("--currency", required=True, help="the test player's currency")
    certify.add_argument("--session-id", default=None, help="session_id to send (default: a generated one)")
    certify.add_argument("--tests", default=None, help="comma-separated test ids (default: all)")
    certify.add_argument("--json", dest="json_file", default=None, help="write the run object to this file")
    certify.add_argument("--junit", dest="junit_file", default=None, help="write JUnit XML to this file")
    certify.add_argument("--no-advisories", action="store_true", help="skip the advisory checks")
    _add_settings_flags(certify, only=("api_key", "secret_key", "webhook_timeout", "seed"))
    return parser


def event_loop(choice: str) -> tuple[Callable[[], asyncio.AbstractEventLoop] | None, str]:
    """The loop factory for asyncio.Runner (None: asyncio's own) and its name, for the `event_loop`
    setting: uvloop runs the same asyncio code on a loop written in C (docs/performance.md). Without it
    (it is not built for Windows, for one), `auto` serves on asyncio's loop and an explicit `uvloop` is
    refused."""
    if choice == "asyncio":
        return None, "asyncio"
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            from netspace_mock.server import CannotServe

            raise CannotServe(
                "event_loop is uvloop, but uvloop is not installed: pip install uvloop, "
                "or set --event-loop asyncio (or auto)"
            ) from None
        return None, "asyncio"
    return uvloop.new_event_loop, f"uvloop {uvloop.__version__}"


async def _serve(settings: Settings, loop_name: str = "asyncio") -> None:
    from netspace_mock import logs

    listener = logs.setup(settings.log_format)
    try:
        await _serve_until_stopped(settings, loop_name, listener)
    finally:
        listener.stop()  # writes the lines still queued


async def _serve_until_stopped(settings: Settings, loop_name: str, listener: QueueListener) -> None:
    from netspace_mock.server import start

    # Handled from the start: a SIGTERM right after the banner still shuts down cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner, settings = await start(settings)
    url = settings.base_url
    print(
        f"netspace-mock {__version__} serving on {url}\n"
        f"  API key     {settings.api_key}\n  Secret key  {_shown_secret(settings)}\n"
        f"  Database    {settings.db}\n  Event loop  {loop_name}\n  Webhook     {settings.webhook_url or url + '/operator/webhook (reference wallet)'}\n"
        f"  Try: netspace-mock sign GET /api/games/featured",
        flush=True,
    )
    await stop.wait()
    print("netspace-mock: shutting down", flush=True)
    # Shutdown is bounded: a service container that does not stop on SIGTERM blocks its pipeline. A
    # second signal, or SHUTDOWN_LIMIT seconds, ends the process at once, naming what was still running.
    stop.clear()
    cleanup = asyncio.ensure_future(runner.cleanup())
    forced = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait(
        {cleanup, forced}, timeout=SHUTDOWN_LIMIT, return_when=asyncio.FIRST_COMPLETED
    )
    if cleanup not in done:
        why = "a second signal came" if forced in done else f"it took longer than {SHUTDOWN_LIMIT:g} s"
        _exit_now(f"netspace-mock: stopping without finishing the shutdown: {why}", listener)
    forced.cancel()
    cleanup.result()


SHUTDOWN_LIMIT = 15.0  # more than aiohttp needs for requests in flight: twice SHUTDOWN_GRACE


def _exit_now(reason: str, listener: QueueListener) -> NoReturn:
    """Leave at once (exit code 1), after saying why and what was still running. The database is safe:
    every transaction is committed or not, and SQLite's WAL recovers on the next open."""
    current = asyncio.current_task()
    lines = [reason, "still running:"]
    for task in asyncio.all_tasks():
        if task is not current:
            frames = task.get_stack(limit=3)
            where = ", ".join(f"{f.f_code.co_name} ({f.f_code.co_filename}:{f.f_lineno})" for f in frames)
            lines.append(f"  {task.get_name()}: {where or 'starting'}")
    print("\n".join(lines), file=sys.stderr, flush=True)
    listener.stop()
    logging.shutdown()
    os._exit(1)


def _shown_secret(settings: Settings) -> str:
    """The banner shows the well-known sandbox secret, never one the operator chose (logs are kept)."""
    if settings.secret_key == Settings().secret_key:
        return settings.secret_key
    return "(set; not shown)"


def _sign(args: argparse.Namespace, settings: Settings) -> int:
    body = sys.stdin.read() if args.body == "-" else args.body
    method = args.method.upper()
    if not args.path.startswith("/"):
        print("netspace-mock sign: PATH must start with / (e.g. /api/game/launch)", file=sys.stderr)
        return 2
    timestamp = args.timestamp if args.timestamp is not None else int(time.time())
    headers = signing.headers(settings.api_key, settings.secret_key, timestamp, method, args.path, body)
    for name, value in headers.items():
        print(f"{name}: {value}")
    parts = ["curl", "-sS", "-X", method]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    if body:
        parts += ["-H", "Content-Type: application/json", "--data-binary", body]
    parts.append(settings.base_url + args.path)
    print()
    print(" ".join(shlex.quote(p) for p in parts))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings(args)
    if args.command == "serve":
        from netspace_mock.server import CannotServe

        try:
            loop_factory, loop_name = event_loop(settings.event_loop)
            with (
                contextlib.suppress(KeyboardInterrupt),
                asyncio.Runner(loop_factory=loop_factory) as runner,
            ):
                runner.run(_serve(settings, loop_name))
        except CannotServe as exc:
            print(f"netspace-mock: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "sign":
        return _sign(args, settings)
    if args.command == "certify":
        from netspace_mock.certification.command import certify

        return asyncio.run(certify(args, settings))
    return 2
