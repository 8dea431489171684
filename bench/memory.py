"""Benchmark: the mock's resident memory (VmRSS) before load and after every tenth of 100,000 signed
requests, half catalog GETs and half launch POSTs, sent side by side.

A mock left running through a long test campaign must not grow: the targets are a resident set of at
most 120 MB all along, and a flat one once warm, that is growth from the 20 % mark (20,000 requests by
default) to the end of at most FLAT_MB. The warm-up marks are left out of the growth because the first
requests fill caches that are meant to fill (prepared statements, the signature replay memory, SQLite's
page cache, the allocator's arenas). RSS is read from /proc/PID/status after every tenth, and every
PEAK_EVERY seconds during the load for the peak, which is what the 120 MB is judged on. Every launch
relaunches the same session, and each one writes the player's last visit, as it would in use (launch
tokens are not stored: domain/launch_tokens.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from catalog import PATH as CATALOG
from common import (
    Cores,
    LoadSample,
    LoadSpec,
    ServerProcess,
    add_client_option,
    add_report_options,
    environment,
    free_port,
    generate_load,
    mock_argv,
    parse_options,
    run_async,
    running,
    save_report,
    signer,
    summary_row,
    utc_stamp,
)
from launch import BODY as LAUNCH_BODY
from launch import PATH as LAUNCH

NAME = "memory"
MARKS = 10  # RSS is read after every tenth of the requests
GROWTH_FROM = 2  # the mark the growth is measured from (the 20 % mark)
LIMIT_MB = 120.0
FLAT_MB = 5.0  # growth from GROWTH_FROM to the end still called flat (allocator noise is a few MB)
PEAK_EVERY = 0.1  # seconds between two reads of RSS during the load, for the peak
BLOCK_SECONDS = 120.0  # bound on the time of one tenth (it ends at its count long before)
MIN_REQUESTS, MAX_REQUESTS = 1_000, 10_000_000


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument(
        "--requests", type=int, default=100_000, help="signed requests in all (default 100000)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="concurrent connections, half for the GETs and half for the POSTs (default 32)",
    )
    add_client_option(parser)
    add_report_options(parser)
    return parser


def _mb(size: int | None) -> float | None:
    return None if size is None else round(size / 2**20, 1)


async def run(args: argparse.Namespace, workdir: Path, cores: Cores) -> dict:
    port = free_port()
    mock = ServerProcess("mock", mock_argv(port, workdir / "memory.db"), port, cores, workdir / "mock.log")
    with running([mock]):
        await mock.wait_healthy()
        marks = [{"requests": 0, "rss_mb": _mb(mock.rss_bytes())}]
        peak = [mock.rss_bytes() or 0]

        async def watch() -> None:
            while True:
                peak.append(mock.rss_bytes() or 0)
                await asyncio.sleep(PEAK_EVERY)

        watcher = asyncio.create_task(watch())
        sent = failed = 0
        errors: set[str] = set()
        gets = max(args.connections // 2, 1)
        posts = max(args.connections - gets, 1)
        try:
            for mark in range(1, MARKS + 1):
                block = args.requests * mark // MARKS - args.requests * (mark - 1) // MARKS
                get_spec = LoadSpec(BLOCK_SECONDS, gets, 0.0, block // 2, args.client)
                post_spec = LoadSpec(BLOCK_SECONDS, posts, 0.0, block - block // 2, args.client)
                samples: list[LoadSample] = await asyncio.gather(
                    generate_load(mock.base_url + CATALOG, signer("GET", CATALOG), get_spec, mock, cores),
                    generate_load(
                        mock.base_url + LAUNCH,
                        signer("POST", LAUNCH, LAUNCH_BODY),
                        post_spec,
                        mock,
                        cores,
                        method="POST",
                        body=LAUNCH_BODY,
                    ),
                )
                sent += sum(s.requests + s.failed for s in samples)
                failed += sum(s.failed for s in samples)
                errors.update(e for s in samples for e in s.errors)
                marks.append({"requests": sent, "rss_mb": _mb(mock.rss_bytes())})
                print(f"  {sent:>9,} requests   RSS {marks[-1]['rss_mb']} MB", flush=True)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        peak.append(mock.rss_bytes() or 0)
    return {"marks": marks, "peak_mb": _mb(max(peak)), "failed": failed, "errors": sorted(errors)[:5]}


def main(argv: list[str] | None = None) -> int:
    args = parse_options(options(), argv)
    try:
        if not MIN_REQUESTS <= args.requests <= MAX_REQUESTS:
            raise ValueError(f"--requests must be in [{MIN_REQUESTS}, {MAX_REQUESTS}]")
        LoadSpec(BLOCK_SECONDS, args.connections, 0.0, client=args.client)  # checks the other options
        if args.connections < 2:
            raise ValueError("--connections must be at least 2: one for the GETs, one for the POSTs")
    except ValueError as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return 2
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    print(
        f"\nmemory: {args.requests:,} signed requests (GET {CATALOG} and POST {LAUNCH}, half each, "
        f"{args.connections} connections, {args.client} client); mock RSS after every tenth"
    )
    code, found = run_async(NAME, lambda tmp: run(args, tmp, cores))
    if found is None:
        return code
    marks = found["marks"]
    before, start, end = marks[0]["rss_mb"], marks[GROWTH_FROM]["rss_mb"], marks[-1]["rss_mb"]
    growth = None if None in (start, end) else round(end - start, 1)
    peak = found["peak_mb"]
    print(f"  RSS before load     {before} MB")
    print(f"  RSS peak            {peak} MB   (target <= {LIMIT_MB:g} MB)")
    print(
        f"  growth {marks[GROWTH_FROM]['requests']:,} -> {marks[-1]['requests']:,} requests: "
        f"{growth:+} MB   (flat: <= {FLAT_MB:g} MB)"
        if growth is not None
        else "  growth: RSS unreadable (not Linux?)"
    )
    if found["failed"]:
        print(f"  errors              {found['failed']}: {found['errors']}")
    report = {
        "benchmark": NAME,
        "started_at": started,
        "environment": environment(cores),
        "load": {"requests": args.requests, "connections": args.connections, "client": args.client},
        "marks": marks,
        "rss_before_mb": before,
        "rss_peak_mb": peak,
        "growth_mb": growth,
        "growth_from_requests": marks[GROWTH_FROM]["requests"],
        "errors": found["failed"],
        "error_samples": found["errors"],
        "target_rss_mb": LIMIT_MB,
        "target_growth_mb": FLAT_MB,
        "summary_rows": [
            summary_row(
                f"memory: mock RSS peak over {args.requests:,} signed requests",
                f"{peak} MB (before load {before} MB, at the end {end} MB)",
                f"<= {LIMIT_MB:g} MB",
                None if peak is None else peak <= LIMIT_MB,
                rss_peak_mb=peak,
                rss_before_mb=before,
                rss_end_mb=end,
            ),
            summary_row(
                f"memory: growth from {marks[GROWTH_FROM]['requests']:,} to {marks[-1]['requests']:,} requests",
                "-" if growth is None else f"{growth:+} MB",
                f"<= {FLAT_MB:g} MB (flat)",
                None if growth is None else growth <= FLAT_MB,
                growth_mb=growth,
            ),
        ],
    }
    save_report(NAME, started, report, args)
    return 1 if found["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
