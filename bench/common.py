"""Shared by the benchmarks: servers on one core, load from the other, and the results table and JSON.

The server runs on the first CPU this process may use, the load generator (this process, and wrk, which
inherits its affinity) on the second, both set with os.sched_setaffinity. The load generator is wrk when it
is on the PATH (Debian package `wrk`): in C, it leaves the server, not the client, the limit. Without it,
a small aiohttp client in this process stands in (`--client aiohttp`), which saturates its own core first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from netspace_mock import js_json, signing
from netspace_mock.settings import Settings

LOOPBACK = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULTS = Settings()  # the mock under benchmark runs with the default operator's credentials
CPUS = sorted(os.sched_getaffinity(0))
SERVER_CORE, LOAD_CORE = CPUS[0], (CPUS[1] if len(CPUS) > 1 else None)
WRK = shutil.which("wrk")


def options(description: str) -> argparse.ArgumentParser:
    """Every benchmark's options, one parser for all (bench/run.py passes them to each)."""
    parser = argparse.ArgumentParser(description=description, allow_abbrev=False)
    add = parser.add_argument
    add("--duration", type=float, default=10.0, help="measured seconds per target (default 10)")
    add("--slices", type=int, default=10, help="alternating slices of the mock and its ceiling (default 10)")
    add("--warmup", type=float, default=1.0, help="unmeasured seconds before each target (default 1)")
    add("--connections", type=int, default=32, help="concurrent connections (default 32)")
    add("--client", choices=("wrk", "aiohttp"), default="wrk" if WRK else "aiohttp", help="load generator")
    add("--requests", type=int, default=100_000, help="memory: signed requests in all (default 100000)")
    add("--repeats", type=int, default=5, help="cold start: starts to time (default 5)")
    add("--peer-warmup", type=float, default=30.0, help="peers: unmeasured seconds each, for the JIT")
    add("--no-save", action="store_true", help="print only, write no JSON under bench/results/")
    return parser


def signed(method: str, path: str, body: bytes = b"") -> dict[str, str]:
    """Headers of one request signed as the default operator, now, in the strict form: PATH is `path`
    without its query string, so that no integration warning is measured with the request."""
    signed_path = path.partition("?")[0]
    headers = signing.headers(
        DEFAULTS.api_key, DEFAULTS.secret_key, int(time.time()), method, signed_path, body
    )
    return {**headers, "Content-Type": "application/json"} if body else headers


def compact(value: object) -> bytes:
    """The body as JSON.stringify writes it (a float 1.0 as 1), the form that draws no integration warning."""
    return js_json.stringify(value).encode()


async def fetch(url: str, method: str = "GET", body: bytes = b"") -> tuple[int, str, bytes]:
    """One signed request: its status, Content-Type and body."""
    headers = signed(method, path_of(url), body)
    async with aiohttp.ClientSession() as http, http.request(method, url, data=body, headers=headers) as r:
        return r.status, r.headers.get("Content-Type", ""), await r.read()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def mock_argv(port: int, db: Path, *extra: str) -> list[str]:
    """`netspace-mock serve` on `port` with the database `db`."""
    return [sys.executable, "-m", "netspace_mock", "serve", "--port", str(port), "--db", str(db), *extra]


def bare_argv(port: int, method: str, path: str, answer: Path, content_type: str) -> list[str]:
    """bench/bare_server.py on `port`, answering `method path` with the bytes of the file `answer`."""
    return [
        sys.executable,
        str(BENCH_DIR / "bare_server.py"),
        str(port),
        method,
        path,
        str(answer),
        content_type,
    ]


async def mock_answer(mock: Server, method: str, path: str, body: bytes = b"") -> tuple[str, bytes]:
    """The content type and bytes of the mock's answer to `method path`, which must be a 200."""
    status, content_type, answer = await fetch(mock.url + path, method, body)
    if status != 200:
        raise RuntimeError(f"the mock answered {status} to {method} {path}: {answer[:300]!r}")
    return content_type, answer


class Server:
    """A server subprocess pinned to the server core; `stop()` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str, argv: list[str], port: int, log: Path) -> None:
        self.name, self.port, self.url, self.log = name, port, f"http://{LOOPBACK}:{port}", log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        os.sched_setaffinity(self.proc.pid, {SERVER_CORE})  # before it starts any thread of its own

    @classmethod
    def mock(cls, workdir: Path, *extra: str) -> Server:
        port = free_port()
        return cls("mock", mock_argv(port, workdir / "bench.db", *extra), port, workdir / "mock.log")

    async def healthy(self, path: str = "/health", timeout: float = 60.0, every: float = 0.05) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early:\n{self.log.read_text()[-2000:]}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(self.url + path) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(every)
        raise RuntimeError(f"{self.name} was not healthy after {timeout:g} s")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def mock_and_ceiling(
    stack: contextlib.ExitStack, workdir: Path, method: str, path: str, body: bytes = b""
) -> tuple[Server, Server, bytes]:
    """The mock, then a bare aiohttp app (bench/bare_server.py) answering `method path` with the mock's
    answer, byte for byte: the ceiling. Both are stopped when `stack` closes."""
    mock = Server.mock(workdir)
    stack.callback(mock.stop)
    await mock.healthy()
    content_type, answer = await mock_answer(mock, method, path, body)
    (workdir / "answer").write_bytes(answer)
    port = free_port()
    ceiling = Server(
        "ceiling", bare_argv(port, method, path, workdir / "answer", content_type), port, workdir / "bare.log"
    )
    stack.callback(ceiling.stop)
    await ceiling.healthy()
    if (await fetch(ceiling.url + path, method, body))[2] != answer:
        raise RuntimeError("the ceiling does not answer the mock's bytes")
    return mock, ceiling, answer


# ------------------------------------------------------------------------------------------------ load


def lua(data: str | bytes) -> str:
    data = data.encode() if isinstance(data, str) else data
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\{b:03d}" for b in data) + '"'


WRK_DONE = """done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", s.requests, s.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


async def wrk(url: str, method: str, body: bytes, seconds: float, connections: int) -> dict:
    """One wrk run. Its headers are signed once, for the whole run: the mock accepts a replayed signature
    within its 300 s window. wrk counts a status >= 400 as an error; its -d is whole seconds."""
    path = path_of(url)
    lines = [f"wrk.method = {lua(method)}"]
    if method != "GET":  # a GET carries no body, as an operator's would
        lines.append(f"wrk.body = {lua(body)}")
    lines += [f"wrk.headers[{lua(k)}] = {lua(v)}" for k, v in signed(method, path, body).items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write("\n".join(lines) + "\n" + WRK_DONE)
        script.flush()
        argv = ["-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", script.name, url]
        proc = await asyncio.create_subprocess_exec(WRK, *argv, stdout=subprocess.PIPE)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), seconds + 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    line = next((x for x in out.decode().splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out.decode()[-1000:]}")
    count, micros, errors, p50, p99 = map(int, line.split()[1:])
    return {"requests": count - errors, "errors": errors, "seconds": micros / 1e6, "p50": p50, "p99": p99}


async def python_load(
    url: str, method: str, bodies: list[bytes], seconds: float, requests: int | None = None, check=None
) -> dict:
    """The fallback without wrk: one aiohttp connection per body, each signed afresh, until `seconds` have
    passed or `requests` were sent; `check(answer)` tells a good answer from a bad one."""
    path = path_of(url)
    latencies: list[float] = []
    errors = sent = 0
    began = time.perf_counter()

    async def worker(http: aiohttp.ClientSession, body: bytes) -> None:
        nonlocal errors, sent
        while time.perf_counter() - began < seconds and (requests is None or sent < requests):
            sent += 1
            start = time.perf_counter()
            try:
                async with http.request(method, url, data=body, headers=signed(method, path, body)) as r:
                    answer = await r.read()
                    ok = r.status == 200 and (check is None or check(answer))
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - start)
            errors += not ok

    connector = aiohttp.TCPConnector(limit=len(bodies))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(30)) as http:
        await asyncio.gather(*(worker(http, body) for body in bodies))
    seconds = time.perf_counter() - began
    latencies.sort()

    def micros(share: float) -> int:
        return int(latencies[int(share * (len(latencies) - 1))] * 1e6) if latencies else 0

    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": seconds,
        "p50": micros(0.5),
        "p99": micros(0.99),
    }


async def load(server: Server, path: str, args, method: str = "GET", body: bytes = b"", seconds=None):
    """One measured window on `server`, with the server's CPU over it."""
    seconds = args.duration if seconds is None else seconds
    cpu = server.cpu_seconds()
    if args.client == "wrk":
        found = await wrk(server.url + path, method, body, seconds, args.connections)
    else:
        found = await python_load(server.url + path, method, [body] * args.connections, seconds)
    return {**found, "server_cpu_s": server.cpu_seconds() - cpu}


def merge(samples: list[dict]) -> dict:
    """Slices of one target as one result; p50/p99 are the slices' percentiles weighted by requests."""
    requests, seconds = sum(s["requests"] for s in samples), sum(s["seconds"] for s in samples)

    def ms(key: str) -> float:
        return round(sum(s[key] * s["requests"] for s in samples) / max(requests, 1) / 1e3, 2)

    return {
        "rps": round(requests / seconds, 1),
        "requests": requests,
        "errors": sum(s["errors"] for s in samples),
        "p50_ms": ms("p50"),
        "p99_ms": ms("p99"),
        "server_cpu": round(sum(s["server_cpu_s"] for s in samples) / seconds, 2),
    }


async def alternate(targets: dict[str, Server], path: str, args, method="GET", body=b"") -> dict[str, dict]:
    """Every target for `--duration` seconds, in `--slices` slices in the order A B B A A B..., so that
    a change in the machine's speed weighs on all alike; after `--warmup` unmeasured seconds each."""
    if args.warmup > 0:
        for server in targets.values():
            await load(server, path, args, method, body, args.warmup)
    # wrk runs for whole seconds: fewer slices rather than longer ones when the duration is short.
    slices = args.slices if args.client != "wrk" else max(1, min(args.slices, int(args.duration)))
    samples: dict[str, list[dict]] = {name: [] for name in targets}
    for index in range(slices):
        for name in list(targets)[:: 1 if index % 2 == 0 else -1]:
            sample = await load(targets[name], path, args, method, body, args.duration / slices)
            samples[name].append(sample)
    return {name: merge(found) for name, found in samples.items()}


def figure(result: dict, unit: str = "req/s") -> str:
    text = f"{result['rps']:,.0f} {unit}, p50/p99 {result['p50_ms']:.2f}/{result['p99_ms']:.2f} ms"
    return (
        text
        + f", server cpu {result['server_cpu']:.0%}"
        + (f", {result['errors']} errors" * bool(result["errors"]))
    )


# ------------------------------------------------------------------------------------------- results


def row(measure: str, figure: str, target: str | None = None, passed: bool | None = None) -> dict:
    result = None if passed is None else ("PASS" if passed else "MISS")
    return {"measure": measure, "figure": figure, "target": target, "result": result}


def table(rows: list[dict]) -> str:
    keys = ("measure", "figure", "target", "result")
    widths = [max(len(key), *(len(r[key] or "-") for r in rows)) for key in keys]
    lines = ["  ".join(f"{key:<{w}}" for key, w in zip(keys, widths, strict=True))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(f"{r[k] or '-':<{w}}" for k, w in zip(keys, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def environment(args) -> dict:
    return {
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "client": args.client,
        "wrk": WRK,
        "server_core": SERVER_CORE,
        "load_core": LOAD_CORE,
        "platform": platform.platform(),
    }


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def save(name: str, report: dict, args) -> None:
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{name}-{stamp()}.json"
        out.write_text(json.dumps({**report, "environment": environment(args)}, indent=2) + "\n")
        print(f"wrote {out.relative_to(BENCH_DIR.parent)}")


def pin_load() -> None:
    if LOAD_CORE is not None:
        os.sched_setaffinity(0, {LOAD_CORE})


def run(name: str, measure, argv: list[str] | None = None) -> int:
    """A benchmark alone (`python bench/NAME.py`): measure, print its rows, save its JSON."""
    args = options(f"bench/{name}.py").parse_args(argv)
    pin_load()
    with tempfile.TemporaryDirectory(prefix=f"netspace-{name}-") as tmp:
        report = asyncio.run(measure(args, Path(tmp)))
    print("\n" + table(report["rows"]))
    save(name, report, args)
    return 0
