"""`make bench`: every benchmark, one after another, then one table of each measure, its figure, its
target and PASS/MISS, and all of it in bench/results/bench-STAMP.json (unless --no-save).

`--only NAME` runs one (repeatable); `--with-peers` adds peers.py (`make bench-peers`); `--only
instructions` counts instructions under callgrind instead (instructions.py, `make bench-instructions`).
The other options are every benchmark's (common.options), each taking those it uses.
"""

import asyncio
import importlib
import sys
import tempfile
from pathlib import Path

from common import options, pin_load, save, table

BENCHMARKS = ["catalog", "launch", "rounds", "stress", "coldstart", "memory"]


def main(argv: list[str]) -> int:
    parser = options(__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", choices=[*BENCHMARKS, "peers", "instructions"], help="run only this one"
    )
    parser.add_argument("--with-peers", action="store_true", help="then peers.py (needs node, npm, java)")
    args = parser.parse_args(argv)
    pin_load()
    reports, rows, failed = {}, [], []
    for name in args.only or BENCHMARKS + ["peers"] * args.with_peers:
        print(f"== {name}", flush=True)
        try:
            with tempfile.TemporaryDirectory(prefix=f"netspace-{name}-") as tmp:
                reports[name] = asyncio.run(importlib.import_module(name).measure(args, Path(tmp)))
            rows += reports[name]["rows"]
        except (RuntimeError, OSError, ValueError) as exc:  # the others still run
            print(f"{name}: {exc}", file=sys.stderr)
            failed.append(name)
            rows.append({"measure": name, "figure": f"failed: {exc}"[:80], "target": None, "result": "FAIL"})
    print("\n== summary\n\n" + table(rows))
    save("bench", {"args": argv, "rows": rows, "benchmarks": reports}, args)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
