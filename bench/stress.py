"""The stress driver against a bare client: `netspace-mock stress` (its rounds as the engine plays them,
signed, classified and reconciled) and a bare aiohttp loop posting pre-signed bet and win bodies, each
at --connections rounds in flight, to the mock's reference wallet in another process (the server core).
Both run in this process, on the load core, in alternating slices; target: the driver reaches at least
half the bare loop's rounds a second ("driver ratio").
"""

import asyncio
import sys
import time

import aiohttp
from common import Server, row, run

from netspace_mock.domain.rounds import deliveries
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids
from netspace_mock.store.rounds import Round
from netspace_mock.stress import plan as plans
from netspace_mock.stress.command import play
from netspace_mock.stress.plan import Mix
from netspace_mock.stress.record import Config
from netspace_mock.stress.runner import Source, session_id
from netspace_mock.webhooks.client import signed_headers

TARGET = 0.5
MIX = Mix.parse("win=50,lose=50,refund=0,rollback=0,bet_timeout=0,duplicate_win=0,retry_win=0,interleave=0")
DEFAULTS = Settings()


def players(connections: int) -> tuple[str, ...]:
    return tuple(f"stress-player-{n}" for n in range(1, 4 * connections + 1))


def config(url: str, args, seconds: float, seed: int) -> Config:
    return Config(
        url=url,
        api_key=DEFAULTS.api_key,
        secret=DEFAULTS.secret_key,
        currency="USD",
        players=players(args.connections),
        rounds=100_000,
        duration=seconds,
        concurrency=args.connections,
        rate=None,
        mix=MIX,
        seed=seed,
        settings=DEFAULTS,
    )


def signed_rounds(cfg: Config, count: int, seed: int) -> list[tuple[tuple[bytes, dict], tuple[bytes, dict]]]:
    """`count` rounds' bet and win, built by the engine's builders and signed now, before the clock runs."""
    clock, built = Clock(), []
    for turn in plans.turns(seed, list(cfg.players), cfg.currency, cfg.mix, count):
        for r in turn.rounds:
            ids = Ids(r.ids_seed)
            rnd = Round(
                0,
                ids.make("round_", 24),
                session_id(r.player_id, 1),
                r.player_id,
                cfg.game_id,
                cfg.currency,
                "real",
                r.amount,
                r.outcome,
                r.win_amount,
                {},
                "open",
                None,
                None,
                clock.now(),
                None,
            )
            source = Source(clock, ids)
            bet = deliveries.delivery(source, rnd, rnd, "bet", ids.make("txn_"), r.amount)
            win = deliveries.follow_up(source, rnd, bet, rnd, "win")
            built.append(tuple(_signed(cfg, d.body.encode(), clock) for d in (bet, win)))
    return built


def _signed(cfg: Config, body: bytes, clock: Clock) -> tuple[bytes, dict]:
    return body, signed_headers(cfg.api_key, cfg.secret, cfg.url, body, clock.now())


async def bare(cfg: Config, rounds: list, seconds: float) -> dict:
    """The bare loop: post each round's bet, then its win, and count the rounds whose both answers were
    a success; nothing is parsed, classified or reconciled."""
    queue = iter(rounds)
    done = errors = 0
    began = time.perf_counter()

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal done, errors
        while time.perf_counter() - began < seconds:
            pair = next(queue, None)
            if pair is None:
                raise RuntimeError("the bare loop ran out of signed rounds: build more")
            ok = True
            for body, headers in pair:
                async with http.post(cfg.url, data=body, headers=headers) as response:
                    answer = await response.read()
                    ok = ok and response.status == 200 and b'"success":true' in answer
            done += ok
            errors += not ok

    connector = aiohttp.TCPConnector(limit=2 * cfg.concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(worker(http) for _ in range(cfg.concurrency)))
    return {"rounds": done, "errors": errors, "seconds": time.perf_counter() - began}


async def driven(cfg: Config) -> dict:
    report = await play(cfg)
    if not report["passed"]:
        raise RuntimeError(
            f"the stress run against the reference wallet did not reconcile: {report['errors']}"
        )
    return {"rounds": report["rounds"]["played"], "errors": 0, "seconds": report["duration_s"]}


def rate(samples: list[dict]) -> float:
    return round(sum(s["rounds"] for s in samples) / max(sum(s["seconds"] for s in samples), 1e-9), 1)


async def measure(args, workdir) -> dict:
    listed = ",".join(f"{p}:USD" for p in players(args.connections))
    mock = Server.mock(workdir, "--wallet-test-players", listed, "--wallet-initial-balance", "1000000000")
    try:
        await mock.healthy()
        url = mock.url + "/operator/webhook"
        slices = max(1, args.slices)
        seconds = args.duration / slices
        # Enough signed rounds for the bare loop to run flat out: a generous guess, checked as it runs.
        cfg = config(url, args, seconds, seed=1)
        warm = await driven(config(url, args, max(args.warmup, 0.2), seed=2))
        per_slice = int(max(warm["rounds"] / max(warm["seconds"], 1e-9), 500) * seconds * 4) + 200
        samples: dict[str, list[dict]] = {"stress": [], "bare": []}
        for index in range(slices):
            order = ("stress", "bare") if index % 2 == 0 else ("bare", "stress")
            for name in order:
                if name == "stress":
                    samples[name].append(await driven(config(url, args, seconds, seed=100 + index)))
                else:
                    signed = signed_rounds(cfg, per_slice, seed=1000 + index)
                    samples[name].append(await bare(cfg, signed, seconds))
    finally:
        mock.stop()
    driver, ceiling = rate(samples["stress"]), rate(samples["bare"])
    ratio = driver / ceiling if ceiling else 0.0
    results = {
        "stress_rounds_per_s": driver,
        "bare_rounds_per_s": ceiling,
        "ratio": round(ratio, 3),
        "bare_errors": sum(s["errors"] for s in samples["bare"]),
    }
    figure = f"{ratio:.2f} ({driver:,.0f} vs {ceiling:,.0f} rounds/s, bet + win each)"
    return {
        "measure": "stress",
        "results": results,
        "rows": [
            row(
                "driver ratio: stress vs a bare aiohttp loop, reference wallet",
                figure,
                f">= {TARGET:g}",
                ratio >= TARGET and not results["bare_errors"],
            )
        ],
    }


if __name__ == "__main__":
    raise SystemExit(run("stress", measure, sys.argv[1:]))
