"""`netspace-mock certify`: the suite in-process against any webhook, for an operator's CI."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from netspace_mock import jsonio
from netspace_mock.certification import report, runner
from netspace_mock.certification.probe import Target, Unreachable
from netspace_mock.currencies import DECIMALS
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids
from netspace_mock.webhooks.client import WebhookClient

EXIT_CERTIFIED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def _usage_error(message: str) -> int:
    print(f"netspace-mock certify: {message}", file=sys.stderr)
    return EXIT_ERROR


async def certify(args: argparse.Namespace, settings: Settings) -> int:
    selected = [t.strip() for t in args.tests.split(",") if t.strip()] if args.tests else None
    unknown = runner.unknown_tests(selected)
    if unknown:
        return _usage_error(
            f"unknown test(s) {', '.join(unknown)}; the tests are: "
            + ", ".join(t["id"] for t in runner.catalogue())
        )
    if args.currency not in DECIMALS:
        return _usage_error(f"unknown currency {args.currency!r}")
    if not args.webhook_url.startswith(("http://", "https://")):
        return _usage_error("--webhook-url must be an http(s) URL")
    try:
        host = urlsplit(args.webhook_url).hostname
        urlsplit(args.webhook_url).port  # noqa: B018 - the port is checked only when it is read
    except ValueError as exc:
        return _usage_error(f"--webhook-url {args.webhook_url!r} is not a valid URL: {exc}")
    if not host:
        return _usage_error(f"--webhook-url {args.webhook_url!r} names no host")
    ids, clock = Ids(settings.seed), Clock()
    target = Target(
        url=args.webhook_url,
        api_key=settings.api_key,
        secret=settings.secret_key,
        player_id=args.player_id,
        currency=args.currency,
        session_id=args.session_id or ids.make("cert_", 20),
        session_given=bool(args.session_id),
        other_player_id=args.other_player_id,
    )
    out = sys.stdout
    print(
        f"netspace-mock certify: {target.url} as {target.api_key}, player {target.player_id} ({target.currency})",
        file=out,
    )
    shown: set[str] = set()

    def progress(run: dict) -> None:
        for result in run["results"] + run["advisories"]:
            key = result["test"] + ("/advisory" if result in run["advisories"] else "")
            if key not in shown:
                shown.add(key)
                report.print_result({**result, "advisory": result in run["advisories"]}, out)
        out.flush()

    async with aiohttp.ClientSession() as session:
        client = WebhookClient(session, clock, settings.webhook_timeout)
        try:
            run = await runner.run(
                target,
                client,
                ids,
                clock,
                ids.make("run_", 20),
                selected,
                advisories=not args.no_advisories,
                progress=progress,
            )
        except Unreachable as exc:
            return _usage_error(f"the webhook is unreachable: {exc}")
    report.print_summary(run, out)
    files = [
        (
            args.json_file,
            "--json",
            lambda: json.dumps(json.loads(jsonio.dumps(run)), indent=2, ensure_ascii=False),
        )
    ]
    files.append((args.junit_file, "--junit", lambda: report.junit(run)))
    for name, flag, text in files:
        if not name:
            continue
        try:
            Path(name).write_text(text(), encoding="utf-8")
        except OSError as exc:
            # The verdict was printed, but a CI job that asked for the report would miss it.
            return _usage_error(f"cannot write the {flag} file {name}: {exc.strerror or exc}")
    return EXIT_CERTIFIED if runner.certified(run) else EXIT_FAILED
