"""`netspace-mock sign`: the signing headers and a curl line for one request to a running mock, signed in
the strict form (the path alone; the query string is sent), with a word on stderr when the body is not the
form JSON.stringify gives, which the mock warns of and `--strict` refuses."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from decimal import Decimal

from netspace_mock import js_json, signing
from netspace_mock.settings import Settings


def run(args: argparse.Namespace, settings: Settings, exit_error: int) -> int:
    """Print the signing headers and a curl line for one request; its exit code."""
    body = sys.stdin.read() if args.body == "-" else args.body
    method = args.method.upper()
    if not args.path.startswith("/"):
        print("netspace-mock sign: PATH must start with / (e.g. /api/game/launch)", file=sys.stderr)
        return exit_error
    if not (args.path == "/api" or args.path.startswith(("/api/", "/api?"))):
        # Still signed as asked (a route of one's own may need it), but every platform route has it.
        print(
            f"netspace-mock sign: warning: {args.path} has no /api prefix; the platform's routes and "
            f"their signatures include it (e.g. /api{args.path})",
            file=sys.stderr,
        )
    _warn_of_the_body_form(body)
    timestamp = args.timestamp if args.timestamp is not None else int(time.time())
    # The query string is sent as given; the path alone is signed unless asked (the strict form).
    signed_path = args.path if args.sign_query else args.path.partition("?")[0]
    headers = signing.headers(settings.api_key, settings.secret_key, timestamp, method, signed_path, body)
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


def _warn_of_the_body_form(body: str) -> None:
    """Say on stderr when a JSON body is not in JSON.stringify's form: it is still signed as given (the
    bytes sent), but the mock warns of it and `--strict` refuses it."""
    try:
        value = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return  # not JSON (or none): the mock's answer says what is wrong
    canonical = js_json.canonical(value)
    if canonical != body.encode("utf-8"):
        at, sent, wanted = js_json.first_difference(body.encode("utf-8"), canonical)
        print(
            f"netspace-mock sign: warning: the body is not what JSON.stringify gives for it (byte {at}: "
            f"{sent!r} where JSON.stringify writes {wanted!r}); the mock accepts it with an integration "
            f"warning and --strict refuses it: send {canonical.decode('utf-8')}",
            file=sys.stderr,
        )
