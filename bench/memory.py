"""The mock's resident memory (VmRSS) over `--requests` signed requests (default 100,000), half catalog
GETs and half launch POSTs side by side, read after every tenth and every 0.1 s for the peak.

Targets: a peak of at most 120 MB, and flat once warm: growth from the 20 % mark to the end of at most
5 MB (the first requests fill caches meant to fill: prepared statements, the replay memory, SQLite's
page cache). The load is the aiohttp client, whatever `--client`: it counts requests, wrk counts seconds.
"""

import asyncio
import contextlib
import sys

from catalog import PATH as CATALOG
from common import Server, python_load, row, run
from launch import BODY
from launch import PATH as LAUNCH

LIMIT_MB, FLAT_MB = 120.0, 5.0


async def measure(args, workdir) -> dict:
    with contextlib.ExitStack() as stack:
        mock = Server.mock(workdir)
        stack.callback(mock.stop)
        await mock.healthy()
        marks, peak, errors = [(0, mock.rss_mb())], [mock.rss_mb()], 0

        async def watch() -> None:
            while True:
                peak.append(mock.rss_mb())
                await asyncio.sleep(0.1)

        watcher = asyncio.create_task(watch())
        half = max(args.connections // 2, 1)
        try:
            for tenth in range(1, 11):
                block = args.requests * tenth // 10 - args.requests * (tenth - 1) // 10
                done = await asyncio.gather(
                    python_load(mock.url + CATALOG, "GET", [b""] * half, 600, block // 2),
                    python_load(mock.url + LAUNCH, "POST", [BODY] * half, 600, block - block // 2),
                )
                errors += sum(d["errors"] for d in done)
                marks.append((marks[-1][0] + sum(d["requests"] + d["errors"] for d in done), mock.rss_mb()))
                print(f"  {marks[-1][0]:>9,} requests   RSS {marks[-1][1]} MB", flush=True)
        finally:
            watcher.cancel()
    growth = round(marks[-1][1] - marks[2][1], 1)
    top = max(peak)
    return {
        "measure": "memory",
        "marks": marks,
        "peak_mb": top,
        "growth_mb": growth,
        "errors": errors,
        "rows": [
            row(
                f"memory: mock RSS peak over {marks[-1][0]:,} signed requests",
                f"{top} MB (before {marks[0][1]} MB, end {marks[-1][1]} MB)"
                + f", {errors} errors" * bool(errors),
                f"<= {LIMIT_MB:g} MB",
                top <= LIMIT_MB and not errors,
            ),
            row(
                f"memory: growth from {marks[2][0]:,} to {marks[-1][0]:,} requests",
                f"{growth:+} MB",
                f"<= {FLAT_MB:g} MB (flat)",
                growth <= FLAT_MB,
            ),
        ],
    }


if __name__ == "__main__":
    raise SystemExit(run("memory", measure, sys.argv[1:]))
