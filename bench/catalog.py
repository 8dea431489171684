"""Benchmark: signed GET /api/games/catalog on the mock, against a bare aiohttp app serving the same bytes.

The bare app is the ceiling: what aiohttp itself can do on one core for that response. The ratio says how
much of it the mock's pipeline (signature check, routing, query validation, catalog search, JSON) keeps.
Both servers run on the same single core and are measured in alternating slices; the load generator runs
on another core and signs every request for both (the bare app ignores the headers), so the client does
the same work in both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
from common import (
    BENCH_DIR,
    CLIENTS,
    RESULTS_DIR,
    Cores,
    LoadResult,
    LoadSample,
    LoadSpec,
    ServerProcess,
    environment,
    free_port,
    generate_load,
    mock_argv,
    ratio_of,
    running,
    sigterm_as_exit,
    summarize,
    table,
    utc_stamp,
)

from netspace_mock import signing
from netspace_mock.settings import Settings

NAME = "catalog"
PATH = "/api/games/catalog"
DEFAULTS = Settings()
BUSY_MACHINE = 0.1  # other processes above this share of the two cores make a run noisy
CLIENT_BOUND = 0.9  # a generator above this share of its core is the limit, not the server
MAX_SLICES = 100
SLICE_WARMUP = 0.25  # seconds to re-open the connections before every slice after a target's first


def signed_headers() -> dict[str, str]:
    """Fresh headers for every request: the client pays the signing, as a real operator does."""
    return signing.headers(DEFAULTS.api_key, DEFAULTS.secret_key, int(time.time()), "GET", PATH)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per target (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first (default 1)")
    parser.add_argument(
        "--slices",
        type=int,
        default=5,
        help="measure each target in this many alternating slices of duration/slices seconds (default 5)",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=LoadSpec.max_requests,
        help="safety cap on the requests of one slice",
    )
    parser.add_argument(
        "--client",
        choices=CLIENTS,
        default="raw",
        help="load generator client: raw asyncio streams (default; cheap enough to saturate the server) "
        "or aiohttp's ClientSession (costlier per request: the client core saturates first)",
    )
    parser.add_argument("--no-save", action="store_true", help="print the table only, write no JSON")
    return parser.parse_args(argv)


async def fetch(url: str) -> tuple[int, str, bytes]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(url, headers=signed_headers()) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.read()


async def run(spec: LoadSpec, slices: int, workdir: Path, cores: Cores) -> tuple[list[LoadResult], dict]:
    python = sys.executable
    port = free_port()
    mock = ServerProcess(
        "mock",
        mock_argv(port, workdir / "bench.db"),
        port,
        cores,
        workdir / "mock.log",
    )
    with running([mock]) as servers:
        await mock.wait_healthy()
        status, content_type, body = await fetch(mock.base_url + PATH)
        if status != 200:
            raise RuntimeError(f"the mock answered {status} to a signed GET {PATH}: {body[:500]!r}")
        body_file = workdir / "catalog.json"
        body_file.write_bytes(body)
        port = free_port()
        bare = ServerProcess(
            "ceiling",
            [python, str(BENCH_DIR / "bare_server.py"), str(port), PATH, str(body_file), content_type],
            port,
            cores,
            workdir / "bare.log",
        )
        servers.append(bare)
        await bare.wait_healthy()
        bare_status, _, bare_body = await fetch(bare.base_url + PATH)
        if (bare_status, bare_body) != (200, body):
            raise RuntimeError("the bare app does not answer the mock's exact bytes")

        # Both servers stay up (the idle one costs nothing) and are measured in alternating slices,
        # A B B A ..., so that a change in the machine's speed during the run weighs on both alike.
        samples: dict[str, list[LoadSample]] = {"ceiling": [], "mock": []}
        for index in range(slices):
            order = [("mock", mock), ("ceiling", bare)]
            for name, server in order if index % 2 == 0 else reversed(order):
                warmup = spec.warmup if not samples[name] else min(spec.warmup, SLICE_WARMUP)
                slice_spec = replace(spec, duration=spec.duration / slices, warmup=warmup)
                url = server.base_url + PATH
                samples[name].append(await generate_load(url, signed_headers, slice_spec, server, cores))

    results = [summarize(name, parts) for name, parts in samples.items()]
    facts = {"response_bytes": len(body), "content_type": content_type, "path": PATH, "slices": slices}
    return results, facts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        spec = LoadSpec(args.duration, args.connections, args.warmup, args.max_requests, args.client)
    except ValueError as exc:
        print(f"catalog: {exc}", file=sys.stderr)
        return 2
    if not 1 <= args.slices <= MAX_SLICES:
        print(f"catalog: --slices must be in [1, {MAX_SLICES}]", file=sys.stderr)
        return 2
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    try:
        with sigterm_as_exit(), tempfile.TemporaryDirectory(prefix="netspace-bench-") as tmp:
            results, facts = asyncio.run(run(spec, args.slices, Path(tmp), cores))
    except KeyboardInterrupt:
        print("catalog: interrupted; servers stopped", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, aiohttp.ClientError) as exc:
        print(f"catalog: {exc}", file=sys.stderr)
        return 1
    ceiling, mock = results
    ratio = ratio_of(mock.rps, ceiling.rps)
    cpu_ratio = ratio_of(mock.rps_per_server_core, ceiling.rps_per_server_core)
    print(f"\nGET {PATH} (signed), {facts['response_bytes']} bytes per response")
    print(
        f"{spec.connections} connections, {spec.warmup:g} s warm-up, {spec.duration:g} s measured per target "
        f"in {args.slices} alternating slices"
    )
    print(f"server on core {cores.server}, load generator ({spec.client} client) on core {cores.generator}\n")
    print(table(results, ceiling))
    if any(r.errors for r in results):
        print("\nerrors: " + "; ".join(f"{r.name}: {r.error_samples}" for r in results if r.errors))
    print(
        "\nratio = mock req/s / ceiling req/s; cpu ratio = the same per second of server CPU "
        "(srv/gen cpu: share of one core used by the server / the load generator; other: share of the "
        "two cores used by other processes)"
    )
    for row in results:
        if row.generator_cpu is not None and row.generator_cpu > CLIENT_BOUND and (row.server_cpu or 0) < 0.9:
            print(
                f"note: {row.name}: the load generator used {row.generator_cpu:.0%} of its core and the "
                f"server only {row.server_cpu:.0%}: this figure is client-bound, read the cpu ratio"
            )
        if row.foreign_cpu is not None and row.foreign_cpu > BUSY_MACHINE:
            print(
                f"note: {row.name}: other processes used {row.foreign_cpu:.0%} of the two benchmark cores: "
                "the machine was busy, repeat the run on a quiet one"
            )
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{NAME}-{started}.json"
        report = {
            "benchmark": NAME,
            "started_at": started,
            "load": {
                "duration_s": spec.duration,
                "connections": spec.connections,
                "warmup_s": spec.warmup,
                "max_requests": spec.max_requests,
                "client": spec.client,
            },
            **facts,
            "environment": environment(cores),
            "results": {r.name: r.as_dict() for r in results},
            "ratio_to_ceiling": ratio,
            "cpu_ratio_to_ceiling": cpu_ratio,
        }
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {out.relative_to(BENCH_DIR.parent)}")
    return 1 if any(r.errors or not r.requests for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
