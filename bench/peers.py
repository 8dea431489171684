"""Benchmark: the mock's signed GET /api/games/catalog beside the two mock servers an operator would
otherwise reach for, Stoplight Prism and WireMock, all serving the same catalog JSON.

Four servers, each on the same single core, measured in alternating slices in the same run (the load
generator on the other core signs every request for all of them; the others ignore the headers):

- ceiling: a bare aiohttp app answering the mock's exact bytes (bench/bare_server.py);
- mock: the mock itself, signature check and all;
- wiremock: WireMock's standalone jar (from the `wiremock` npm package) run by `java -jar`, with one stub
  mapping whose body file holds the mock's exact bytes;
- prism: `prism mock` (from `@stoplight/prism-cli`) on a minimal OpenAPI 3 document whose only operation,
  GET /api/games/catalog, has the mock's catalog as its 200 example. Prism serializes the example itself:
  it answers the same JSON value, not the same bytes (each peer's `answer` in the JSON says which).

The peers are installed on first use with npm into bench/.peers/ (git-ignored), at the exact versions in
PACKAGES; they need node (>= 18.20.1), npm and java (>= 11) on the PATH.

Both peers log less than their defaults, as one would configure them to be measured: Prism at level
`warn` (at `info` it logs every request), WireMock with `--disable-request-logging` and
`--no-request-journal` (the journal keeps every request in memory). WireMock also runs with
`--use-chunked-encoding never`, so that it sends a Content-Length like the other three (the raw load
generator reads exactly Content-Length bytes).

The JVM and V8 compile their hot code while serving, on the very core they serve from: right after a
peer answers, it gets `--peer-warmup` seconds (default 30) of the same load, unmeasured, before the
measured slices begin; then its first slice has the usual `--warmup`, as every target's does. 30 s because
WireMock's throughput, in one-second windows from a cold start on one core, kept rising for 20 to 30 s
(Prism's levelled off within a few seconds). The ceiling and the mock, plain CPython, get no extra warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
from catalog import PATH, build_parser, describe_load, load_report, load_spec, signed_headers
from common import (
    BENCH_DIR,
    LOOPBACK,
    MAX_WARMUP,
    Cores,
    LoadResult,
    LoadSpec,
    ServerProcess,
    environment,
    fetch,
    figures,
    free_port,
    generate_load,
    load_figure,
    measure_in_slices,
    notes,
    parse_options,
    print_results,
    ratio_of,
    running,
    save_report,
    serve_mock_and_ceiling,
    sigterm_as_exit,
    summarize,
    summary_row,
    utc_stamp,
)

NAME = "peers"
PEERS_DIR = BENCH_DIR / ".peers"
PRISM = "@stoplight/prism-cli"
WIREMOCK = "wiremock"
PACKAGES = {PRISM: "5.14.2", WIREMOCK: "3.13.2"}
# prism-cli 5.14.2 (the newest that runs on node 20) asks for its siblings with ^ ranges, which now resolve
# to releases that need node >= 24; these are the newest before those, and run on node >= 18.20.1.
OVERRIDES = {
    "@stoplight/prism-core": "5.8.0",
    "@stoplight/prism-http": "5.12.0",
    "@stoplight/prism-http-server": "5.12.2",
}
PEER_WARMUP = 30.0  # seconds of unmeasured load on each peer before the slices (JIT compilation)
PEER_START_TIMEOUT = 60.0  # a JVM on one busy core can take a while to answer its first request
INSTALL_TIMEOUT = 600.0
ORDER = ("ceiling", "mock", "wiremock", "prism")  # of the table and the JSON
REFERENCE = {"wiremock": 0.26, "prism": 0.08}  # ratios to the ceiling in the issue (2 cores, server on one)


class Missing(RuntimeError):
    """A tool the peers need is not installed."""


def manifest() -> dict:
    return {
        "name": "netspace-mock-bench-peers",
        "private": True,
        "description": "Written by bench/peers.py: the mock servers it measures beside the mock.",
        "dependencies": PACKAGES,
        "overrides": OVERRIDES,
    }


def installed_version(package: str) -> str | None:
    try:
        return json.loads((PEERS_DIR / "node_modules" / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def prism_script() -> Path:
    return PEERS_DIR / "node_modules" / PRISM / "dist" / "index.js"


def wiremock_jar() -> Path:
    return PEERS_DIR / "node_modules" / WIREMOCK / "build" / f"wiremock-standalone-{PACKAGES[WIREMOCK]}.jar"


def tool(name: str, purpose: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Missing(f"`{name}` is not on the PATH; it is needed {purpose}")
    return path


def ensure_peers() -> dict[str, str]:
    """Install the pinned peers into PEERS_DIR unless they are already there; the tools' paths."""
    tools = {
        "node": tool("node", "to run Prism"),
        "java": tool("java", "to run WireMock's jar"),
    }
    wanted = {**PACKAGES, **OVERRIDES}
    if (
        all(installed_version(p) == v for p, v in wanted.items())
        and prism_script().is_file()
        and wiremock_jar().is_file()
    ):
        return tools
    npm = tool("npm", "once, to install Prism and WireMock into bench/.peers/")
    PEERS_DIR.mkdir(exist_ok=True)
    (PEERS_DIR / "package.json").write_text(json.dumps(manifest(), indent=2) + "\n")
    pinned = " ".join(f"{p}@{v}" for p, v in PACKAGES.items())
    print(f"peers: installing {pinned} into {PEERS_DIR.relative_to(BENCH_DIR.parent)}/", flush=True)
    argv = [npm, "install", "--prefix", str(PEERS_DIR), "--no-audit", "--no-fund", "--ignore-scripts"]
    try:
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, timeout=INSTALL_TIMEOUT)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"npm install failed ({exc}); see its output above") from exc
    wrong = {p: installed_version(p) for p, v in wanted.items() if installed_version(p) != v}
    if wrong or not prism_script().is_file() or not wiremock_jar().is_file():
        raise RuntimeError(f"npm installed unexpected versions or files in {PEERS_DIR}: {wrong}")
    return tools


def version_of(argv: list[str]) -> str:
    """The first line a tool prints about its version (java prints it on stderr)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def prism_document(body: bytes, content_type: str) -> dict:
    """A minimal OpenAPI 3 document: GET PATH answers 200 with the mock's catalog as its example."""
    media_type = content_type.split(";")[0].strip() or "application/json"
    return {
        "openapi": "3.0.3",
        "info": {"title": "netspace-mock catalog, for bench/peers.py", "version": "1"},
        "paths": {
            PATH: {
                "get": {
                    "responses": {
                        "200": {
                            "description": "the catalog, as the mock answers it",
                            "content": {media_type: {"example": json.loads(body)}},
                        }
                    }
                }
            }
        },
    }


def start_prism(node: str, body: bytes, content_type: str, workdir: Path, cores: Cores) -> ServerProcess:
    document = workdir / "prism-openapi.json"
    document.write_text(json.dumps(prism_document(body, content_type)))
    port = free_port()
    argv = [node, str(prism_script()), "mock", "-p", str(port), "-h", LOOPBACK, "-v", "warn", str(document)]
    return ServerProcess("prism", argv, port, cores, workdir / "prism.log")


def start_wiremock(java: str, body: bytes, content_type: str, workdir: Path, cores: Cores) -> ServerProcess:
    root = workdir / "wiremock"
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    (root / "__files" / "catalog.json").write_bytes(body)
    mapping = {
        "request": {"method": "GET", "url": PATH},
        "response": {
            "status": 200,
            "bodyFileName": "catalog.json",
            "headers": {"Content-Type": content_type},
        },
    }
    (root / "mappings" / "catalog.json").write_text(json.dumps(mapping, indent=2))
    port = free_port()
    argv = [
        java,
        "-jar",
        str(wiremock_jar()),
        "--port",
        str(port),
        "--bind-address",
        LOOPBACK,
        "--root-dir",
        str(root),
        "--disable-banner",
        "--disable-request-logging",
        "--no-request-journal",
        "--use-chunked-encoding",
        "never",
    ]
    return ServerProcess("wiremock", argv, port, cores, workdir / "wiremock.log")


async def check_answer(server: ServerProcess, body: bytes) -> str:
    """What the peer answers, compared with the mock: "same bytes" or "same JSON value"; else an error."""
    status, _, answer = await fetch(server.base_url + PATH, signed_headers())
    if status != 200:
        raise RuntimeError(f"{server.name} answered {status} to GET {PATH}: {answer[:500]!r}")
    if answer == body:
        return "same bytes"
    try:
        same = json.loads(answer) == json.loads(body)
    except ValueError:
        same = False
    if not same:
        raise RuntimeError(f"{server.name} does not answer the mock's catalog: {answer[:500]!r}")
    return "same JSON value"


async def run(
    spec: LoadSpec, slices: int, peer_warmup: float, workdir: Path, cores: Cores, tools: dict[str, str]
) -> tuple[list[LoadResult], dict]:
    with running([]) as servers:
        mock, ceiling, body, content_type = await serve_mock_and_ceiling(
            servers, PATH, signed_headers, workdir, cores
        )
        wiremock = start_wiremock(tools["java"], body, content_type, workdir, cores)
        servers.append(wiremock)
        prism = start_prism(tools["node"], body, content_type, workdir, cores)
        servers.append(prism)
        peers = {}
        for peer in (wiremock, prism):
            await peer.wait_healthy(PEER_START_TIMEOUT, path=PATH)
            peers[peer.name] = {"answer": await check_answer(peer, body), "argv": peer.argv}
        if peer_warmup > 0:
            warm = LoadSpec(peer_warmup, spec.connections, 0.0, spec.max_requests, spec.client)
            for peer in (wiremock, prism):
                print(f"peers: {peer_warmup:g} s of unmeasured load on {peer.name} (JIT warm-up)", flush=True)
                await generate_load(peer.base_url + PATH, signed_headers, warm, peer, cores)
        targets = [("mock", mock), ("ceiling", ceiling), ("wiremock", wiremock), ("prism", prism)]
        samples = await measure_in_slices(targets, PATH, signed_headers, spec, slices, cores)

    results = [summarize(name, samples[name]) for name in ORDER]
    peers["wiremock"]["package"] = f"{WIREMOCK}@{PACKAGES[WIREMOCK]}"
    peers["prism"]["package"] = f"{PRISM}@{PACKAGES[PRISM]}"
    facts = {
        "response_bytes": len(body),
        "content_type": content_type,
        "path": PATH,
        "slices": slices,
        "peer_warmup_s": peer_warmup,
        "peers": peers,
    }
    return results, facts


# How each measured server is named in bench/run.py's summary (the ceiling has its own row in catalog's).
LABELS = {
    "mock": "peers run: signed GET /api/games/catalog",
    "wiremock": "peers run: WireMock (no signature check)",
    "prism": "peers run: Prism (no signature check)",
}


def options() -> argparse.ArgumentParser:
    parser = build_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--peer-warmup",
        type=float,
        default=PEER_WARMUP,
        help=f"unmeasured seconds of load on each peer before the slices, for their JIT (default {PEER_WARMUP:g})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parse_options(options(), argv)
    try:
        spec = load_spec(args)
        if not 0 <= args.peer_warmup <= MAX_WARMUP:
            raise ValueError(f"--peer-warmup must be in [0, {MAX_WARMUP}] seconds")
    except ValueError as exc:
        print(f"peers: {exc}", file=sys.stderr)
        return 2
    try:
        tools = ensure_peers()
    except (Missing, RuntimeError, OSError) as exc:
        print(f"peers: {exc}", file=sys.stderr)
        return 1
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    try:
        with sigterm_as_exit(), tempfile.TemporaryDirectory(prefix="netspace-bench-") as tmp:
            results, facts = asyncio.run(run(spec, args.slices, args.peer_warmup, Path(tmp), cores, tools))
    except KeyboardInterrupt:
        print("peers: interrupted; servers stopped", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, aiohttp.ClientError) as exc:
        print(f"peers: {exc}", file=sys.stderr)
        return 1
    ceiling = results[0]
    print(f"\nGET {PATH} (signed), {facts['response_bytes']} bytes per response")
    print(describe_load(spec, args.slices, cores))
    print(f"peers: {args.peer_warmup:g} s of unmeasured load each before the slices\n")
    print_results(results, ceiling, "target")
    print(
        "the issue's reference, on a 2-core machine: "
        + ", ".join(f"{name} ≈ {ratio:g} × the ceiling" for name, ratio in REFERENCE.items())
    )
    for name, peer in facts["peers"].items():
        print(f"{name}: {peer['package']}, answers the mock's catalog with the {peer['answer']}")
    for line in notes(results):
        print(line)
    report = {
        "benchmark": NAME,
        "started_at": started,
        "load": load_report(spec),
        **facts,
        "environment": {
            **environment(cores),
            "node": version_of([tools["node"], "--version"]),
            "java": version_of([tools["java"], "-version"]),
        },
        "results": {r.name: r.as_dict() for r in results},
        "ratio_to_ceiling": {r.name: ratio_of(r.rps, ceiling.rps) for r in results},
        "cpu_ratio_to_ceiling": {
            r.name: ratio_of(r.rps_per_server_core, ceiling.rps_per_server_core) for r in results
        },
        "reference_ratio_to_ceiling": REFERENCE,
        "summary_rows": [
            summary_row(
                f"{LABELS.get(r.name, r.name)}, same catalog JSON",
                load_figure(r, ratio_of(r.rps, ceiling.rps)),
                **figures(r),
                ratio_to_ceiling=ratio_of(r.rps, ceiling.rps),
            )
            for r in results[1:]
        ],
    }
    save_report(NAME, started, report, args)
    return 1 if any(r.errors or not r.requests for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
