"""Cold start: from spawning `python -m netspace_mock serve` on a fresh, empty database (the migrations
run, the fixtures load) until GET /health answers 200, polled every 5 ms; target: a median of 0.6 s over
`--repeats` starts (default 5), the max shown beside it. The first start checks the fixtures loaded."""

import json
import statistics
import sys
import time

from catalog import PATH as CATALOG
from common import Server, fetch, row, run

from netspace_mock.paths import fixture

TARGET = 0.6


async def measure(args, workdir) -> dict:
    seconds = []
    for index in range(args.repeats):
        home = workdir / f"start-{index}"
        home.mkdir()
        began = time.perf_counter()
        mock = Server.mock(home)
        try:
            await mock.healthy(every=0.005)
            seconds.append(round(time.perf_counter() - began, 4))
            if index == 0:
                listed = json.loads((await fetch(mock.url + CATALOG))[2])["pagination"]["total"]
                if listed != len(fixture("games")):
                    raise RuntimeError(f"a fresh mock lists {listed} games, not all the fixtures")
        finally:
            mock.stop()
    median = statistics.median(seconds)
    text = f"median {median:.3f} s, max {max(seconds):.3f} s ({len(seconds)} starts)"
    return {
        "measure": "coldstart",
        "seconds": seconds,
        "median_s": median,
        "rows": [
            row(
                "cold start: spawn -> /health 200, fresh database",
                text,
                f"median <= {TARGET:g} s",
                median <= TARGET,
            )
        ],
    }


if __name__ == "__main__":
    raise SystemExit(run("coldstart", measure, sys.argv[1:]))
