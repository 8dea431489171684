"""Instructions per request: the mock and its ceiling under valgrind's callgrind, for A/B comparisons.

On a VM whose speed moves from second to second, req/s of one version against another differ by more
than most optimisations do. callgrind counts the instructions a process executes, whatever else the
machine is doing: the same code, inputs and environment give the same count to about 0.2%. This runs
each server under callgrind with its instrumentation off, sends a warm-up, switches counting on, sends
another warm-up, zeroes the counters, then sends REQUESTS requests from CONNECTIONS connections (the raw
asyncio client, in this process) and dumps the counters: instructions per request. For signed
`GET /api/games/catalog` and `POST /api/game/launch`, and for bare aiohttp answering the same bytes (the
ceiling), and instructions per sandbox round (bet and win webhooks to the reference wallet).

What it does not count: time in the kernel (system calls, the loopback's network stack) and the cost
of cache misses, which are what makes a real ratio lower than the ratio of instructions. It is for
comparing two versions of the mock, not for the targets; `make bench` measures those. Needs valgrind
(Debian's package `valgrind`); about 25 s per server, 2 minutes in all. Usage: `make bench-instructions`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import catalog
import launch
from common import (
    Cores,
    RawConnection,
    ServerProcess,
    add_report_options,
    bare_argv,
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
from rounds import BET, post

NAME = "instructions"
REQUESTS = 1600
ROUNDS = 320
CONNECTIONS = 32
WARMUP = 320  # counted from, then zeroed: the code paths are warm when counting starts
START_TIMEOUT = 120.0  # a server starts 20-50 times slower under callgrind
TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)
TOOLS = ("valgrind", "callgrind_control")


def callgrind_argv(argv: list[str], out: Path) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *argv]


def control(server: ServerProcess, *command: str) -> None:
    subprocess.run(
        ["callgrind_control", *command, str(server.proc.pid)], check=True, capture_output=True, timeout=60
    )


def counted(out: Path) -> int:
    """The instructions in the dump made by `callgrind_control -d` (the first numbered part)."""
    text = Path(f"{out}.1").read_text(errors="replace")
    found = TOTALS.search(text)
    if not found:
        raise RuntimeError(f"no totals in {out}.1")
    return int(found.group(1))


async def requests(server: ServerProcess, method: str, path: str, body: bytes, count: int) -> None:
    headers = signed_headers(method, path, body)
    if body:
        headers["Content-Type"] = "application/json"

    async def one_connection(n: int) -> None:
        connection = RawConnection("127.0.0.1", server.port)
        try:
            for _ in range(n):
                status, answer = await connection.request(method, path, headers, body)
                if status != 200:
                    raise RuntimeError(f"{server.name}: {method} {path} answered {status}: {answer[:300]!r}")
        finally:
            connection.close()

    await asyncio.gather(*(one_connection(count // CONNECTIONS) for _ in range(CONNECTIONS)))


async def rounds(server: ServerProcess, count: int, sessions: list[str]) -> None:
    async def play(session: aiohttp.ClientSession, session_id: str) -> None:
        for _ in range(count // len(sessions)):
            status, answer = await post(
                session, server.base_url, BET, {"session_id": session_id, "amount": 0.1}
            )
            if status != 200 or answer["round"]["status"] != "settled":
                raise RuntimeError(f"a round did not settle: {status} {answer}")

    connector = aiohttp.TCPConnector(limit=len(sessions))
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(play(session, sid) for sid in sessions))


async def count_per_unit(
    name: str, argv: list[str], port: int, workdir: Path, cores: Cores, send, units: int, *, prepare=None
) -> int:
    """Instructions per unit of `send(server, n)` for the server of `argv`, measured as the module says."""
    out = workdir / f"{name}.callgrind"
    server = ServerProcess(name, callgrind_argv(argv, out), port, cores, workdir / f"{name}.log")
    with running([server]):
        await server.wait_healthy(timeout=START_TIMEOUT, interval=0.2)
        if prepare is not None:
            await prepare(server)
        await send(server, CONNECTIONS * 2)
        control(server, "-i", "on")
        await send(server, WARMUP)
        control(server, "-z")
        await send(server, units)
        control(server, "-d")
        return round(counted(out) / units)


async def measure(workdir: Path, cores: Cores) -> dict:
    results: dict[str, dict] = {}
    for route, method, path, body in (
        ("catalog", "GET", catalog.PATH, b""),
        ("launch", "POST", launch.PATH, launch.BODY),
    ):
        # The ceiling answers the mock's bytes: take them from a mock started the usual way.
        port = free_port()
        plain = ServerProcess(
            "mock", mock_argv(port, workdir / f"{route}-bytes.db"), port, cores, workdir / "m.log"
        )
        with running([plain]):
            await plain.wait_healthy()
            status, content_type, answer = await fetch(
                plain.base_url + path, signed_headers(method, path, body), method=method, body=body
            )
        if status != 200:
            raise RuntimeError(f"the mock answered {status} to {method} {path}")
        (workdir / f"{route}.body").write_bytes(answer)

        def send(server, n, method=method, path=path, body=body):
            return requests(server, method, path, body, n)

        port = free_port()
        mock = await count_per_unit(
            f"mock-{route}", mock_argv(port, workdir / f"{route}.db"), port, workdir, cores, send, REQUESTS
        )
        port = free_port()
        bare = bare_argv(port, path, workdir / f"{route}.body", method, content_type)
        ceiling = await count_per_unit(f"ceiling-{route}", bare, port, workdir, cores, send, REQUESTS)
        results[route] = {
            "mock_per_request": mock,
            "ceiling_per_request": ceiling,
            "ratio": round(ceiling / mock, 3),
            "requests": REQUESTS,
        }
        print(
            f"{route:8} mock {mock:>11,} instructions a request, ceiling {ceiling:>9,}: ratio {ceiling / mock:.3f}"
        )

    sessions = [f"instr-{i}" for i in range(CONNECTIONS)]

    async def launch_all(server: ServerProcess) -> None:
        async with aiohttp.ClientSession() as session:
            for i, sid in enumerate(sessions):
                payload = {"session_id": sid, "player_id": f"p-{i}", "game_id": "lotterix", "currency": "USD"}
                status, answer = await post(session, server.base_url, launch.PATH, payload)
                if status != 200:
                    raise RuntimeError(f"launch answered {status}: {answer}")

    port = free_port()
    per_round = await count_per_unit(
        "mock-rounds",
        mock_argv(port, workdir / "rounds.db"),
        port,
        workdir,
        cores,
        lambda server, n: rounds(server, max(n, CONNECTIONS), sessions),
        ROUNDS,
        prepare=launch_all,
    )
    results["rounds"] = {"mock_per_round": per_round, "rounds": ROUNDS}
    print(
        f"rounds   mock {per_round:>11,} instructions a round (bet and win webhooks to the reference wallet)"
    )
    return results


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    add_report_options(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parse_options(options(), argv)
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"{NAME}: needs {', '.join(missing)} (Debian's package valgrind)", file=sys.stderr)
        return 2
    cores = Cores.plan()
    cores.pin_generator()
    started, began = utc_stamp(), time.monotonic()
    code, results = run_async(NAME, lambda tmp: measure(tmp, cores))
    if results is None:
        return code
    rows = [
        summary_row(
            f"instructions: signed {route} (mock; ceiling)",
            f"{r['mock_per_request']:,}; {r['ceiling_per_request']:,} a request, ratio {r['ratio']:.3f}",
            **r,
        )
        for route, r in results.items()
        if route != "rounds"
    ]
    rounds_figure = f"{results['rounds']['mock_per_round']:,} a round"
    rows.append(summary_row("instructions: sandbox round (mock)", rounds_figure, **results["rounds"]))
    report = {
        "benchmark": NAME,
        "started_at": started,
        "seconds": round(time.monotonic() - began, 1),
        "environment": environment(cores),
        "results": results,
        "summary_rows": rows,
    }
    save_report(NAME, started, report, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
