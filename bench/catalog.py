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
from pathlib import Path

import aiohttp
from common import (
    BENCH_DIR,
    CLIENTS,
    RESULTS_DIR,
    Cores,
    LoadResult,
    LoadSpec,
    environment,
    measure_in_slices,
    notes,
    ratio_of,
    running,
    serve_mock_and_ceiling,
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
MAX_SLICES = 100


def signed_headers() -> dict[str, str]:
    """Fresh headers for every request: the client pays the signing, as a real operator does."""
    return signing.headers(DEFAULTS.api_key, DEFAULTS.secret_key, int(time.time()), "GET", PATH)


def build_parser(description: str) -> argparse.ArgumentParser:
    """The options of a benchmark measured in alternating slices (this one, and peers.py)."""
    parser = argparse.ArgumentParser(description=description)
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
    return parser


def load_spec(args: argparse.Namespace) -> LoadSpec:
    """The load of one slice's target, from the options; ValueError when one is out of range."""
    if not 1 <= args.slices <= MAX_SLICES:
        raise ValueError(f"--slices must be in [1, {MAX_SLICES}]")
    return LoadSpec(args.duration, args.connections, args.warmup, args.max_requests, args.client)


def describe_load(spec: LoadSpec, slices: int, cores: Cores) -> str:
    return (
        f"{spec.connections} connections, {spec.warmup:g} s warm-up, {spec.duration:g} s measured per target "
        f"in {slices} alternating slices\n"
        f"server on core {cores.server}, load generator ({spec.client} client) on core {cores.generator}"
    )


def load_report(spec: LoadSpec) -> dict:
    return {
        "duration_s": spec.duration,
        "connections": spec.connections,
        "warmup_s": spec.warmup,
        "max_requests": spec.max_requests,
        "client": spec.client,
    }


async def run(spec: LoadSpec, slices: int, workdir: Path, cores: Cores) -> tuple[list[LoadResult], dict]:
    with running([]) as servers:
        mock, bare, body, content_type = await serve_mock_and_ceiling(
            servers, PATH, signed_headers, workdir, cores
        )
        targets = [("mock", mock), ("ceiling", bare)]
        samples = await measure_in_slices(targets, PATH, signed_headers, spec, slices, cores)

    results = [summarize(name, samples[name]) for name in ("ceiling", "mock")]
    facts = {"response_bytes": len(body), "content_type": content_type, "path": PATH, "slices": slices}
    return results, facts


def main(argv: list[str] | None = None) -> int:
    args = build_parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        spec = load_spec(args)
    except ValueError as exc:
        print(f"catalog: {exc}", file=sys.stderr)
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
    print(describe_load(spec, args.slices, cores) + "\n")
    print(table(results, ceiling))
    if any(r.errors for r in results):
        print("\nerrors: " + "; ".join(f"{r.name}: {r.error_samples}" for r in results if r.errors))
    print(
        "\nratio = mock req/s / ceiling req/s; cpu ratio = the same per second of server CPU "
        "(srv/gen cpu: share of one core used by the server / the load generator; other: share of the "
        "two cores used by other processes)"
    )
    for line in notes(results):
        print(line)
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{NAME}-{started}.json"
        report = {
            "benchmark": NAME,
            "started_at": started,
            "load": load_report(spec),
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
