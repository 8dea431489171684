"""Benchmark: signed GET /api/games/catalog on the mock, against a bare aiohttp app serving the same bytes.

The bare app is the ceiling: what aiohttp itself can do on one core for that response. The ratio says how
much of it the mock's pipeline (signature check, routing, query validation, catalog search, JSON) keeps.
Both servers run on the same single core and are measured in alternating slices; the load generator runs
on another core and sends the same signed request to both (the bare app ignores the headers), so the
client does the same work in both.
"""

from __future__ import annotations

import argparse
import sys

from common import build_parser, describe_load, load_report, load_spec, route_main
from common import signed_headers as sign

NAME = "catalog"
TARGET_RATIO = 0.60  # of the ceiling's req/s
PATH = "/api/games/catalog"
# peers.py measures this route beside other servers, with this benchmark's options: it takes them from here.
__all__ = [
    "PATH",
    "build_parser",
    "describe_load",
    "load_report",
    "load_spec",
    "main",
    "options",
    "signed_headers",
]


def signed_headers() -> dict[str, str]:
    """Headers of one signed GET PATH, now (the make_headers of peers.py)."""
    return sign("GET", PATH)


def options() -> argparse.ArgumentParser:
    return build_parser(__doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> int:
    return route_main(NAME, options(), "GET", PATH, b"", argv, TARGET_RATIO)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
