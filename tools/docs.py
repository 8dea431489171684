"""Regenerates the parts of the docs that are derived from code: the configuration reference.

`make docs` writes them; `python tools/docs.py --check` (run by the test suite) fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from netspace_mock.api.routes import ROUTES
from netspace_mock.settings import reference_table

ROOT = Path(__file__).resolve().parent.parent
# The routes of the platform's guide; every other route is one the mock adds.
GUIDE_ROUTES = {
    "POST /api/game/launch",
    "POST /api/game/launch-demo",
    "GET /api/game/currencies",
    "GET /api/games/catalog",
    "GET /api/games/{gameId}",
    "GET /api/games/categories",
    "GET /api/games/featured",
    "POST /api/v1/freebets/assign",
    "POST /api/v1/freebets/status",
    "POST /api/v1/freebets/cancel",
    "POST /api/lotterix/jackpot/update",
    "POST /api/sandbox/game/launch",
    "GET /api/sandbox/game/balance",
    "POST /api/sandbox/game/bet",
    "GET /api/sandbox/stats",
    "POST /api/sandbox/reset",
    "GET /api/certification/tests",
    "POST /api/certification/run",
    "GET /api/certification/status",
}


def routes_table() -> str:
    rows = ["| route | what it does |", "| --- | --- |"]
    for route in ROUTES:
        name = f"{route.method} {route.path}"
        rows.append(f"| `{name}` | {route.summary}{'' if name in GUIDE_ROUTES else ' (the mock’s own)'} |")
    return "\n".join(rows)


# (marker name, generator, files holding that block)
BLOCKS = [
    ("settings", reference_table, [ROOT / "README.md", ROOT / "docs" / "configuration.md"]),
    ("routes", routes_table, [ROOT / "README.md"]),
]


def render(text: str, name: str, content: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{content}\n{end}{tail}"


def main(check: bool) -> int:
    stale = []
    for path in sorted({p for _, _, paths in BLOCKS for p in paths}):
        text = path.read_text(encoding="utf-8")
        fresh = text
        for name, generate, paths in BLOCKS:
            if path not in paths:
                continue
            if f"<!-- {name}:start -->" not in text or f"<!-- {name}:end -->" not in text:
                print(f"{path.relative_to(ROOT)}: no <!-- {name}:start/end --> markers", file=sys.stderr)
                return 1
            fresh = render(fresh, name, generate())
        if fresh != text:
            stale.append(path)
            if not check:
                path.write_text(fresh, encoding="utf-8")
    if check and stale:
        print(
            "stale: " + ", ".join(str(p.relative_to(ROOT)) for p in stale) + " (run `make docs`)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main("--check" in sys.argv))
