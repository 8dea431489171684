"""Signed POST /api/game/launch (a SQLite write) against a bare aiohttp app that reads the body and
answers a launch's bytes (the ceiling), in alternating slices of the same run; target: 0.25 of it.

Every request relaunches the same session: the same write path whatever the count, and a request that
stays byte for byte the same for wrk. Every answer has a new launch token of the same length.
"""

import sys

from catalog import route
from common import compact, run

PATH = "/api/game/launch"
BODY = compact(
    {"session_id": "bench-launch", "player_id": "bench-player", "game_id": "lotterix", "currency": "USD"}
)
TARGET = 0.25


async def measure(args, workdir) -> dict:
    return await route(args, workdir, "launch", "POST", PATH, BODY, TARGET)


if __name__ == "__main__":
    raise SystemExit(run("launch", measure, sys.argv[1:]))
