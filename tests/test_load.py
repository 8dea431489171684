"""Load: 200 concurrent clients of mixed traffic (launches, catalog reads, sandbox rounds) against a mock
subprocess over loopback for a few seconds: no error, no lost round, memory roughly flat.

Every client is an operator's backend with its own player and session: it relaunches its session, reads
the catalog (a page, the featured games, a game's detail) and plays sandbox rounds against the mock's own
reference wallet, in a seeded mix. The wallet shares the mock's process, so a round's webhook calls queue
behind the very load they are part of: the mock runs with a webhook timeout of 30 s, not the default 5 s,
lest queueing be taken for an operator that does not answer.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import aiohttp
import pytest

from netspace_mock import signing
from support import API_KEY, SECRET, free_port, serve_process, wait_healthy

pytestmark = pytest.mark.slow  # seconds of load by design

CLIENTS = 200
WARMUP, DURATION = 1.0, 4.0
RSS_GROWTH_LIMIT = 30 * 2**20  # bytes the server may grow by between the two halves of the window
KINDS, WEIGHTS = ("launch", "catalog", "round"), (1, 3, 2)
CATALOG_PATHS = (
    "/api/games/catalog",
    "/api/games/catalog?page=2&per_page=10",
    "/api/games/catalog?category=lottery&currency=USD",
    "/api/games/featured",
    "/api/games/lotterix",
    "/api/game/currencies",
)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Client:
    """One operator backend: signs every request, plays on its own session."""

    def __init__(self, http: aiohttp.ClientSession, base: str, n: int, seed: float) -> None:
        self.http, self.base, self.rng = http, base, random.Random(seed)
        self.session_id, self.player_id = f"load-session-{n}", f"load-player-{n}"

    async def send(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = signing.headers(API_KEY, SECRET, int(time.time()), method, path, raw)
        async with self.http.request(method, self.base + path, data=raw or None, headers=headers) as resp:
            return resp.status, await resp.json()

    async def launch(self) -> tuple[int, dict]:
        body = {"session_id": self.session_id, "player_id": self.player_id, "game_id": "lotterix"}
        return await self.send("POST", "/api/game/launch", {**body, "currency": "USD"})

    async def do(self, kind: str, rounds: dict[str, str]) -> str:
        """One request of this kind; '' when it went as it must, else what went wrong."""
        if kind == "launch":
            status, answer = await self.launch()
            return "" if status == 200 and answer["session_id"] == self.session_id else f"launch {status}"
        if kind == "catalog":
            status, _ = await self.send("GET", self.rng.choice(CATALOG_PATHS))
            return "" if status == 200 else f"catalog {status}"
        status, answer = await self.send(
            "POST", "/api/sandbox/game/bet", {"session_id": self.session_id, "amount": 0.1}
        )
        if status != 200:
            return f"round {status}: {answer.get('error', {}).get('code')}"
        rounds[answer["round"]["round_id"]] = answer["round"]["status"]
        return "" if answer["round"]["status"] == "settled" else f"round {answer['round']['status']}"


async def test_200_concurrent_clients_of_mixed_traffic(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ("--port", str(port), "--db", str(tmp_path / "load.db"), "--webhook-timeout", "30")
    proc = serve_process(*args)
    done: dict[str, int] = dict.fromkeys(KINDS, 0)
    errors: list[str] = []
    rounds: dict[str, str] = {}  # round_id -> status as answered
    rss: list[tuple[float, int]] = []  # (seconds into the window, bytes)
    try:
        connector = aiohttp.TCPConnector(limit=CLIENTS)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(30)) as http:
            await wait_healthy(http, base, proc)
            rng = random.Random(7)
            clients = [Client(http, base, n, rng.random()) for n in range(CLIENTS)]
            for chunk in range(0, CLIENTS, 50):
                answers = await asyncio.gather(*(c.launch() for c in clients[chunk : chunk + 50]))
                assert all(status == 200 for status, _ in answers)
            loop = asyncio.get_running_loop()
            start = loop.time() + WARMUP
            end = start + DURATION

            async def work(client: Client) -> None:
                while loop.time() < end:
                    kind = client.rng.choices(KINDS, WEIGHTS)[0]
                    try:
                        problem = await client.do(kind, rounds)
                    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
                        problem = f"{kind} {type(exc).__name__}: {exc}"
                    if problem:
                        errors.append(problem)  # a warm-up error is an error too
                    elif start <= loop.time() <= end:
                        done[kind] += 1

            async def watch() -> None:
                await asyncio.sleep(WARMUP)
                while loop.time() <= end:
                    rss.append((loop.time() - start, rss_bytes(proc.pid)))
                    await asyncio.sleep(0.25)

            await asyncio.gather(watch(), *(work(c) for c in clients))
            stored = await acknowledged_bets(clients[0])
            _, stats = await clients[0].send("GET", "/api/sandbox/stats")
    finally:
        proc.terminate()
        proc.wait(10)
    print(
        f"\n{CLIENTS} clients, {DURATION:g} s: {done}, {len(rounds)} rounds, RSS {[r for _, r in rss][::4]}"
    )
    assert errors == [], sorted(set(errors))[:5]
    assert all(done[kind] > 0 for kind in KINDS)
    # No lost round: every round a client was answered is in the mock, and settled.
    assert rounds and set(rounds) <= stored and set(rounds.values()) == {"settled"}
    counts = stats["stats"]["rounds"]
    assert counts["open"] == 0 and counts["settled"] == counts["total"], counts
    # Memory roughly flat: what the second half adds to the first is bounded.
    first_half = [size for at, size in rss if at <= DURATION / 2]
    second_half = [size for at, size in rss if at > DURATION / 2]
    assert first_half and second_half
    assert max(second_half) - max(first_half) < RSS_GROWTH_LIMIT, rss


async def acknowledged_bets(client: Client) -> set[str]:
    """The round ids of every acknowledged bet delivery in the mock."""
    stored: set[str] = set()
    page = 1
    while True:
        path = f"/api/sandbox/deliveries?action=bet&status=acknowledged&per_page=500&page={page}"
        status, answer = await client.send("GET", path)
        assert status == 200, answer
        stored |= {d["round_id"] for d in answer["deliveries"]}
        if page >= answer["pagination"]["total_pages"]:
            return stored
        page += 1
