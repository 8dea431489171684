"""Signed GET /api/games/catalog on the mock against a bare aiohttp app serving the same bytes (the
ceiling), both on the server core, in alternating slices of the same run; target: 0.60 of the ceiling."""

import contextlib
import sys

from common import alternate, figure, mock_and_ceiling, row, run

PATH = "/api/games/catalog"
TARGET = 0.60


async def route(args, workdir, name, method, path, body, target) -> dict:
    """The mock's `method path` against its ceiling: the report of catalog.py and launch.py."""
    with contextlib.ExitStack() as stack:
        mock, ceiling, answer = await mock_and_ceiling(stack, workdir, method, path, body)
        found = await alternate({"mock": mock, "ceiling": ceiling}, path, args, method, body)
    ratio = round(found["mock"]["rps"] / found["ceiling"]["rps"], 3)
    rows = [
        row(f"ceiling: bare aiohttp, {method} {path} bytes", figure(found["ceiling"])),
        row(
            f"signed {method} {path}",
            f"{figure(found['mock'])}, ratio {ratio:.3f}",
            f"ratio >= {target:.2f}",
            ratio >= target and not found["mock"]["errors"],
        ),
    ]
    return {"measure": name, "response_bytes": len(answer), "results": found, "ratio": ratio, "rows": rows}


async def measure(args, workdir) -> dict:
    return await route(args, workdir, "catalog", "GET", PATH, b"", TARGET)


if __name__ == "__main__":
    raise SystemExit(run("catalog", measure, sys.argv[1:]))
