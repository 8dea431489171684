"""Shared by every benchmark: a server subprocess pinned to one core, and a bounded load generator on another.

The server runs on the first allowed CPU (via `taskset -c`), the load generator on the second, so the two
never compete for a core. The load generator is wrk (`taskset -c GENERATOR wrk -t1 ...`) when it is on the
PATH: in C, it costs a server core's worth of requests a fraction of the client core, so the server, not
the client, is what is measured. Without wrk (or with `--client raw|aiohttp`) it is this Python process,
pinned to the second core. Everything is loopback only, bounded in time and in count, and every
subprocess (servers and wrk alike) is killed on the way out, whatever happened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from netspace_mock import signing
from netspace_mock.settings import Settings

LOOPBACK = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
MAX_CONNECTIONS = 1024
MAX_DURATION = 600.0
MAX_WARMUP = 60.0
MAX_SLICES = 100
DEFAULT_MAX_REQUESTS = 5_000_000
REQUEST_TIMEOUT = 10.0
HEALTH_TIMEOUT = 30.0
HEALTH_INTERVAL = 0.05
STOP_TIMEOUT = 5.0
WRK = "wrk"
# Load generator clients: wrk (a C program, see the module's docstring), then the two in this process: raw
# asyncio streams (see RawConnection for why) and aiohttp's ClientSession (costlier per request).
CLIENTS = (WRK, "raw", "aiohttp")
DEFAULTS = Settings()  # the default operator's credentials, which the mock under benchmark is started with
T = TypeVar("T")


def default_client() -> str:
    """wrk when it is installed (Debian/Ubuntu package `wrk`), else the raw Python client."""
    return WRK if shutil.which(WRK) else "raw"


# ---------------------------------------------------------------------------------------------- cores


def allowed_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


@dataclass(frozen=True)
class Cores:
    """Where the server and the load generator run; None means "not pinned"."""

    server: int | None
    generator: int | None
    taskset: str | None
    allowed: tuple[int, ...] = ()  # the CPUs this process could use before it pinned itself

    @classmethod
    def plan(cls) -> Cores:
        cpus = allowed_cpus()
        taskset = shutil.which("taskset")
        server = cpus[0] if cpus and taskset else None
        generator = cpus[1] if len(cpus) >= 2 else None
        return cls(server=server, generator=generator, taskset=taskset, allowed=tuple(cpus))

    def pin_generator(self) -> None:
        """Pin this process (the load generator, or wrk's parent) to its own core when there are two."""
        if self.generator is not None:
            os.sched_setaffinity(0, {self.generator})

    def server_argv(self, argv: list[str]) -> list[str]:
        return self._pinned(self.server, argv)

    def generator_argv(self, argv: list[str]) -> list[str]:
        """A load generator program (wrk) on the generator core, explicitly: it would inherit this process's
        affinity anyway, but the command line then says where it ran."""
        return self._pinned(self.generator, argv)

    def _pinned(self, core: int | None, argv: list[str]) -> list[str]:
        if core is None or self.taskset is None:
            return argv
        return [self.taskset, "-c", str(core), *argv]

    def describe(self) -> dict:
        return {
            "cpus_allowed": list(self.allowed),
            "server_core": self.server,
            "generator_core": self.generator,
            "taskset": self.taskset,
        }


# -------------------------------------------------------------------------------------------- servers


def mock_argv(port: int, db: Path, *extra: str) -> list[str]:
    """The command that serves the mock under benchmark on `port`, with its database at `db`."""
    return [sys.executable, "-m", "netspace_mock", "serve", "--port", str(port), "--db", str(db), *extra]


def bare_argv(
    port: int, path: str, body_file: Path, method: str, content_type: str = "application/json"
) -> list[str]:
    """The command that serves the ceiling (bare_server.py): `method` `path` answered with the bytes of
    `body_file`, on `port`."""
    return [
        sys.executable, str(BENCH_DIR / "bare_server.py"), str(port), path, str(body_file), content_type,
        "--method", method,
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _load_libc() -> ctypes.CDLL | None:
    if sys.platform != "linux":
        return None
    with contextlib.suppress(OSError):
        return ctypes.CDLL("libc.so.6", use_errno=True)
    return None


_LIBC = _load_libc()  # loaded here, not in the child between fork and exec, where little is safe


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it if the benchmark process dies first."""
    if _LIBC is not None:
        pr_set_pdeathsig = 1
        _LIBC.prctl(pr_set_pdeathsig, signal.SIGTERM)


CHILD_SETUP = _die_with_parent if _LIBC is not None else None


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _core_busy_seconds(cores: tuple[int | None, ...]) -> tuple[float | None, ...]:
    """Busy (non-idle) CPU seconds of each core since boot, from /proc/stat (Linux); None elsewhere."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return tuple(None for _ in cores)
    busy: dict[int, float] = {}
    for line in lines:
        name, *values = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            ticks = [int(v) for v in values]
            busy[int(name[3:])] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    return tuple(busy.get(core) if core is not None else None for core in cores)


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process (VmRSS), from /proc (Linux); None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class ServerProcess:
    """A server subprocess on one core; `stop()` always ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str, argv: list[str], port: int, cores: Cores, log_path: Path) -> None:
        self.name = name
        self.port = port
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.log_path = log_path
        self.argv = cores.server_argv(argv)
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                preexec_fn=CHILD_SETUP,
            )
        except BaseException:
            self._log.close()
            raise

    def cpu_seconds(self) -> float | None:
        return _cpu_seconds(self.proc.pid)

    def rss_bytes(self) -> int | None:
        return rss_bytes(self.proc.pid)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def wait_healthy(
        self, timeout: float = HEALTH_TIMEOUT, path: str = "/health", interval: float = HEALTH_INTERVAL
    ) -> None:
        """Until GET `path` answers 200 (a server without /health: pass a path it serves), polling every
        `interval` seconds (the cold-start benchmark polls more often, for a finer measure)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with code {self.proc.returncode} before it was healthy:\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(self.base_url + path) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(interval)
        raise RuntimeError(f"{self.name} was not healthy after {timeout} s:\n" + self.log_tail())

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(STOP_TIMEOUT)
        finally:
            self._log.close()


@contextlib.contextmanager
def running(servers: list[ServerProcess]) -> Iterator[list[ServerProcess]]:
    """Every server in the list is stopped on the way out, even on error or Ctrl-C."""
    try:
        yield servers
    finally:
        failures = []
        for server in servers:
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                failures.append(exc)
        if failures:
            raise failures[0]


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so that `finally` blocks (and server clean-up) run."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ----------------------------------------------------------------------------------- signed requests


def signed_headers(method: str, path: str, body: bytes = b"") -> dict[str, str]:
    """Headers of one request signed as the default operator, now; a JSON Content-Type with a body."""
    headers = signing.headers(DEFAULTS.api_key, DEFAULTS.secret_key, int(time.time()), method, path, body)
    return {**headers, "Content-Type": "application/json"} if body else headers


def signer(method: str, path: str, body: bytes = b"") -> Callable[[], dict[str, str]]:
    """A `make_headers` for generate_load: signs afresh on every call (the Python clients call it for
    every request, as a real operator signs; wrk once per run)."""
    return lambda: signed_headers(method, path, body)


async def fetch(
    url: str, headers: dict[str, str] | None = None, *, method: str = "GET", body: bytes = b""
) -> tuple[int, str, bytes]:
    """One request: the status, the Content-Type and the body."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as session,
        session.request(method, url, data=body or None, headers=headers) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.read()


# ------------------------------------------------------------------------------------------------ load


@dataclass(frozen=True)
class LoadSpec:
    duration: float = 5.0
    connections: int = 32
    warmup: float = 1.0
    max_requests: int = DEFAULT_MAX_REQUESTS
    client: str = field(default_factory=default_client)

    def __post_init__(self) -> None:
        if not 0 < self.duration <= MAX_DURATION:
            raise ValueError(f"duration must be in (0, {MAX_DURATION}] seconds")
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            raise ValueError(f"connections must be in [1, {MAX_CONNECTIONS}]")
        if not 0 <= self.warmup <= MAX_WARMUP:
            raise ValueError(f"warmup must be in [0, {MAX_WARMUP}] seconds")
        if self.max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if self.client not in CLIENTS:
            raise ValueError(f"client must be one of {', '.join(CLIENTS)}")
        if self.client == WRK:
            if shutil.which(WRK) is None:
                raise ValueError("client wrk needs `wrk` on the PATH (Debian/Ubuntu: apt install wrk)")
            if self.duration < WRK_MIN_RUN:
                raise ValueError(f"with wrk, a measured window must last at least {WRK_MIN_RUN} s")


@dataclass(frozen=True)
class LatencySummary:
    """What wrk tells of one run: how many requests succeeded, and a few percentiles, not every latency."""

    requests: int
    p50: float | None  # seconds
    p99: float | None
    max: float | None


@dataclass
class LoadSample:
    """What one measured window produced, raw, so that several windows (slices) can be merged."""

    latencies: list[float]  # seconds, of the successful requests completed in the window (Python clients)
    errors: list[str]  # one per failed request (Python clients); one line per kind of failure (wrk)
    seconds: float
    server_cpu_s: float | None  # CPU seconds used by the server in the window
    generator_cpu_s: float | None  # same, by the load generator (this process and wrk)
    foreign_cpu_s: float | None  # CPU seconds used by other processes on the two pinned cores
    capped: bool  # True when max_requests ended the window early
    summaries: list[LatencySummary] | None = None  # wrk: one per run, instead of `latencies`
    error_count: int | None = None  # wrk: failed requests in all (`errors` then only names the kinds)

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.summaries) if self.summaries is not None else len(self.latencies)

    @property
    def failed(self) -> int:
        return self.error_count if self.error_count is not None else len(self.errors)

    def latency_parts(self) -> list[LatencySummary]:
        if self.summaries is not None:
            return self.summaries
        done = sorted(self.latencies)
        return [
            LatencySummary(len(done), percentile(done, 50), percentile(done, 99), done[-1] if done else None)
        ]


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    server_cpu: float | None  # share of one core used by the server during the measured window
    generator_cpu: float | None  # same, for the load generator
    foreign_cpu: float | None  # share of the two pinned cores used by other processes (noise)
    capped: bool  # True when max_requests ended a window before its end
    slices: int = 1  # measured windows merged into this result
    error_samples: list[str] = field(default_factory=list)
    latency_merge: str = "exact"  # how p50/p99 were obtained; see summarize()
    slice_latency_ms: list[dict] = field(default_factory=list)  # each run's own figures, when merged

    @property
    def rps_per_server_core(self) -> float | None:
        """Requests per second of server CPU: comparable even when the client, not the server, was the
        limit (an estimate: a server that is not saturated batches less, so it understates the peak)."""
        return round(self.rps / self.server_cpu, 1) if self.server_cpu else None

    def as_dict(self) -> dict:
        return {**asdict(self), "rps_per_server_core": self.rps_per_server_core}


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class RawConnection:
    """One keep-alive HTTP/1.1 connection on bare asyncio streams: send a request, read the status, the
    headers and exactly Content-Length bytes. Several times cheaper per request than aiohttp's client, so
    that one client core can saturate one server core (with aiohttp's client, the client is the limit)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        return await self.request("GET", path, headers)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
        if "content-length" not in fields:
            raise ValueError("the raw client needs a Content-Length header in every response")
        answer = await self.reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


RAW_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError)


class _Usage:
    """CPU seconds between two samples: of the server, of the load generator (this process and the
    children it has reaped: wrk) and of the two pinned cores (busy by anyone, to tell the noise)."""

    def __init__(self, server: ServerProcess | None, cores: Cores | None) -> None:
        self.server = server
        self.pinned = (cores.server, cores.generator) if cores else (None, None)
        self.samples: dict[str, tuple[float | None, ...]] = {}

    def sample(self, label: str) -> None:
        times = os.times()
        own = times.user + times.system + times.children_user + times.children_system
        server = self.server.cpu_seconds() if self.server else None
        self.samples[label] = (server, own, *_core_busy_seconds(self.pinned))

    def used(self) -> tuple[float | None, float | None, float | None]:
        """Server, generator and foreign CPU seconds from "start" to "end"."""

        def delta(index: int) -> float | None:
            if "start" not in self.samples or "end" not in self.samples:
                return None
            start, end = self.samples["start"][index], self.samples["end"][index]
            return None if start is None or end is None else end - start

        server_s, generator_s, core0_s, core1_s = (delta(i) for i in range(4))
        foreign_s = None
        if None not in (server_s, generator_s, core0_s, core1_s):
            foreign_s = max(core0_s + core1_s - server_s - generator_s, 0.0)
        return server_s, generator_s, foreign_s


async def generate_load(
    url: str,
    make_headers: Callable[[], dict[str, str]],
    spec: LoadSpec,
    server: ServerProcess | None = None,
    cores: Cores | None = None,
    expect_status: int = 200,
    *,
    method: str = "GET",
    body: bytes = b"",
) -> LoadSample:
    """Send `method` `url` (with `body`) from `spec.connections` concurrent keep-alive connections; keep
    what completes in the measured window (after the warm-up), stop at its end or after
    `spec.max_requests` requests. `make_headers()` gives each request's headers (sign `body` in them)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise ValueError(f"load is only generated against http://{LOOPBACK}:PORT, not {url}")
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise ValueError(f"method must be GET, POST, PUT, PATCH or DELETE, not {method!r}")
    usage = _Usage(server, cores)
    if spec.client == WRK:
        return await _wrk_load(url, make_headers, spec, usage, cores, expect_status, method, body)
    return await _python_load(url, make_headers, spec, usage, expect_status, method, body)


async def _python_load(
    url: str,
    make_headers: Callable[[], dict[str, str]],
    spec: LoadSpec,
    usage: _Usage,
    expect_status: int,
    method: str,
    body: bytes,
) -> LoadSample:
    """The load generated by this process, raw or with aiohttp: every latency is kept."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + spec.warmup, start + spec.warmup + spec.duration
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0

    def record(began: float, problem: str) -> None:
        done = loop.time()
        if window_start <= done <= window_end:
            if problem:
                errors.append(problem)
            else:
                latencies.append(done - began)

    def more() -> bool:
        nonlocal sent
        if loop.time() >= window_end or sent >= spec.max_requests:
            return False
        sent += 1
        return True

    async def raw_worker() -> None:
        connection = RawConnection(LOOPBACK, parts.port)
        try:
            while more():
                began, problem = loop.time(), ""
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT):
                        status, _ = await connection.request(method, target, make_headers(), body)
                    if status != expect_status:
                        problem = f"HTTP {status}"
                except RAW_ERRORS as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    connection.close()
                record(began, problem)
        finally:
            connection.close()

    async def aiohttp_worker(session: aiohttp.ClientSession) -> None:
        while more():
            began, problem = loop.time(), ""
            try:
                async with session.request(
                    method, url, data=body or None, headers=make_headers()
                ) as response:
                    await response.read()
                    if response.status != expect_status:
                        problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            record(began, problem)

    async def sampler() -> None:
        await asyncio.sleep(max(window_start - loop.time(), 0))
        usage.sample("start")
        await asyncio.sleep(max(window_end - loop.time(), 0))
        usage.sample("end")

    sampling = asyncio.create_task(sampler())
    try:
        if spec.client == "raw":
            await asyncio.gather(*(raw_worker() for _ in range(spec.connections)))
        else:
            connector = aiohttp.TCPConnector(limit=spec.connections, limit_per_host=spec.connections)
            timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                await asyncio.gather(*(aiohttp_worker(session) for _ in range(spec.connections)))
        capped = sent >= spec.max_requests and loop.time() < window_end
        if capped:
            usage.sample("end")
        else:
            await sampling
    finally:
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
    measured = min(loop.time(), window_end) - window_start if capped else spec.duration
    return LoadSample(latencies, errors, max(measured, 0.0), *usage.used(), capped)


# ------------------------------------------------------------------------------------------------- wrk
#
# wrk sends the same request over and over: the headers are computed once per wrk run, right before it
# starts. That is sound against the mock because it accepts a replayed signature within its timestamp
# window (PROTOCOL §1, docs/protocol.md "Decision: replays"), and every run is kept well inside that
# window (WRK_RUN_MAX; a longer measured window is several runs, each signed afresh). wrk's -d takes whole
# seconds only: a run of a fractional length is started for the next whole second and stopped with
# SIGINT at its length, after which wrk finishes its current 100 ms tick and reports the time it really
# ran, which is what req/s are computed with. wrk has no warm-up of its own: the warm-up is a run whose
# figures are dropped (it opens the connections of its own; the measured run opens new ones).

WRK_TAG = "WRK-RESULT"
WRK_FIELDS = (
    "requests",
    "duration_us",
    "connect",
    "read",
    "write",
    "status",
    "timeout",
    "p50_us",
    "p99_us",
    "max_us",
)
WRK_RUN_MAX = 60.0  # seconds of one wrk run: far inside the mock's 300 s signature window
# A shorter run would be mostly wrk's start and its 100 ms stop tick; and SIGINT must not come before wrk
# has set its handler (a few ms after the start), or it kills wrk instead of stopping it.
WRK_MIN_RUN = 0.2
WRK_DONE = (
    "function done(summary, latency, requests)\n"
    "  local e = summary.errors\n"
    '  io.write(string.format("' + WRK_TAG + " requests=%d duration_us=%d connect=%d read=%d write=%d "
    'status=%d timeout=%d p50_us=%d p99_us=%d max_us=%d\\n",\n'
    "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,\n"
    "    latency:percentile(50), latency:percentile(99), latency.max))\n"
    "end\n"
)
WRK_CAPPED = "WRK-CAPPED"
WRK_CAP = (
    "-- Stop after {cap} responses: a Lua call per response, which costs wrk throughput, so only when a\n"
    "-- cap below the default is asked for (wrk keeps a histogram, not every latency: nothing else to bound).\n"
    "-- stop() ends this thread, but wrk's main thread sleeps for -d whatever happens: the line printed\n"
    "-- here has bench/common.py send SIGINT, which wakes it up to report, with the time it really ran.\n"
    "local cap, seen = {cap}, 0\n"
    "function response(status, headers, body)\n"
    "  seen = seen + 1\n"
    "  if seen == cap then\n"
    "    wrk.thread:stop()\n"
    '    io.write("' + WRK_CAPPED + '\\n")\n'
    "    io.flush()\n"
    "  end\n"
    "end\n"
)


def lua_string(value: str | bytes) -> str:
    """A Lua string literal of exactly these bytes (decimal escapes for all but printable ASCII)."""
    data = value.encode() if isinstance(value, str) else value
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\{b:03d}" for b in data) + '"'


def wrk_script(method: str, headers: dict[str, str], body: bytes, cap: int | None) -> str:
    """The Lua script of one wrk run: the request (wrk adds Host and Content-Length), an optional cap on
    the responses, and a done() that prints one line of counts and latency percentiles in µs."""
    lines = ["-- Written by bench/common.py for one wrk run.", f"wrk.method = {lua_string(method)}"]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"wrk.body = {lua_string(body)}")
    lines += [f"wrk.headers[{lua_string(name)}] = {lua_string(value)}" for name, value in headers.items()]
    return "\n".join(lines) + "\n" + (WRK_CAP.format(cap=cap) if cap is not None else "") + WRK_DONE


def parse_wrk(stdout: str) -> dict[str, int]:
    for line in stdout.splitlines():
        if line.startswith(WRK_TAG + " "):
            found = dict(item.partition("=")[::2] for item in line.split()[1:])
            try:
                return {name: int(float(found[name])) for name in WRK_FIELDS}
            except (KeyError, ValueError):
                break
    raise RuntimeError(f"wrk printed no {WRK_TAG} line:\n{stdout[-2000:]}")


async def run_wrk(args: list[str], seconds: float, cores: Cores | None) -> dict[str, int]:
    """Run `wrk ARGS` (without -d) for `seconds` on the generator core; its parsed WRK-RESULT line. It is
    killed on any way out, and asked by the kernel to die with this process."""
    whole = max(1, math.ceil(seconds))
    argv = [WRK, "-d", f"{whole}s", *args]
    proc = await asyncio.create_subprocess_exec(
        *(cores.generator_argv(argv) if cores else argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=CHILD_SETUP,
    )
    loop = asyncio.get_running_loop()
    stopper = loop.call_later(seconds, _interrupt, proc) if seconds < whole else None

    async def stdout() -> str:
        lines = []
        async for line in proc.stdout:
            lines.append(line.decode(errors="replace"))
            if lines[-1].startswith(WRK_CAPPED):
                _interrupt(proc)
        return "".join(lines)

    limit = whole + REQUEST_TIMEOUT + STOP_TIMEOUT
    try:
        async with asyncio.timeout(limit):
            out, err = await asyncio.gather(stdout(), proc.stderr.read())
            await proc.wait()
    except TimeoutError:
        raise RuntimeError(f"wrk did not finish within {limit:g} s") from None
    finally:
        if stopper is not None:
            stopper.cancel()
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-1000:] or out[-1000:]
        raise RuntimeError(f"wrk exited with code {proc.returncode}:\n{tail}")
    return parse_wrk(out)


def _interrupt(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)


async def _wrk_load(
    url: str,
    make_headers: Callable[[], dict[str, str]],
    spec: LoadSpec,
    usage: _Usage,
    cores: Cores | None,
    expect_status: int,
    method: str,
    body: bytes,
) -> LoadSample:
    """The load generated by wrk on the generator core: counts and percentiles per run, not latencies.

    wrk counts as errors the responses with a status above 399, not "any status but the expected one";
    so one request with the very headers and body is sent first, and its status must be the expected one
    (else RuntimeError: the figures would measure something else). Then, when the expected status is
    below 400, the failed responses are wrk's status errors; when it is 400 or above (a benchmark of
    refusals), they are the responses wrk did not count as errors. Socket errors and time-outs count too.
    wrk's percentiles are those of every response, failed ones included. The CPU used is sampled around
    the measured runs, so it includes wrk's start and stop (a few ms a run) beyond wrk's own duration.
    """
    status, _, answer = await fetch(url, make_headers(), method=method, body=body)
    if status != expect_status:
        raise RuntimeError(f"{method} {url} answered {status}, not {expect_status}: {answer[:300]!r}")
    cap = spec.max_requests if spec.max_requests < DEFAULT_MAX_REQUESTS else None

    async def run(seconds: float, limit: int | None) -> dict[str, int]:
        with tempfile.NamedTemporaryFile("w", prefix="netspace-wrk-", suffix=".lua") as script:
            script.write(wrk_script(method, make_headers(), body, limit))  # signed now, for this run
            script.flush()
            args = ["-t1", f"-c{spec.connections}", f"--timeout={REQUEST_TIMEOUT:g}s", "--latency"]
            return await run_wrk([*args, "-s", script.name, url], seconds, cores)

    if spec.warmup > 0:
        await run(max(spec.warmup, WRK_MIN_RUN), cap)
    summaries: list[LatencySummary] = []
    failures: dict[str, int] = {}
    seconds, left, done = 0.0, spec.duration, 0
    usage.sample("start")
    while left > 0 and (cap is None or done < cap):
        length = max(min(left, WRK_RUN_MAX), WRK_MIN_RUN)
        found = await run(length, None if cap is None else cap - done)
        left -= length
        statuses = found["status"] if expect_status < 400 else found["requests"] - found["status"]
        kinds = {
            f"HTTP status other than {expect_status}": statuses,
            "connect errors": found["connect"],
            "read errors": found["read"],
            "write errors": found["write"],
            f"time-outs (> {REQUEST_TIMEOUT:g} s)": found["timeout"],
        }
        for kind, count in kinds.items():
            failures[kind] = failures.get(kind, 0) + count
        # A timed-out request may still complete and be counted in wrk's requests: subtracting it is an
        # upper bound on the failures, so a lower bound on the successes.
        ok = max(found["requests"] - statuses - found["timeout"], 0)
        summaries.append(LatencySummary(ok, *(found[f"{p}_us"] / 1e6 for p in ("p50", "p99", "max"))))
        seconds += found["duration_us"] / 1e6
        done += found["requests"]
    usage.sample("end")
    errors = [f"wrk: {count} {kind}" for kind, count in failures.items() if count]
    capped = cap is not None and done >= cap
    return LoadSample(
        [], errors, seconds, *usage.used(), capped, summaries=summaries, error_count=sum(failures.values())
    )


def summarize(name: str, samples: list[LoadSample]) -> LoadResult:
    """One result from one or more measured windows of the same target.

    With the Python clients every latency is kept and the percentiles are exact, over all the windows.
    wrk reports each run's percentiles only: the merged p50 and p99 are then the means of the runs'
    p50 and p99 weighted by their requests. That is an approximation (exact when the runs' distributions
    are alike, which alternating slices of one target on one machine aim at); the max is exact, and
    every run's own figures are kept in `slice_latency_ms`.
    """
    requests = sum(sample.requests for sample in samples)
    failed = sum(sample.failed for sample in samples)
    errors = [e for sample in samples for e in sample.errors]
    seconds = sum(sample.seconds for sample in samples)
    parts = [part for sample in samples for part in sample.latency_parts()]
    if all(sample.summaries is None for sample in samples):
        latencies = sorted(x for sample in samples for x in sample.latencies)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        merge = "exact"
    else:
        p50, p99 = (_weighted([(p.requests, getattr(p, q)) for p in parts]) for q in ("p50", "p99"))
        merge = f"request-weighted mean of {len(parts)} runs' percentiles (wrk)"
    maxima = [p.max for p in parts if p.max is not None]

    def share(values: list[float | None], cores: int = 1) -> float | None:
        if None in values or seconds <= 0:
            return None
        return round(sum(values) / (cores * seconds), 3)

    return LoadResult(
        name=name,
        requests=requests,
        errors=failed,
        seconds=round(seconds, 3),
        rps=round(requests / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=_ms(p50),
        p99_ms=_ms(p99),
        max_ms=_ms(max(maxima) if maxima else None),
        server_cpu=share([sample.server_cpu_s for sample in samples]),
        generator_cpu=share([sample.generator_cpu_s for sample in samples]),
        foreign_cpu=share([sample.foreign_cpu_s for sample in samples], cores=2),
        capped=any(sample.capped for sample in samples),
        slices=len(samples),
        error_samples=sorted(set(errors))[:5],
        latency_merge=merge,
        slice_latency_ms=[
            {"requests": p.requests, "p50": _ms(p.p50), "p99": _ms(p.p99), "max": _ms(p.max)} for p in parts
        ]
        if len(parts) > 1
        else [],
    )


def _weighted(pairs: list[tuple[int, float | None]]) -> float | None:
    known = [(weight, value) for weight, value in pairs if value is not None and weight > 0]
    total = sum(weight for weight, _ in known)
    return sum(weight * value for weight, value in known) / total if total else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


# ----------------------------------------------------------------------------- a mock route vs. ceiling

SLICE_WARMUP = 0.25  # seconds to re-open the connections before every slice after a target's first
BUSY_MACHINE = 0.1  # other processes above this share of the two cores make a run noisy
CLIENT_BOUND = 0.9  # a generator above this share of its core is the limit, not the server


async def serve_mock_and_ceiling(
    servers: list[ServerProcess],
    path: str,
    make_headers: Callable[[], dict[str, str]],
    workdir: Path,
    cores: Cores,
    *,
    method: str = "GET",
    body: bytes = b"",
) -> tuple[ServerProcess, ServerProcess, bytes, str]:
    """Start the mock, send it `method` `path` (with `body` and `make_headers()`), then start the ceiling
    (bare_server.py) answering `method` `path` with exactly those bytes. Each server joins `servers` as
    soon as it starts, so that `running(servers)` stops it. Returns the mock, the ceiling, the body and
    its Content-Type."""
    port = free_port()
    mock = ServerProcess("mock", mock_argv(port, workdir / "bench.db"), port, cores, workdir / "mock.log")
    servers.append(mock)
    await mock.wait_healthy()
    status, content_type, answer = await fetch(mock.base_url + path, make_headers(), method=method, body=body)
    if status != 200:
        raise RuntimeError(f"the mock answered {status} to {method} {path}: {answer[:500]!r}")
    body_file = workdir / "body.bin"
    body_file.write_bytes(answer)
    port = free_port()
    argv = bare_argv(port, path, body_file, method, content_type)
    ceiling = ServerProcess("ceiling", argv, port, cores, workdir / "bare.log")
    servers.append(ceiling)
    await ceiling.wait_healthy()
    status, _, same = await fetch(ceiling.base_url + path, make_headers(), method=method, body=body)
    if (status, same) != (200, answer):
        raise RuntimeError("the bare app does not answer the mock's exact bytes")
    return mock, ceiling, answer, content_type


async def measure_in_slices(
    targets: list[tuple[str, ServerProcess]],
    path: str,
    make_headers: Callable[[], dict[str, str]],
    spec: LoadSpec,
    slices: int,
    cores: Cores,
    *,
    method: str = "GET",
    body: bytes = b"",
) -> dict[str, list[LoadSample]]:
    """Send `method` `path` to every target in `slices` slices of duration/slices seconds each. All servers
    stay up (the idle ones cost nothing) and are measured in alternating order, A B C C B A A B C ..., so
    that a change in the machine's speed during the run weighs on all alike. A target's first slice has
    the full warm-up, the later ones at most SLICE_WARMUP (to re-open the connections)."""
    samples: dict[str, list[LoadSample]] = {name: [] for name, _ in targets}
    for index in range(slices):
        for name, server in targets if index % 2 == 0 else reversed(targets):
            warmup = spec.warmup if not samples[name] else min(spec.warmup, SLICE_WARMUP)
            slice_spec = replace(spec, duration=spec.duration / slices, warmup=warmup)
            sample = await generate_load(
                server.base_url + path, make_headers, slice_spec, server, cores, method=method, body=body
            )
            samples[name].append(sample)
    return samples


def notes(results: list[LoadResult]) -> list[str]:
    """Warnings about figures that do not measure what they seem to: client-bound, or on a busy machine."""
    lines = []
    for row in results:
        if row.generator_cpu is not None and row.generator_cpu > CLIENT_BOUND and (row.server_cpu or 0) < 0.9:
            lines.append(
                f"note: {row.name}: the load generator used {row.generator_cpu:.0%} of its core and the "
                f"server only {row.server_cpu:.0%}: this figure is client-bound, read the cpu ratio"
            )
        if row.foreign_cpu is not None and row.foreign_cpu > BUSY_MACHINE:
            lines.append(
                f"note: {row.name}: other processes used {row.foreign_cpu:.0%} of the two benchmark cores: "
                "the machine was busy, repeat the run on a quiet one"
            )
    return lines


async def measure_route(
    method: str, path: str, body: bytes, spec: LoadSpec, slices: int, workdir: Path, cores: Cores
) -> tuple[list[LoadResult], dict]:
    """One signed route of the mock beside its ceiling, in alternating slices: [ceiling, mock], facts."""
    make_headers = signer(method, path, body)
    with running([]) as servers:
        mock, ceiling, answer, content_type = await serve_mock_and_ceiling(
            servers, path, make_headers, workdir, cores, method=method, body=body
        )
        targets = [("mock", mock), ("ceiling", ceiling)]
        samples = await measure_in_slices(
            targets, path, make_headers, spec, slices, cores, method=method, body=body
        )
    results = [summarize(name, samples[name]) for name in ("ceiling", "mock")]
    facts = {
        "method": method,
        "path": path,
        "request_bytes": len(body),
        "response_bytes": len(answer),
        "content_type": content_type,
        "slices": slices,
    }
    return results, facts


def route_main(
    name: str,
    parser: argparse.ArgumentParser,
    method: str,
    path: str,
    body: bytes,
    argv: list[str] | None,
    target_ratio: float,
) -> int:
    """The whole of a benchmark of one signed route against its ceiling (catalog.py, launch.py), with the
    options of `parser` (from build_parser); the route's target is a ratio to the ceiling."""
    args = parse_options(parser, argv)
    try:
        spec = load_spec(args)
    except ValueError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    cores = Cores.plan()
    cores.pin_generator()
    started = utc_stamp()
    code, found = run_async(
        name, lambda tmp: measure_route(method, path, body, spec, args.slices, tmp, cores)
    )
    if found is None:
        return code
    results, facts = found
    ceiling, mock = results
    ratio = ratio_of(mock.rps, ceiling.rps)
    cpu_ratio = ratio_of(mock.rps_per_server_core, ceiling.rps_per_server_core)
    print(f"\n{method} {path} (signed), {facts['response_bytes']} bytes per response")
    print(describe_load(spec, args.slices, cores) + "\n")
    print_results(results, ceiling, "mock", f"; latencies: {mock.latency_merge}")
    for line in notes(results):
        print(line)
    shown = f"{method} {path}"
    report = {
        "benchmark": name,
        "started_at": started,
        "load": load_report(spec),
        **facts,
        "environment": environment(cores),
        "results": {r.name: r.as_dict() for r in results},
        "ratio_to_ceiling": ratio,
        "cpu_ratio_to_ceiling": cpu_ratio,
        "summary_rows": [
            summary_row(f"ceiling: bare aiohttp, {shown} bytes", load_figure(ceiling), **figures(ceiling)),
            summary_row(
                f"signed {shown}",
                load_figure(mock, ratio),
                f"ratio >= {target_ratio:.2f}",
                ratio is not None and ratio >= target_ratio,
                **figures(mock),
                ratio_to_ceiling=ratio,
            ),
        ],
    }
    save_report(name, started, report, args)
    return 1 if any(r.errors or not r.requests for r in results) else 0


# ------------------------------------------------------------------------------------ options, running


def add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    parser.add_argument(
        "--report",
        type=Path,
        help="also write the results to this file (bench/run.py collects them so); with it, options meant "
        "for other benchmarks are ignored",
    )


def add_client_option(parser: argparse.ArgumentParser, purpose: str = "") -> None:
    parser.add_argument(
        "--client",
        choices=CLIENTS,
        default=default_client(),
        help=f"load generator{purpose}: wrk (the default when installed: in C, cheap enough per request "
        "to saturate the server), raw asyncio streams (the default without wrk) or aiohttp's "
        "ClientSession (costlier per request: the client core saturates first)",
    )


def build_parser(description: str) -> argparse.ArgumentParser:
    """The options of a benchmark measured in alternating slices (catalog.py, launch.py, peers.py)."""
    parser = argparse.ArgumentParser(description=description, allow_abbrev=False)
    # 10 slices of 1 s: on a VM whose speed moves from second to second (a ceiling of 9,900 to 18,200
    # req/s between 1-second slices of one run), 5 slices left the launch ratio anywhere in 0.28-0.36
    # from one run to the next, 10 in 0.33-0.36 (docs/performance.md).
    parser.add_argument(
        "--duration", type=float, default=10.0, help="measured seconds per target (default 10)"
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first (default 1)")
    parser.add_argument(
        "--slices",
        type=int,
        default=10,
        help="measure each target in this many alternating slices of duration/slices seconds (default 10)",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=DEFAULT_MAX_REQUESTS,
        help="safety cap on the requests of one slice (with wrk, applied only below the default)",
    )
    add_client_option(parser)
    add_report_options(parser)
    return parser


def parse_options(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Strict on its own; under bench/run.py (`--report`) the options of the other benchmarks pass, as
    run.py checked that each of its options is some benchmark's."""
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.report is None:
        parser.error("unrecognized arguments: " + " ".join(unknown))
    return args


def load_spec(args: argparse.Namespace) -> LoadSpec:
    """The load of one slice's target, from the options; ValueError when one is out of range."""
    if not 1 <= args.slices <= MAX_SLICES:
        raise ValueError(f"--slices must be in [1, {MAX_SLICES}]")
    if args.client == WRK and args.duration / args.slices < WRK_MIN_RUN:
        raise ValueError(f"with wrk, --duration / --slices must be at least {WRK_MIN_RUN} s")
    return LoadSpec(args.duration, args.connections, args.warmup, args.max_requests, args.client)


def describe_load(spec: LoadSpec, slices: int, cores: Cores) -> str:
    return (
        f"{spec.connections} connections, {spec.warmup:g} s warm-up, {spec.duration:g} s measured per target "
        f"in {slices} alternating slices\n"
        f"server on core {cores.server}, load generator ({spec.client} client) on core {cores.generator}"
    )


def load_report(spec: LoadSpec) -> dict:
    return {
        "duration_s": spec.duration,
        "connections": spec.connections,
        "warmup_s": spec.warmup,
        "max_requests": spec.max_requests,
        "client": spec.client,
    }


def run_async(name: str, work: Callable[[Path], Awaitable[T]]) -> tuple[int, T | None]:
    """Run `work(tempdir)` to its end: (0, its result), or (exit code, None) with the reason printed. Its
    servers are stopped by then whatever happened: SIGTERM and Ctrl-C unwind through running()."""
    try:
        with sigterm_as_exit(), tempfile.TemporaryDirectory(prefix=f"netspace-{name}-") as tmp:
            return 0, asyncio.run(work(Path(tmp)))
    except KeyboardInterrupt:
        print(f"{name}: interrupted; servers stopped", file=sys.stderr)
        return 130, None
    except (RuntimeError, ValueError, OSError, aiohttp.ClientError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1, None


# --------------------------------------------------------------------------------------------- reports


def environment(cores: Cores) -> dict:
    return {
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "wrk": shutil.which(WRK),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        **cores.describe(),
    }


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def print_results(results: list[LoadResult], ceiling: LoadResult, subject: str, legend_end: str = "") -> None:
    """The table of `results` against the ceiling, their errors, and what its columns mean."""
    print(table(results, ceiling))
    if any(r.errors for r in results):
        print("\nerrors: " + "; ".join(f"{r.name}: {r.error_samples}" for r in results if r.errors))
    print(
        f"\nratio = {subject} req/s / ceiling req/s; cpu ratio = the same per second of server CPU "
        "(srv/gen cpu: share of one core used by the server / the load generator; other: share of the "
        f"two cores used by other processes){legend_end}"
    )


def table(rows: list[LoadResult], ceiling: LoadResult | None) -> str:
    def fmt(value: float | None, pattern: str) -> str:
        return "-" if value is None else format(value, pattern)

    header = (
        f"{'target':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} "
        f"{'srv cpu':>8} {'gen cpu':>8} {'other':>6} {'req/cpu-s':>10} {'cpu ratio':>10} {'errors':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        ratio = row.rps / ceiling.rps if ceiling and ceiling.rps else None
        cpu_ratio = ratio_of(row.rps_per_server_core, ceiling.rps_per_server_core if ceiling else None)
        lines.append(
            f"{row.name:<10} {row.rps:>9.0f} {fmt(row.p50_ms, '.2f'):>8} {fmt(row.p99_ms, '.2f'):>8} "
            f"{fmt(ratio, '.3f'):>6} {fmt(row.server_cpu, '.0%'):>8} {fmt(row.generator_cpu, '.0%'):>8} "
            f"{fmt(row.foreign_cpu, '.0%'):>6} {fmt(row.rps_per_server_core, '.0f'):>10} "
            f"{fmt(cpu_ratio, '.3f'):>10} {row.errors:>7}"
        )
    return "\n".join(lines)


def ratio_of(value: float | None, reference: float | None) -> float | None:
    return round(value / reference, 3) if value is not None and reference else None


def load_figure(result: LoadResult, ratio: float | None = None, unit: str = "req/s") -> str:
    """A load result in one line for the summary: rate, p50/p99, ratio to the ceiling, errors."""

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    text = f"{result.rps:,.0f} {unit}, p50/p99 {ms(result.p50_ms)}/{ms(result.p99_ms)} ms"
    if ratio is not None:
        text += f", ratio {ratio:.3f}"
    return text + (f", {result.errors} errors" if result.errors else "")


def figures(result: LoadResult) -> dict[str, Any]:
    """The machine-readable figures of a summary row from a load result."""
    return {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "errors": result.errors}


def summary_row(
    measure: str, figure: str, target: str | None = None, passed: bool | None = None, **values: Any
) -> dict:
    """One line of bench/run.py's final table: a measure, its figure in words, its target and whether it
    was met (PASS/MISS; None without a target), and the figures as numbers for the JSON."""
    result = None if passed is None else ("PASS" if passed else "MISS")
    return {"measure": measure, "figure": figure, "target": target, "result": result, "values": values}


SUMMARY_COLUMNS = (("measure", "measure"), ("figure", "figure"), ("target", "target"), ("result", "result"))


def summary_table(rows: list[dict]) -> str:
    widths = [max([len(title)] + [len(row[key] or "-") for row in rows]) for key, title in SUMMARY_COLUMNS]
    line = "  ".join(f"{title:<{width}}" for (_, title), width in zip(SUMMARY_COLUMNS, widths, strict=True))
    lines = [line, "-" * len(line)]
    for row in rows:
        cells = [row[key] or "-" for key, _ in SUMMARY_COLUMNS]
        lines.append("  ".join(f"{cell:<{width}}" for cell, width in zip(cells, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def save_report(name: str, started: str, report: dict, args: argparse.Namespace) -> None:
    """bench/results/NAME-STAMP.json unless --no-save, and the --report file for bench/run.py if asked."""
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{name}-{started}.json"
        out.write_text(text)
        print(f"\nwrote {out.relative_to(BENCH_DIR.parent)}")
    if args.report is not None:
        args.report.write_text(text)
