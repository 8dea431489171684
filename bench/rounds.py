"""Sandbox rounds per second: each round is one signed POST /api/sandbox/game/bet, which makes the mock
call the webhook for the bet and the win before it answers. The wallet is the mock's own reference wallet,
so the one server core does the platform's and the operator's work; target: 300 rounds/s.

Each connection plays on a session of its own, one round after another, with aiohttp (wrk could not check
that every round is settled); the load runs on the other core.
"""

import contextlib
import json
import sys

from common import Server, compact, fetch, figure, merge, python_load, row, run

BET = "/api/sandbox/game/bet"
TARGET = 300.0


def settled(answer: bytes) -> bool:
    return json.loads(answer)["round"]["status"] == "settled"


async def measure(args, workdir) -> dict:
    with contextlib.ExitStack() as stack:
        mock = Server.mock(workdir)
        stack.callback(mock.stop)
        await mock.healthy()
        bets = []
        for n in range(args.connections):
            launch = {
                "session_id": f"bench-{n}",
                "player_id": f"player-{n}",
                "game_id": "lotterix",
                "currency": "USD",
            }
            if (await fetch(mock.url + "/api/game/launch", "POST", compact(launch)))[0] != 200:
                raise RuntimeError("a launch failed")
            bets.append(compact({"session_id": f"bench-{n}", "amount": 0.1}))
        await python_load(mock.url + BET, "POST", bets, args.warmup, check=settled)
        cpu = mock.cpu_seconds()
        found = await python_load(mock.url + BET, "POST", bets, args.duration, check=settled)
        rounds = merge([{**found, "server_cpu_s": mock.cpu_seconds() - cpu}])
    passed = rounds["rps"] >= TARGET and not rounds["errors"]
    text = figure(rounds, "rounds/s")
    return {
        "measure": "rounds",
        "results": rounds,
        "rows": [
            row(
                "sandbox rounds, bet + win webhooks to the reference wallet",
                text,
                f">= {TARGET:g} rounds/s",
                passed,
            )
        ],
    }


if __name__ == "__main__":
    raise SystemExit(run("rounds", measure, sys.argv[1:]))
