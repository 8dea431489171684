"""`make bench`: runs every benchmark in BENCHMARKS, one after another, each in its own process.

Arguments are passed to each benchmark (e.g. `make bench ARGS="--duration 10 --connections 64"`);
`--only NAME` runs one of them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
CHILD_GRACE = 15.0

# Add a benchmark here: a script bench/<name>.py taking --duration, --connections and --warmup.
BENCHMARKS: list[str] = [
    "catalog",
    "rounds",
    "load",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="run only this benchmark")
    args, passed_on = parser.parse_known_args(argv)
    failed = []
    for name in args.only or BENCHMARKS:
        print(f"== {name}", flush=True)
        child = subprocess.Popen([sys.executable, str(BENCH_DIR / f"{name}.py"), *passed_on])
        try:
            code = child.wait()
        except KeyboardInterrupt:
            # The child got the same Ctrl-C: let it stop its servers, then make sure it is gone.
            print(f"\n{name}: interrupted", file=sys.stderr)
            try:
                child.wait(CHILD_GRACE)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return 130
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
