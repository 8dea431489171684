"""The command line: `serve` runs the mock, `sign` prints the headers and a curl line for a request,
`certify` runs the certification suite and `stress` plays platform traffic against a wallet."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import sys
from collections.abc import Callable
from logging.handlers import QueueListener
from typing import NoReturn

from netspace_mock import __version__, sign_command, terminal
from netspace_mock import settings as settings_mod
from netspace_mock.settings import Settings


def _add_settings_flags(
    parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None, helps: dict[str, str] | None = None
) -> None:
    """One flag per setting (all, or those named in `only`); `helps` words a flag for this command."""
    for f in settings_mod.fields():
        if only is not None and f.name not in only:
            continue
        default = f.default
        env = settings_mod.env_name(f)
        meaning = (helps or {}).get(f.name, f.metadata["help"])
        # A true-or-false setting may be given bare: `--strict` is `--strict true`.
        bare = {"nargs": "?", "const": True} if settings_mod.value_type(f) is bool else {}
        parser.add_argument(
            settings_mod.flag_name(f),
            dest=f.name,
            default=None,
            metavar=f.name.upper(),
            type=lambda text, f=f: _flag_value(f, text),
            help=f"{meaning} (env {env}; default {default!r})",
            **bare,
        )


# `sign` talks about the server it signs for: the same settings, read from the other side.
SIGN_HELPS = {
    "host": "host of the running mock the request is for",
    "port": "port of the running mock the request is for",
    "public_url": "base URL of the running mock, if it was started with one (wins over --host and --port)",
    "api_key": "API key to send: the running mock's",
    "secret_key": "secret key to sign with: the running mock's",
}
CERTIFY_HELPS = {
    "api_key": "API key sent to the webhook as X-API-Key",
    "secret_key": "secret key the calls to the webhook are signed with",
}


STRESS_SETTINGS = (
    "api_key",
    "secret_key",
    "webhook_timeout",
    "webhook_retries",
    "webhook_backoff",
    "close_lost_rounds",
    "webhook_allowed_hosts",
    "seed",
)
STRESS_HELPS = {"seed": "seed of the plan, so a run plays the same rounds again (default: drawn and printed)"}


def _flag_value(f, text: str):
    # ArgumentTypeError, so argparse shows our message instead of "invalid <lambda> value".
    try:
        return settings_mod.convert(f, text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


EXIT_ERROR = (
    2  # a usage error, a setting refused, a crash: never 1, which `certify` keeps for "not certified"
)


def _refuse(message: str) -> NoReturn:
    print(f"netspace-mock: {message}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def _settings(args: argparse.Namespace) -> Settings:
    flags = {f.name: getattr(args, f.name, None) for f in settings_mod.fields()}
    try:
        settings = settings_mod.from_sources(flags)
    except ValueError as exc:
        _refuse(f"invalid setting: {exc}")
    if not 0 <= settings.port <= 65535:
        _refuse(f"invalid setting: port: expected 0-65535, got {settings.port}")
    return settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netspace-mock", description="An offline emulator of the Netspace ONE platform."
    )
    parser.add_argument("--version", action="version", version=f"netspace-mock {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the mock platform")
    _add_settings_flags(serve)

    sign = commands.add_parser(
        "sign",
        help="print the signing headers and a curl line for one request to a running mock",
        description="Print the signing headers and a curl line for one request to a running mock. "
        "Give the same --host/--port (or --public-url) and --api-key/--secret-key it was started with, "
        "or the same NETSPACE_MOCK_* variables: the curl line then reaches it and its signature is valid.",
    )
    sign.add_argument("method", help="HTTP method, e.g. POST")
    sign.add_argument(
        "path", help="request path with the /api prefix, and the query string if any (sent, not signed)"
    )
    sign.add_argument("body", nargs="?", default="", help="the exact JSON body ('-' reads standard input)")
    sign.add_argument("--timestamp", type=int, default=None, help="Unix seconds (default: now)")
    sign.add_argument(
        "--sign-query",
        action="store_true",
        help="sign PATH with its query string (path?query), as --signature-path path_qs asks; by default "
        "the path alone is signed, the strict form, which draws no integration warning",
    )
    _add_settings_flags(sign, only=tuple(SIGN_HELPS), helps=SIGN_HELPS)

    certify = commands.add_parser(
        "certify",
        help="run the certification suite against an operator webhook (exit 0 certified, 1 not, 2 error)",
        description="Run the certification suite against an operator webhook. Exit code 0: certified; "
        "1: a required test failed; 2: a usage error, an unreachable webhook or any other error.",
    )
    certify.add_argument("--webhook-url", required=True, help="the operator's webhook URL")
    certify.add_argument("--player-id", required=True, help="a test player with a balance of at least 10")
    certify.add_argument("--currency", required=True, help="the test player's currency")
    certify.add_argument("--session-id", default=None, help="session_id to send (default: a generated one)")
    certify.add_argument(
        "--other-player-id",
        default=None,
        help="a second test player, in the same currency (one more advisory check)",
    )
    certify.add_argument("--tests", default=None, help="comma-separated test ids (default: all)")
    certify.add_argument("--json", dest="json_file", default=None, help="write the run object to this file")
    certify.add_argument("--junit", dest="junit_file", default=None, help="write JUnit XML to this file")
    certify.add_argument("--no-advisories", action="store_true", help="skip the advisory checks")
    _add_settings_flags(
        certify, only=("api_key", "secret_key", "webhook_timeout", "seed"), helps=CERTIFY_HELPS
    )
    terminal.register(commands, _add_settings_flags)  # tail, play, rounds, resend, reset, webhook, ...

    stress = commands.add_parser(
        "stress",
        help="play platform traffic against an operator webhook and reconcile it (exit 0 reconciled, "
        "1 not, 2 error)",
        description="Play rounds against an operator webhook as the platform would, faults included, and "
        "reconcile every player's balance to the cent. Exit code 0: reconciled and no call mishandled; "
        "1: a balance is off or a call was mishandled; 2: a usage error, an unreachable webhook, a player "
        "without an account or any other error.",
    )
    from netspace_mock.stress.options import add_arguments

    add_arguments(stress)
    _add_settings_flags(stress, only=STRESS_SETTINGS, helps={**CERTIFY_HELPS, **STRESS_HELPS})
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
        f"{portal_line(settings)}\n{checks_line(settings)}\n" + "\n".join(sign_hint(settings)),
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
    """Leave at once (exit code 2), after saying why and what was still running. The database is safe:
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
    os._exit(EXIT_ERROR)


def portal_line(settings: Settings) -> str:
    """The banner's line on the portal: whether anyone who reaches it may register an operator."""
    where = f"  Portal      {settings.base_url}/portal"
    if settings.registration_open:
        return f"{where} (registration open: at most {settings.registration_limit} per address an hour)"
    if settings.open_registration == "off":
        return f"{where} (registration closed: --open-registration off)"
    return f"{where} (registration closed: not on loopback; --open-registration on opens it)"


def checks_line(settings: Settings) -> str:
    """The banner's line on the lenient settings: strict, or those that let through what the real
    platform might refuse (with an integration warning, for a signature, body or query)."""
    if settings.strict:
        return "  Checks      strict (--strict): what the real platform might refuse is refused"
    lenient = [
        f"{name}={str(getattr(settings, name)).lower()}"
        for name, value in settings_mod.STRICT.items()
        if getattr(settings, name) != value
    ]
    if not lenient:
        return "  Checks      every lenient setting at its strictest"
    return f"  Checks      lenient: {' '.join(lenient)} (--strict for all at their strictest)"


def _shown_secret(settings: Settings) -> str:
    """The banner shows the well-known sandbox secret, never one the operator chose (logs are kept)."""
    if settings.secret_key == Settings().secret_key:
        return settings.secret_key
    return "(set; not shown)"


def command_name(argv0: str | None = None, executable: str | None = None) -> str:
    """How to run this command again from where the user stands: its bare name when PATH finds this very
    program, else the path it was started by (`.venv/bin/netspace-mock` after `make run`), or the
    interpreter with `-m netspace_mock`."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    if os.path.basename(argv0) == "__main__.py":
        found = shutil.which("python")
        python = "python" if found and _same_file(found, executable) else executable
        return f"{shlex.quote(python)} -m netspace_mock"
    name = os.path.basename(argv0)
    found = shutil.which(name)
    return name if found and _same_file(found, argv0) else shlex.quote(argv0)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def sign_hint(settings: Settings, command: str | None = None) -> list[str]:
    """The banner's last lines: a `sign` command for the server just started, as it can be pasted."""
    flags: list[str] = []
    default = Settings()
    if settings.public_url:
        flags += ["--public-url", settings.public_url]
    else:
        if settings.base_url != default.replace(port=settings.port).base_url:
            flags += ["--host", settings.host]
        if settings.port != default.port:
            flags += ["--port", str(settings.port)]
    if settings.api_key != default.api_key:
        flags += ["--api-key", settings.api_key]
    words = " ".join(shlex.quote(flag) for flag in flags)
    hint = f"  Try: {command or command_name()} sign {words + ' ' if words else ''}GET /api/games/featured"
    if settings.secret_key == default.secret_key:
        return [hint]
    return [hint, "       with your secret key: add --secret-key KEY, or set NETSPACE_MOCK_SECRET_KEY"]


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code. An error nobody foresaw is one line on stderr and exit code 2."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args, _settings(args))
    except KeyboardInterrupt:
        print(f"netspace-mock {args.command}: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        # One line, not a traceback: in CI this line is what gets read, and exit code 1 would say
        # "not certified" where nothing was tested.
        detail = " ".join(str(exc).split()) or "(no message)"
        print(
            f"netspace-mock {args.command}: unexpected error: {type(exc).__name__}: {detail}", file=sys.stderr
        )
        return EXIT_ERROR


def _run(args: argparse.Namespace, settings: Settings) -> int:
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
            return EXIT_ERROR
        return 0
    if args.command == "sign":
        return sign_command.run(args, settings, EXIT_ERROR)
    if terminal.chosen(args):
        return terminal.run(args, settings)
    if args.command == "certify":
        from netspace_mock.certification.command import certify

        return asyncio.run(certify(args, settings))
    if args.command == "stress":
        from netspace_mock.stress.command import stress

        return asyncio.run(stress(args, settings))
    return EXIT_ERROR
