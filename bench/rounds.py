"""Benchmark: sandbox rounds per second against the built-in reference wallet over loopback.

Each round is one signed POST /api/sandbox/game/bet that makes the mock call its webhook twice (bet, then
win) and answer once both are acknowledged; the wallet is the mock's own `/operator/webhook`, so the one
server core does the platform's and the operator's work. The load generator runs on the other core. The
same run measures the ceiling (a bare aiohttp app answering a round-sized response on the same core) so
the figure comes with a ratio that holds on any machine.
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
    RESULTS_DIR,
    Cores,
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
    utc_stamp,
)

from netspace_mock import signing
from netspace_mock.settings import Settings

NAME = "rounds"
BET = "/api/sandbox/game/bet"
DEFAULTS = Settings()
TARGET = 300.0  # rounds per second


def signed(method: str, path: str, body: bytes = b"") -> dict[str, str]:
    headers = signing.headers(DEFAULTS.api_key, DEFAULTS.secret_key, int(time.time()), method, path, body)
    return {**headers, "Content-Type": "application/json"}


async def post(session: aiohttp.ClientSession, base: str, path: str, payload: dict) -> tuple[int, dict]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    async with session.post(base + path, data=body, headers=signed("POST", path, body)) as response:
        return response.status, await response.json()


async def play(base: str, sessions: list[str], spec: LoadSpec, server: ServerProcess) -> LoadSample:
    """Every connection plays rounds on its own session for the warm-up, then for the measured window."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + spec.warmup, start + spec.warmup + spec.duration
    latencies: list[float] = []
    errors: list[str] = []
    cpu: dict[str, float | None] = {}

    async def worker(session: aiohttp.ClientSession, session_id: str) -> None:
        while loop.time() < window_end:
            began = loop.time()
            try:
                status, answer = await post(session, base, BET, {"session_id": session_id, "amount": 0.1})
                problem = "" if status == 200 and answer["round"]["status"] == "settled" else f"HTTP {status}"
            except (aiohttp.ClientError, TimeoutError, KeyError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            done = loop.time()
            if window_start <= done <= window_end:
                (errors.append(problem) if problem else latencies.append(done - began))

    async def sampler() -> None:
        await asyncio.sleep(spec.warmup)
        cpu["start"] = server.cpu_seconds()
        await asyncio.sleep(spec.duration)
        cpu["end"] = server.cpu_seconds()

    connector = aiohttp.TCPConnector(limit=len(sessions))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(sampler(), *(worker(session, sid) for sid in sessions))
    used = None if None in (cpu.get("start"), cpu.get("end")) else cpu["end"] - cpu["start"]
    return LoadSample(latencies, errors, spec.duration, used, None, None, False)


async def run(spec: LoadSpec, workdir: Path, cores: Cores) -> dict:
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
        sessions = [f"bench-{i}" for i in range(spec.connections)]
        async with aiohttp.ClientSession() as session:
            for i, sid in enumerate(sessions):
                launch = {
                    "session_id": sid,
                    "player_id": f"bench-player-{i}",
                    "game_id": "lotterix",
                    "currency": "USD",
                }
                status, answer = await post(session, mock.base_url, "/api/game/launch", launch)
                if status != 200:
                    raise RuntimeError(f"launch failed: {answer}")
            status, sample_round = await post(
                session, mock.base_url, BET, {"session_id": sessions[0], "amount": 0.1}
            )
        rounds = summarize("rounds", [await play(mock.base_url, sessions, spec, mock)])
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                mock.base_url + "/api/sandbox/stats", headers=signed("GET", "/api/sandbox/stats")
            ) as response,
        ):
            stats = (await response.json())["stats"]

        body_file = workdir / "round.json"
        body_file.write_bytes(json.dumps(sample_round, separators=(",", ":")).encode())
        bare_port = free_port()
        bare = ServerProcess(
            "ceiling",
            [python, str(BENCH_DIR / "bare_server.py"), str(bare_port), BET, str(body_file)],
            bare_port,
            cores,
            workdir / "bare.log",
        )
        servers.append(bare)
        await bare.wait_healthy()
        ceiling = summarize(
            "ceiling", [await generate_load(bare.base_url + BET, lambda: {}, spec, bare, cores)]
        )
    return {"rounds": rounds, "ceiling": ceiling, "stats": stats, "response_bytes": body_file.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds (default 5)")
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent players/sessions (default 32)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first (default 1)")
    parser.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    args, _ = parser.parse_known_args(argv)
    try:
        spec = LoadSpec(args.duration, args.connections, args.warmup)
    except ValueError as exc:
        print(f"rounds: {exc}", file=sys.stderr)
        return 2
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    try:
        with sigterm_as_exit(), tempfile.TemporaryDirectory(prefix="netspace-bench-") as tmp:
            found = asyncio.run(run(spec, Path(tmp), cores))
    except KeyboardInterrupt:
        print("rounds: interrupted; servers stopped", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, aiohttp.ClientError) as exc:
        print(f"rounds: {exc}", file=sys.stderr)
        return 1
    rounds, ceiling, stats = found["rounds"], found["ceiling"], found["stats"]
    latency = stats["latency_ms"]
    print(
        f"\nsandbox rounds (bet + win to the reference wallet), {spec.connections} concurrent sessions, "
        f"{spec.duration:g} s measured; server on core {cores.server}, load on core {cores.generator}"
    )
    print(
        f"  rounds/s            {rounds.rps:9.1f}   (target >= {TARGET:g}: {'met' if rounds.rps >= TARGET else 'NOT met'})"
    )
    print(f"  round p50 / p99     {rounds.p50_ms or 0:9.2f} / {rounds.p99_ms or 0:.2f} ms")
    print(
        f"  webhook p50 / p99   {latency['p50'] or 0:9.2f} / {latency['p99'] or 0:.2f} ms "
        f"({stats['webhook_calls']['total']} calls, {stats['webhook_calls']['ok']} ok)"
    )
    print(
        f"  server cpu          {rounds.server_cpu if rounds.server_cpu is not None else float('nan'):9.0%}"
    )
    print(f"  ceiling req/s       {ceiling.rps:9.1f}   (bare aiohttp, {found['response_bytes']} bytes)")
    print(f"  ratio               {ratio_of(rounds.rps, ceiling.rps) or 0:9.3f}   rounds/s per ceiling req/s")
    if rounds.errors:
        print(f"  errors              {rounds.errors}: {rounds.error_samples}")
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{NAME}-{started}.json"
        out.write_text(
            json.dumps(
                {
                    "benchmark": NAME,
                    "started_at": started,
                    "environment": environment(cores),
                    "load": {
                        "duration_s": spec.duration,
                        "connections": spec.connections,
                        "warmup_s": spec.warmup,
                    },
                    "rounds": rounds.as_dict(),
                    "ceiling": ceiling.as_dict(),
                    "webhook_latency_ms": latency,
                    "ratio_to_ceiling": ratio_of(rounds.rps, ceiling.rps),
                    "target_rounds_per_s": TARGET,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"\nwrote {out.relative_to(BENCH_DIR.parent)}")
    return 1 if rounds.errors or not rounds.requests else 0


if __name__ == "__main__":
    raise SystemExit(main())
