"""Instructions per request under valgrind's callgrind: signed catalog and launch with their ceilings,
and a sandbox round; repeatable to about 0.3% however busy the machine is, unlike requests per second.

Each server runs under callgrind with instrumentation off; after a warm-up counting is switched on
(`callgrind_control -i on`), a second warm-up is sent, the counters are zeroed, a fixed number of
requests is sent from 32 connections in this process and the counters are dumped. All of the server's
threads are counted (aiosqlite's and the log's too); the kernel and the cost of cache misses are not,
so a ratio of instructions is kinder than one of requests per second. The figures compare two versions
of the mock; `make bench` measures the targets. Needs valgrind (Debian's package `valgrind`); about 5
minutes. `make bench-instructions`, or `bench/run.py --only instructions`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp
import catalog
import launch
from common import Server, bare_argv, compact, fetch, free_port, mock_answer, mock_argv, row, run, signed
from rounds import BET

REQUESTS = 1600
ROUNDS = 320
CONNECTIONS = 32
WARMUP = 320  # counted, then zeroed: every path is warm when counting starts
START_TIMEOUT = 180.0  # a server starts 20-50 times slower under callgrind
TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)
# Under callgrind a webhook takes far longer than the default 5 s allows when 32 rounds run at once.
MOCK_FLAGS = ("--seed", "1", "--webhook-timeout", "120")


def callgrind(name: str, argv: list[str], workdir: Path) -> tuple[Server, Path]:
    out = workdir / f"{name}.callgrind"
    grind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    port = free_port()
    return Server(name, [*grind, *argv(port)], port, workdir / f"{name}.log"), out


def control(server: Server, *command: str) -> None:
    subprocess.run(
        ["callgrind_control", *command, str(server.proc.pid)], check=True, capture_output=True, timeout=120
    )


def counted(out: Path) -> int:
    """The instructions in the first dump `callgrind_control -d` wrote."""
    found = TOTALS.search(Path(f"{out}.1").read_text(errors="replace"))
    if not found:
        raise RuntimeError(f"no totals in {out}.1")
    return int(found.group(1))


async def requests(server: Server, method: str, path: str, body: bytes, count: int) -> None:
    """`count` requests with the same signed headers (a replay after the first, as under wrk)."""
    headers = signed(method, path, body)

    async def one_connection(http: aiohttp.ClientSession, n: int) -> None:
        for _ in range(n):
            async with http.request(method, server.url + path, data=body, headers=headers) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"{server.name}: {method} {path} answered {answer.status}")
                await answer.read()

    await _each_connection(one_connection, count)


async def rounds(server: Server, count: int) -> None:
    """`count` rounds, each connection playing on a session of its own."""

    async def play(http: aiohttp.ClientSession, n: int, index: int) -> None:
        body = compact({"session_id": f"instr-{index}", "amount": 0.1})
        headers = signed("POST", BET, body)
        for _ in range(n):
            async with http.post(server.url + BET, data=body, headers=headers) as answer:
                found = await answer.json()
                if answer.status != 200 or found["round"]["status"] != "settled":
                    raise RuntimeError(f"a round did not settle: {answer.status} {found}")

    await _each_connection(play, count, numbered=True)


async def _each_connection(work, count: int, numbered: bool = False) -> None:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(600)) as http:
        share = max(1, count // CONNECTIONS)
        await asyncio.gather(*(work(http, share, *((i,) if numbered else ())) for i in range(CONNECTIONS)))


async def launch_sessions(server: Server) -> None:
    for i in range(CONNECTIONS):
        body = {"session_id": f"instr-{i}", "player_id": f"p-{i}", "game_id": "lotterix", "currency": "USD"}
        if (await fetch(server.url + launch.PATH, "POST", compact(body)))[0] != 200:
            raise RuntimeError("a launch failed")


async def per_unit(name: str, argv, workdir: Path, send, units: int, prepare=None) -> int:
    """Instructions per unit of `send(server, n)` for the server `argv(port)` starts."""
    server, out = callgrind(name, argv, workdir)
    try:
        await server.healthy(timeout=START_TIMEOUT, every=0.2)
        if prepare is not None:
            await prepare(server)
        await send(server, CONNECTIONS * 2)
        control(server, "-i", "on")
        await send(server, WARMUP)
        control(server, "-z")
        await send(server, units)
        control(server, "-d")
        return round(counted(out) / units)
    finally:
        server.stop()


def counted_mock(workdir: Path, name: str):
    """The command line of a mock to count, for the port callgrind's server is given."""
    return lambda port: mock_argv(port, workdir / f"{name}.db", *MOCK_FLAGS)


async def route(workdir: Path, name: str, method: str, path: str, body: bytes) -> dict:
    # The ceiling answers the mock's bytes: take them from a mock started the usual way.
    plain = Server.mock(workdir)
    try:
        await plain.healthy()
        content_type, answer = await mock_answer(plain, method, path, body)
    finally:
        plain.stop()
    answer_file = workdir / f"{name}.answer"
    answer_file.write_bytes(answer)

    def send(server: Server, n: int) -> asyncio.Future:
        return requests(server, method, path, body, n)

    def bare(port: int) -> list[str]:
        return bare_argv(port, method, path, answer_file, content_type)

    mock = await per_unit(f"mock-{name}", counted_mock(workdir, name), workdir, send, REQUESTS)
    ceiling = await per_unit(f"ceiling-{name}", bare, workdir, send, REQUESTS)
    ratio = round(ceiling / mock, 3)
    print(f"{name:8} mock {mock:>11,} instructions a request, ceiling {ceiling:>9,}: ratio {ratio:.3f}")
    return {"mock": mock, "ceiling": ceiling, "ratio": ratio, "requests": REQUESTS}


MEASURES = ["catalog", "launch", "rounds"]  # run alone, `bench/instructions.py launch` counts only that one


async def measure(args, workdir: Path) -> dict:
    missing = [tool for tool in ("valgrind", "callgrind_control") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"needs {', '.join(missing)} (Debian's package valgrind)")
    results, rows = {}, []
    if "catalog" in MEASURES:
        results["catalog"] = await route(workdir, "catalog", "GET", catalog.PATH, b"")
    if "launch" in MEASURES:
        results["launch"] = await route(workdir, "launch", "POST", launch.PATH, launch.BODY)
    for name, r in results.items():
        figure = f"{r['mock']:,}; {r['ceiling']:,} a request, ratio {r['ratio']:.3f}"
        rows.append(row(f"instructions: signed {name} (mock; ceiling)", figure))
    if "rounds" in MEASURES:
        argv = counted_mock(workdir, "rounds")
        per_round = await per_unit("mock-rounds", argv, workdir, rounds, ROUNDS, prepare=launch_sessions)
        results["rounds"] = {"mock": per_round, "rounds": ROUNDS}
        print(
            f"rounds   mock {per_round:>11,} instructions a round (bet and win webhooks to the reference wallet)"
        )
        rows.append(row("instructions: sandbox round, bet + win webhooks", f"{per_round:,} a round"))
    return {"measure": "instructions", "results": results, "rows": rows}


if __name__ == "__main__":
    chosen = [a for a in sys.argv[1:] if a in MEASURES]
    MEASURES[:] = chosen or MEASURES
    raise SystemExit(run("instructions", measure, [a for a in sys.argv[1:] if a not in MEASURES]))
