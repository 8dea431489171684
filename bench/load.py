"""Benchmark: many concurrent clients of mixed traffic — launches, catalog reads, sandbox rounds — against
one mock over loopback, with its memory watched.

Every client is an operator's backend with its own player and session: it relaunches its session, reads
the catalog (a page, the featured games, a game's detail) and plays sandbox rounds against the mock's own
reference wallet, in a seeded mix. The run reports requests per second, p50 and p99 per kind, every error,
and the server's resident memory (RSS) at the start, the middle and the end of the measured window; then
it checks that no round was lost: every round a client was answered exists and is settled.

The webhook is the mock's own reference wallet, in the same process: a round's webhook calls queue behind
the very load they are part of, so the mock runs with a webhook timeout of 30 s (WEBHOOK_TIMEOUT), not
the default 5 s, lest queueing be taken for an operator that does not answer.

`tests/test_load.py` runs the same code for a few seconds; this script for 60 s by default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from common import (
    LOOPBACK,
    Cores,
    ServerProcess,
    add_report_options,
    environment,
    free_port,
    mock_argv,
    parse_options,
    percentile,
    rss_bytes,
    run_async,
    running,
    save_report,
    signed_headers,
    summary_row,
    utc_stamp,
)

NAME = "load"
KINDS = ("launch", "catalog", "round")
WEIGHTS = (1, 3, 2)  # per kind, in KINDS order
MAX_CLIENTS = 1000
MAX_DURATION = 600.0
REQUEST_TIMEOUT = 30.0
RSS_EVERY = 0.25  # seconds between two samples of the server's memory
WEBHOOK_TIMEOUT = 30.0
CATALOG_PATHS = (
    "/api/games/catalog",
    "/api/games/catalog?page=2&per_page=10",
    "/api/games/catalog?category=lottery&currency=USD",
    "/api/games/featured",
    "/api/games/lotterix",
    "/api/game/currencies",
)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    rounds: dict[str, str] = field(default_factory=dict)  # round_id -> status as answered
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds into the window, bytes)
    seconds: float = 0.0

    def summary(self) -> dict:
        kinds = {}
        for kind in KINDS:
            done = sorted(self.latencies[kind])
            kinds[kind] = {
                "requests": len(done),
                "errors": len(self.errors[kind]),
                "rps": round(len(done) / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": _ms(percentile(done, 50)),
                "p99_ms": _ms(percentile(done, 99)),
                "error_samples": sorted(set(self.errors[kind]))[:5],
            }
        total = sum(k["requests"] for k in kinds.values())
        return {
            "seconds": round(self.seconds, 3),
            "requests": total,
            "rps": round(total / self.seconds, 1) if self.seconds else 0.0,
            "errors": sum(k["errors"] for k in kinds.values()),
            "kinds": kinds,
            "rounds": len(self.rounds),
            "rss_mb": {
                "start": _mb(self.rss[0][1]) if self.rss else None,
                "middle": _mb(self._rss_at(0.5)),
                "end": _mb(self.rss[-1][1]) if self.rss else None,
                "max": _mb(max(r for _, r in self.rss)) if self.rss else None,
            },
        }

    def _rss_at(self, share: float) -> int | None:
        if not self.rss:
            return None
        target = self.seconds * share
        return min(self.rss, key=lambda sample: abs(sample[0] - target))[1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _mb(size: int | None) -> float | None:
    return None if size is None else round(size / 2**20, 1)


class Client:
    """One operator backend: signs with the default credentials, plays on its own session."""

    def __init__(self, http: aiohttp.ClientSession, base: str, n: int, rng: random.Random) -> None:
        self.http, self.base, self.rng = http, base, rng
        self.session_id, self.player_id = f"load-session-{n}", f"load-player-{n}"

    async def send(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = signed_headers(method, path, raw)
        async with self.http.request(method, self.base + path, data=raw or None, headers=headers) as resp:
            return resp.status, await resp.json()

    async def launch(self) -> tuple[int, dict]:
        body = {
            "session_id": self.session_id,
            "player_id": self.player_id,
            "game_id": "lotterix",
            "currency": "USD",
        }
        return await self.send("POST", "/api/game/launch", body)

    async def do(self, kind: str, tally: Tally) -> str:
        """One request of this kind; '' when it went as it must, else what went wrong."""
        if kind == "launch":
            status, answer = await self.launch()
            return (
                "" if status == 200 and answer["session_id"] == self.session_id else f"launch HTTP {status}"
            )
        if kind == "catalog":
            status, _ = await self.send("GET", self.rng.choice(CATALOG_PATHS))
            return "" if status == 200 else f"catalog HTTP {status}"
        body = {"session_id": self.session_id, "amount": 0.1}
        status, answer = await self.send("POST", "/api/sandbox/game/bet", body)
        if status != 200:
            return f"round HTTP {status}: {answer.get('error', {}).get('code')}"
        tally.rounds[answer["round"]["round_id"]] = answer["round"]["status"]
        return "" if answer["round"]["status"] == "settled" else f"round {answer['round']['status']}"


async def drive(
    base: str,
    clients: int,
    duration: float,
    *,
    warmup: float = 1.0,
    seed: int = 7,
    rss: Callable[[], int | None] = lambda: None,
) -> Tally:
    """`clients` concurrent clients for warmup + duration seconds; what completes in the measured window
    is tallied. Every client launches its session first (not measured)."""
    if not 1 <= clients <= MAX_CLIENTS or not 0 < duration <= MAX_DURATION:
        raise ValueError(f"clients must be in [1, {MAX_CLIENTS}] and duration in (0, {MAX_DURATION}]")
    if not base.startswith(f"http://{LOOPBACK}:"):
        raise ValueError(f"load is only generated against http://{LOOPBACK}:PORT, not {base}")
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        rng = random.Random(seed)
        workers = [Client(http, base, n, random.Random(rng.random())) for n in range(clients)]
        for chunk in range(0, clients, 50):
            answers = await asyncio.gather(*(w.launch() for w in workers[chunk : chunk + 50]))
            if any(status != 200 for status, _ in answers):
                raise RuntimeError(f"a launch failed: {[a for s, a in answers if s != 200][:1]}")
        loop = asyncio.get_running_loop()
        start = loop.time()
        window_start, window_end = start + warmup, start + warmup + duration

        async def work(client: Client) -> None:
            while loop.time() < window_end:
                kind = client.rng.choices(KINDS, WEIGHTS)[0]
                began = loop.time()
                try:
                    problem = await client.do(kind, tally)
                except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
                    problem = f"{kind} {type(exc).__name__}: {exc}"
                done = loop.time()
                if window_start <= done <= window_end:
                    (
                        tally.errors[kind].append(problem)
                        if problem
                        else tally.latencies[kind].append(done - began)
                    )
                elif problem:  # a warm-up error is an error too
                    tally.errors[kind].append(problem)

        async def watch() -> None:
            await asyncio.sleep(warmup)
            while loop.time() <= window_end:
                sample = rss()
                if sample is not None:
                    tally.rss.append((loop.time() - window_start, sample))
                await asyncio.sleep(RSS_EVERY)

        await asyncio.gather(watch(), *(work(c) for c in workers))
        tally.seconds = duration
    return tally


async def lost_rounds(base: str, rounds: dict[str, str]) -> list[str]:
    """Every round a client was answered must be in the mock, and settled: what is not, in words."""
    problems = []
    async with aiohttp.ClientSession() as http:
        client = Client(http, base, 0, random.Random(0))
        stored: set[str] = set()
        page = 1
        while True:
            status, answer = await client.send(
                "GET", f"/api/sandbox/deliveries?action=bet&status=acknowledged&per_page=500&page={page}"
            )
            if status != 200:
                return [f"cannot list the deliveries: HTTP {status}"]
            stored |= {d["round_id"] for d in answer["deliveries"]}
            if page >= answer["pagination"]["total_pages"]:
                break
            page += 1
        _, stats = await client.send("GET", "/api/sandbox/stats")
    missing = set(rounds) - stored
    if missing:
        problems.append(f"{len(missing)} answered rounds are not in the mock, e.g. {sorted(missing)[:3]}")
    unsettled = [r for r, s in rounds.items() if s != "settled"]
    if unsettled:
        problems.append(f"{len(unsettled)} rounds were answered unsettled")
    counts = stats["stats"]["rounds"]
    if counts["open"] or counts["settled"] != counts["total"]:
        problems.append(f"rounds in the mock are not all settled: {counts}")
    return problems


def report(summary: dict, clients: int) -> str:
    lines = [
        f"{clients} concurrent clients, {summary['seconds']:g} s measured: {summary['requests']} requests, "
        f"{summary['rps']:.0f} req/s, {summary['errors']} errors, {summary['rounds']} rounds",
        f"{'kind':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for kind, k in summary["kinds"].items():
        lines.append(
            f"{kind:<8} {k['rps']:>8.1f} {k['p50_ms'] or 0:>8.1f} {k['p99_ms'] or 0:>8.1f} {k['errors']:>7}"
        )
    rss = summary["rss_mb"]
    lines.append(
        f"server RSS MB: start {rss['start']}, middle {rss['middle']}, end {rss['end']}, max {rss['max']}"
    )
    return "\n".join(lines)


def server_argv(port: int, db: Path) -> list[str]:
    return mock_argv(port, db, "--webhook-timeout", str(WEBHOOK_TIMEOUT))


async def run(args: argparse.Namespace, workdir: Path, cores: Cores) -> tuple[dict, list[str]]:
    port = free_port()
    argv = server_argv(port, workdir / "load.db")
    mock = ServerProcess("mock", argv, port, cores, workdir / "mock.log")
    with running([mock]):
        await mock.wait_healthy()
        tally = await drive(
            mock.base_url,
            args.clients,
            args.duration,
            warmup=args.warmup,
            seed=args.seed,
            rss=lambda: rss_bytes(mock.proc.pid),
        )
        problems = await lost_rounds(mock.base_url, tally.rounds)
    return tally.summary(), problems


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument(
        "--clients",
        "--connections",
        dest="clients",
        type=int,
        default=200,
        help="concurrent clients (default 200)",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first (default 2)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the traffic mix (default 7)")
    add_report_options(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parse_options(options(), argv)
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    code, found = run_async(NAME, lambda tmp: run(args, tmp, cores))
    if found is None:
        return code
    summary, problems = found
    print(report(summary, args.clients))
    for problem in problems:
        print(f"LOST: {problem}")
    for kind, k in summary["kinds"].items():
        for sample in k["error_samples"]:
            print(f"error ({kind}): {sample}")
    record = {
        "benchmark": NAME,
        "started_at": started,
        "environment": environment(cores),
        "load": {
            "clients": args.clients,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "seed": args.seed,
        },
        "summary": summary,
        "lost_rounds": problems,
        "summary_rows": [
            summary_row(
                f"mixed load: {args.clients} clients (launches, catalog, rounds)",
                f"{summary['rps']:,.0f} req/s, {summary['errors']} errors, "
                + (f"lost rounds: {'; '.join(problems)}" if problems else "no lost round"),
                "0 errors, no lost round",
                not summary["errors"] and not problems and bool(summary["requests"]),
                rps=summary["rps"],
                errors=summary["errors"],
                lost_rounds=problems,
            )
        ],
    }
    save_report(NAME, started, record, args)
    return 1 if problems or summary["errors"] or not summary["requests"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
