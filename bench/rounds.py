"""Benchmark: sandbox rounds per second against the built-in reference wallet over loopback.

Each round is one signed POST /api/sandbox/game/bet that makes the mock call its webhook twice (bet, then
win) and answer once both are acknowledged; the wallet is the mock's own `/operator/webhook`, so the one
server core does the platform's and the operator's work. The load generator runs on the other core. The
same run measures the ceiling (a bare aiohttp app answering a round's bytes to the same signed POST, on
the same core) so the figure comes with a ratio that holds on any machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import aiohttp
from common import (
    Cores,
    LoadSample,
    LoadSpec,
    ServerProcess,
    add_client_option,
    add_report_options,
    bare_argv,
    environment,
    figures,
    free_port,
    generate_load,
    load_figure,
    mock_argv,
    parse_options,
    ratio_of,
    run_async,
    running,
    save_report,
    signed_headers,
    signer,
    summarize,
    summary_row,
    utc_stamp,
)

NAME = "rounds"
BET = "/api/sandbox/game/bet"
TARGET = 300.0  # rounds per second


async def post(session: aiohttp.ClientSession, base: str, path: str, payload: dict) -> tuple[int, dict]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    async with session.post(base + path, data=body, headers=signed_headers("POST", path, body)) as response:
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
                mock.base_url + "/api/sandbox/stats", headers=signed_headers("GET", "/api/sandbox/stats")
            ) as response,
        ):
            stats = (await response.json())["stats"]

        # The ceiling answers a round's bytes to the same signed POST (a bet's body), read and discarded.
        body_file = workdir / "round.json"
        body_file.write_bytes(json.dumps(sample_round, separators=(",", ":")).encode())
        bet = json.dumps({"session_id": sessions[0], "amount": 0.1}, separators=(",", ":")).encode()
        bare_port = free_port()
        bare = ServerProcess(
            "ceiling", bare_argv(bare_port, BET, body_file, "POST"), bare_port, cores, workdir / "bare.log"
        )
        servers.append(bare)
        await bare.wait_healthy()
        sample = await generate_load(
            bare.base_url + BET, signer("POST", BET, bet), spec, bare, cores, method="POST", body=bet
        )
        ceiling = summarize("ceiling", [sample])
    return {"rounds": rounds, "ceiling": ceiling, "stats": stats, "response_bytes": body_file.stat().st_size}


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds (default 5)")
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent players/sessions (default 32)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first (default 1)")
    add_client_option(parser, " of the ceiling (the rounds are played by aiohttp clients that check each)")
    add_report_options(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parse_options(options(), argv)
    try:
        spec = LoadSpec(args.duration, args.connections, args.warmup, client=args.client)
    except ValueError as exc:
        print(f"rounds: {exc}", file=sys.stderr)
        return 2
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    code, found = run_async(NAME, lambda tmp: run(spec, tmp, cores))
    if found is None:
        return code
    rounds, ceiling, stats = found["rounds"], found["ceiling"], found["stats"]
    latency = stats["latency_ms"]
    ratio = ratio_of(rounds.rps, ceiling.rps)
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
    print(
        f"  ceiling req/s       {ceiling.rps:9.1f}   (bare aiohttp, POST, {found['response_bytes']} bytes, "
        f"{spec.client} client)"
    )
    print(f"  ratio               {ratio or 0:9.3f}   rounds/s per ceiling req/s")
    if rounds.errors:
        print(f"  errors              {rounds.errors}: {rounds.error_samples}")
    report = {
        "benchmark": NAME,
        "started_at": started,
        "environment": environment(cores),
        "load": {
            "duration_s": spec.duration,
            "connections": spec.connections,
            "warmup_s": spec.warmup,
            "ceiling_client": spec.client,
        },
        "rounds": rounds.as_dict(),
        "ceiling": ceiling.as_dict(),
        "webhook_latency_ms": latency,
        "ratio_to_ceiling": ratio,
        "target_rounds_per_s": TARGET,
        "summary_rows": [
            summary_row(
                "sandbox rounds, bet + win webhooks to the reference wallet",
                load_figure(rounds, ratio, unit="rounds/s"),
                f">= {TARGET:g} rounds/s",
                rounds.rps >= TARGET,
                **figures(rounds),
                ratio_to_ceiling=ratio,
                ceiling_rps=ceiling.rps,
            )
        ],
    }
    save_report(NAME, started, report, args)
    return 1 if rounds.errors or not rounds.requests else 0


if __name__ == "__main__":
    raise SystemExit(main())
