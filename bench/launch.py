"""Benchmark: signed POST /api/game/launch (a SQLite write), against a bare aiohttp app answering its bytes.

Every request relaunches one session: the mock checks the signature, validates the body against its
schema, reads the session, records the player's visit (and, in one transaction with it, updates the
session when a field is new), then answers the game_url with a fresh launch token, made from the session
(not stored). The ceiling reads the body and discards it, then answers the bytes of one of the mock's
answers (every answer has a new token, of the same length). Both servers run on
the same single core and are measured in alternating slices, the load generator on another core.
"""

from __future__ import annotations

import argparse
import json
import sys

from common import build_parser, route_main

NAME = "launch"
TARGET_RATIO = 0.25  # of the ceiling's req/s: a write through aiosqlite
PATH = "/api/game/launch"
# Always the same session: the first request creates it, every other one relaunches it (the same write
# path, whatever the number of requests), and the request stays byte for byte the same for wrk.
BODY = json.dumps(
    {"session_id": "bench-launch", "player_id": "bench-player", "game_id": "lotterix", "currency": "USD"},
    separators=(",", ":"),
).encode()


def options() -> argparse.ArgumentParser:
    return build_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> int:
    return route_main(NAME, options(), "POST", PATH, BODY, argv, TARGET_RATIO)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
