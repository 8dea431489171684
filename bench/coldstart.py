"""Benchmark: cold start, from spawning `python -m netspace_mock serve` on a fresh, empty database (so the
fixtures load) until GET /health answers 200.

An operator's test suite starts the mock for a run, often for every run, so the time before the first
answer is paid again and again; the target is 0.6 s. Each start is a new process on the server core (as
in the other benchmarks), with a new database file in a new directory; the clock runs from just before the
spawn to the first 200, polled every POLL seconds from the generator core. The start is repeated (default
5 times): the median is judged against the target, the max is shown beside it (on a shared machine one
slow start says more about the machine than about the mock). The first start also checks that the
fixtures did load: the catalog lists every game of data/fixtures/games.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from catalog import PATH as CATALOG
from common import (
    HEALTH_TIMEOUT,
    Cores,
    ServerProcess,
    add_report_options,
    environment,
    fetch,
    free_port,
    mock_argv,
    parse_options,
    run_async,
    running,
    save_report,
    signed_headers,
    summary_row,
    utc_stamp,
)

from netspace_mock.paths import fixture

NAME = "coldstart"
TARGET = 0.6  # seconds, median
POLL = 0.005  # seconds between two GET /health while the mock starts: the resolution of the measure
MAX_REPEATS = 50


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--repeats", type=int, default=5, help="starts to time (default 5)")
    add_report_options(parser)
    return parser


async def check_fixtures(server: ServerProcess) -> int:
    """The games the fresh mock lists; RuntimeError unless they are all of data/fixtures/games.json."""
    status, _, body = await fetch(server.base_url + CATALOG, signed_headers("GET", CATALOG))
    if status != 200:
        raise RuntimeError(f"the fresh mock answered {status} to GET {CATALOG}: {body[:300]!r}")
    listed = json.loads(body)["pagination"]["total"]
    if listed != len(fixture("games")):
        raise RuntimeError(
            f"the fresh mock lists {listed} games, data/fixtures/games.json has {len(fixture('games'))}"
        )
    return listed


async def run(repeats: int, workdir: Path, cores: Cores) -> dict:
    seconds: list[float] = []
    games = 0
    for index in range(repeats):
        home = workdir / f"start-{index + 1}"
        home.mkdir()
        port = free_port()
        began = time.perf_counter()
        server = ServerProcess(
            f"mock (start {index + 1})", mock_argv(port, home / "mock.db"), port, cores, home / "log"
        )
        with running([server]):
            await server.wait_healthy(HEALTH_TIMEOUT, interval=POLL)
            seconds.append(time.perf_counter() - began)
            if index == 0:
                games = await check_fixtures(server)
    return {"seconds": seconds, "games": games}


def main(argv: list[str] | None = None) -> int:
    args = parse_options(options(), argv)
    if not 1 <= args.repeats <= MAX_REPEATS:
        print(f"{NAME}: --repeats must be in [1, {MAX_REPEATS}]", file=sys.stderr)
        return 2
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    code, found = run_async(NAME, lambda tmp: run(args.repeats, tmp, cores))
    if found is None:
        return code
    seconds = found["seconds"]
    median, worst = statistics.median(seconds), max(seconds)
    print(
        f"\ncold start: spawn `python -m netspace_mock serve` on an empty database -> GET /health 200, "
        f"{args.repeats} times; server on core {cores.server}, polled every {POLL * 1000:g} ms from core "
        f"{cores.generator}"
    )
    print("  each start (s)      " + "  ".join(f"{s:.3f}" for s in seconds))
    print(
        f"  median / max        {median:.3f} / {worst:.3f} s   (target: median <= {TARGET:g} s: "
        f"{'met' if median <= TARGET else 'NOT met'})"
    )
    print(f"  fixtures loaded     {found['games']} games listed by the first start")
    report = {
        "benchmark": NAME,
        "started_at": started,
        "environment": environment(cores),
        "repeats": args.repeats,
        "poll_s": POLL,
        "seconds": [round(s, 4) for s in seconds],
        "median_s": round(median, 4),
        "max_s": round(worst, 4),
        "games_loaded": found["games"],
        "target_median_s": TARGET,
        "summary_rows": [
            summary_row(
                "cold start: spawn -> /health 200, fresh database",
                f"median {median:.3f} s, max {worst:.3f} s ({args.repeats} starts)",
                f"median <= {TARGET:g} s",
                median <= TARGET,
                median_s=round(median, 4),
                max_s=round(worst, 4),
            )
        ],
    }
    save_report(NAME, started, report, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
