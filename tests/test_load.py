"""Load: 200 concurrent clients of mixed traffic (launches, catalog, sandbox rounds) against a mock
subprocess over loopback for a few seconds: no error, no lost round, memory roughly flat.

The traffic is bench/load.py's (`python bench/load.py` runs it for 60 s and reports the figures).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # seconds of load by design

BENCH = Path(__file__).resolve().parent.parent / "bench"
CLIENTS = 200
WARMUP, DURATION = 1.0, 4.0
RSS_GROWTH_LIMIT = 30 * 2**20  # bytes the server may grow by between the two halves of the window


def _bench(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # bench scripts import their `common` module from there
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


async def test_200_concurrent_clients_of_mixed_traffic(tmp_path):
    load = _bench("load")
    common = sys.modules["common"]
    port = common.free_port()
    argv = load.server_argv(port, tmp_path / "load.db")  # the wallet is the mock: webhook timeout 30 s
    unpinned = common.Cores(server=None, generator=None, taskset=None)  # no pinning inside the test suite
    server = common.ServerProcess("mock", argv, port, unpinned, tmp_path / "mock.log")
    with common.running([server]):
        await server.wait_healthy()
        tally = await load.drive(
            server.base_url,
            CLIENTS,
            DURATION,
            warmup=WARMUP,
            rss=lambda: load.rss_bytes(server.proc.pid),
        )
        lost = await load.lost_rounds(server.base_url, tally.rounds)
    summary = tally.summary()
    print("\n" + load.report(summary, CLIENTS))
    assert summary["errors"] == 0, {k: v["error_samples"] for k, v in summary["kinds"].items()}
    assert all(summary["kinds"][kind]["requests"] > 0 for kind in load.KINDS)
    assert summary["rounds"] > 0 and lost == []
    # Memory roughly flat: what the second half adds to the first is bounded.
    first_half = [size for at, size in tally.rss if at <= DURATION / 2]
    second_half = [size for at, size in tally.rss if at > DURATION / 2]
    assert first_half and second_half
    assert max(second_half) - max(first_half) < RSS_GROWTH_LIMIT, summary["rss_mb"]
