"""`make bench`: runs every benchmark in BENCHMARKS, one after another, each in its own process, then prints
one summary table (each measure, its figure, its target, PASS/MISS) and writes it all to one JSON file,
bench/results/bench-STAMP.json.

Arguments are passed to every benchmark (e.g. `make bench ARGS="--duration 10 --connections 64"`), each
taking those it knows; an option that no benchmark knows is refused before anything runs. `--only NAME`
runs one of them (repeatable). Each benchmark runs in a process of its own, so that none inherits
another's memory, threads or pinned cores; it hands its results back through a `--report` file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import RESULTS_DIR, summary_row, summary_table, utc_stamp

BENCH_DIR = Path(__file__).resolve().parent
CHILD_GRACE = 15.0

# Add a benchmark here: a script bench/<name>.py with an options() parser (taking --report and --no-save)
# whose results file holds "summary_rows" (see common.summary_row).
BENCHMARKS: list[str] = [
    "catalog",
    "launch",
    "rounds",
    "coldstart",
    "memory",
    "load",
]
# `make bench-peers`: the same run, then the catalog beside Prism and WireMock (needs node, npm, java).
PEERS = "peers"


def unknown_options(names: list[str], passed_on: list[str]) -> list[str]:
    """The options in `passed_on` that none of the benchmarks `names` takes (a typo, most likely)."""
    unknown: set[str] | None = None
    for name in names:
        _, left = importlib.import_module(name).options().parse_known_args(passed_on)
        flags = {arg.partition("=")[0] for arg in left if arg.startswith("-")}
        unknown = flags if unknown is None else unknown & flags
    return sorted(unknown or ())


def run_one(name: str, passed_on: list[str], report: Path) -> int | None:
    """The benchmark's exit code; None when interrupted (it was given time to stop its servers)."""
    child = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / f"{name}.py"), *passed_on, "--report", str(report)]
    )
    try:
        return child.wait()
    except KeyboardInterrupt:
        # The child got the same Ctrl-C: let it stop its servers, then make sure it is gone.
        print(f"\n{name}: interrupted", file=sys.stderr)
        try:
            child.wait(CHILD_GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument(
        "--only", choices=[*BENCHMARKS, PEERS], action="append", help="run only this benchmark"
    )
    parser.add_argument(
        "--with-peers", action="store_true", help=f"run {PEERS} too, last (`make bench-peers`)"
    )
    parser.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    args, passed_on = parser.parse_known_args(argv)
    names = args.only or [*BENCHMARKS, *([PEERS] if args.with_peers else [])]
    if any(arg.partition("=")[0] == "--report" for arg in passed_on):
        parser.error("--report is run.py's to give to each benchmark")
    unknown = unknown_options(names, passed_on)
    if unknown:
        parser.error(f"no benchmark of {', '.join(names)} takes {', '.join(unknown)}")
    if args.no_save:
        passed_on.append("--no-save")
    started = utc_stamp()
    outcomes: dict[str, dict] = {}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="netspace-bench-run-") as tmp:
        for name in names:
            print(f"== {name}", flush=True)
            report_file = Path(tmp) / f"{name}.json"
            code = run_one(name, passed_on, report_file)
            if code is None:
                return 130
            report = json.loads(report_file.read_text()) if report_file.exists() else None
            outcomes[name] = {"exit_code": code, "report": report}
            rows += report.get("summary_rows", []) if report else []
            if code != 0:
                figure = "failed, see its output above" if report is None else "finished with errors"
                rows.append({**summary_row(f"{name} (exit code {code})", figure), "result": "FAIL"})
    failed = [name for name, outcome in outcomes.items() if outcome["exit_code"] != 0]
    print(f"\n== summary ({started})\n")
    print(summary_table(rows))
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"bench-{started}.json"
        combined = {
            "benchmark": "bench",
            "started_at": started,
            "finished_at": utc_stamp(),
            "args": passed_on,
            "summary": rows,
            "failed": failed,
            "benchmarks": outcomes,
        }
        out.write_text(json.dumps(combined, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {out.relative_to(BENCH_DIR.parent)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
