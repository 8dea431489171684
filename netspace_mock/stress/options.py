"""The options of `netspace-mock stress` and their bounds (kept apart so that the command line is built
without importing the driver)."""

from __future__ import annotations

import argparse

MAX_ROUNDS, DEFAULT_ROUNDS = 100_000, 1_000
MAX_DURATION = 600.0
MAX_PLAYERS, MAX_CONCURRENCY = 10_000, 256


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--webhook-url", required=True, help="the operator's webhook URL")
    add("--players", type=int, default=10, help="players stress-player-1…N (default 10)")
    add("--players-file", default=None, help="a file of player ids, one a line (instead of --players)")
    add("--currency", default="USD", help="the players' currency (default USD)")
    add(
        "--rounds",
        type=int,
        default=None,
        help=f"rounds to play (default {DEFAULT_ROUNDS}; at most {MAX_ROUNDS})",
    )
    add("--duration", type=float, default=None, help=f"seconds to play at most (at most {MAX_DURATION:g})")
    add(
        "--concurrency",
        type=int,
        default=8,
        help="turns in flight at once: a round, or two of one player when interleaved (default 8)",
    )
    add(
        "--rate",
        type=float,
        default=None,
        help="rounds a second to start at most (default: as fast as answered)",
    )
    add(
        "--mix",
        default=None,
        help="shares, e.g. win=40,lose=50,refund=5,rollback=5,bet_timeout=2,"
        "duplicate_win=2,retry_win=2,interleave=10 (names not given keep these defaults)",
    )
    add("--json", dest="json_file", default=None, help="write the report to this file")
    add("--junit", dest="junit_file", default=None, help="write JUnit XML to this file")
    add("--quiet", action="store_true", help="no progress line")
