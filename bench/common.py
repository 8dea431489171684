"""Shared by every benchmark: a server subprocess pinned to one core, and a bounded load generator on another.

The server runs on the first allowed CPU (via `taskset -c`), the load generator (this process) on the
second, so the two never compete for a core. Everything is loopback only, bounded in time and in count,
and every subprocess is killed on the way out, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

LOOPBACK = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
MAX_CONNECTIONS = 1024
MAX_DURATION = 600.0
MAX_WARMUP = 60.0
DEFAULT_MAX_REQUESTS = 5_000_000
REQUEST_TIMEOUT = 10.0
HEALTH_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
CLIENTS = ("raw", "aiohttp")  # load generator clients; see RawConnection for why raw is the default


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
        """Pin this process (the load generator) to its own core when there are at least two."""
        if self.generator is not None:
            os.sched_setaffinity(0, {self.generator})

    def server_argv(self, argv: list[str]) -> list[str]:
        if self.server is None or self.taskset is None:
            return argv
        return [self.taskset, "-c", str(self.server), *argv]

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it if the benchmark process dies first."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


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
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except BaseException:
            self._log.close()
            raise

    def cpu_seconds(self) -> float | None:
        return _cpu_seconds(self.proc.pid)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def wait_healthy(self, timeout: float = HEALTH_TIMEOUT, path: str = "/health") -> None:
        """Until GET `path` answers 200 (servers without a /health route: pass a path they serve)."""
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
                await asyncio.sleep(0.05)
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


# ------------------------------------------------------------------------------------------------ load


@dataclass(frozen=True)
class LoadSpec:
    duration: float = 5.0
    connections: int = 32
    warmup: float = 1.0
    max_requests: int = DEFAULT_MAX_REQUESTS
    client: str = "raw"

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


@dataclass
class LoadSample:
    """What one measured window produced, raw, so that several windows (slices) can be merged."""

    latencies: list[float]  # seconds, of the successful requests completed in the window
    errors: list[str]
    seconds: float
    server_cpu_s: float | None  # CPU seconds used by the server in the window
    generator_cpu_s: float | None  # same, by the load generator
    foreign_cpu_s: float | None  # CPU seconds used by other processes on the two pinned cores
    capped: bool  # True when max_requests ended the window early


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
    """One keep-alive HTTP/1.1 connection on bare asyncio streams: GET, read the status, the headers and
    exactly Content-Length bytes. Several times cheaper per request than aiohttp's client, so that one
    client core can saturate one server core (with aiohttp's client, the client is the limit)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
        if "content-length" not in fields:
            raise ValueError("the raw client needs a Content-Length header in every response")
        body = await self.reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


RAW_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError)


async def generate_load(
    url: str,
    make_headers: Callable[[], dict[str, str]],
    spec: LoadSpec,
    server: ServerProcess | None = None,
    cores: Cores | None = None,
    expect_status: int = 200,
) -> LoadSample:
    """GET `url` from `spec.connections` concurrent keep-alive connections; keep what completes in the
    measured window (after the warm-up), stop at its end or after `spec.max_requests` requests."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise ValueError(f"load is only generated against http://{LOOPBACK}:PORT, not {url}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + spec.warmup, start + spec.warmup + spec.duration
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0
    cpu: dict[str, tuple[float | None, ...]] = {}
    pinned = (cores.server, cores.generator) if cores else (None, None)

    def sample(label: str) -> None:
        times = os.times()
        own = (server.cpu_seconds() if server else None, times.user + times.system)
        cpu[label] = own + _core_busy_seconds(pinned)

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
                        status, _ = await connection.get(target, make_headers())
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
                async with session.get(url, headers=make_headers()) as response:
                    await response.read()
                    if response.status != expect_status:
                        problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            record(began, problem)

    async def sampler() -> None:
        await asyncio.sleep(max(window_start - loop.time(), 0))
        sample("start")
        await asyncio.sleep(max(window_end - loop.time(), 0))
        sample("end")

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
            sample("end")
        else:
            await sampling
    finally:
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
    measured = min(loop.time(), window_end) - window_start if capped else spec.duration

    def used(index: int) -> float | None:
        if "start" not in cpu or cpu["start"][index] is None or cpu["end"][index] is None:
            return None
        return cpu["end"][index] - cpu["start"][index]

    server_s, generator_s, core0_s, core1_s = (used(i) for i in range(4))
    foreign_s = None
    if None not in (server_s, generator_s, core0_s, core1_s):
        foreign_s = max(core0_s + core1_s - server_s - generator_s, 0.0)
    return LoadSample(latencies, errors, max(measured, 0.0), server_s, generator_s, foreign_s, capped)


def summarize(name: str, samples: list[LoadSample]) -> LoadResult:
    """One result from one or more measured windows of the same target."""
    latencies = sorted(x for sample in samples for x in sample.latencies)
    errors = [e for sample in samples for e in sample.errors]
    seconds = sum(sample.seconds for sample in samples)

    def share(values: list[float | None], cores: int = 1) -> float | None:
        if None in values or seconds <= 0:
            return None
        return round(sum(values) / (cores * seconds), 3)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return LoadResult(
        name=name,
        requests=len(latencies),
        errors=len(errors),
        seconds=round(seconds, 3),
        rps=round(len(latencies) / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=ms(percentile(latencies, 50)),
        p99_ms=ms(percentile(latencies, 99)),
        max_ms=ms(latencies[-1] if latencies else None),
        server_cpu=share([sample.server_cpu_s for sample in samples]),
        generator_cpu=share([sample.generator_cpu_s for sample in samples]),
        foreign_cpu=share([sample.foreign_cpu_s for sample in samples], cores=2),
        capped=any(sample.capped for sample in samples),
        slices=len(samples),
        error_samples=sorted(set(errors))[:5],
    )


# -------------------------------------------------------------------------------------- sliced targets

SLICE_WARMUP = 0.25  # seconds to re-open the connections before every slice after a target's first
BUSY_MACHINE = 0.1  # other processes above this share of the two cores make a run noisy
CLIENT_BOUND = 0.9  # a generator above this share of its core is the limit, not the server


async def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """One GET: the status, the Content-Type and the body."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as session,
        session.get(url, headers=headers) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.read()


async def serve_mock_and_ceiling(
    servers: list[ServerProcess],
    path: str,
    make_headers: Callable[[], dict[str, str]],
    workdir: Path,
    cores: Cores,
) -> tuple[ServerProcess, ServerProcess, bytes, str]:
    """Start the mock, GET `path` from it (with `make_headers()`), then start the ceiling (bare_server.py)
    answering `path` with exactly those bytes. Each server joins `servers` as soon as it starts, so that
    `running(servers)` stops it. Returns the mock, the ceiling, the body and its Content-Type."""
    port = free_port()
    mock = ServerProcess("mock", mock_argv(port, workdir / "bench.db"), port, cores, workdir / "mock.log")
    servers.append(mock)
    await mock.wait_healthy()
    status, content_type, body = await fetch(mock.base_url + path, make_headers())
    if status != 200:
        raise RuntimeError(f"the mock answered {status} to GET {path}: {body[:500]!r}")
    body_file = workdir / "body.bin"
    body_file.write_bytes(body)
    port = free_port()
    argv = [sys.executable, str(BENCH_DIR / "bare_server.py"), str(port), path, str(body_file), content_type]
    ceiling = ServerProcess("ceiling", argv, port, cores, workdir / "bare.log")
    servers.append(ceiling)
    await ceiling.wait_healthy()
    ceiling_status, _, ceiling_body = await fetch(ceiling.base_url + path, make_headers())
    if (ceiling_status, ceiling_body) != (200, body):
        raise RuntimeError("the bare app does not answer the mock's exact bytes")
    return mock, ceiling, body, content_type


async def measure_in_slices(
    targets: list[tuple[str, ServerProcess]],
    path: str,
    make_headers: Callable[[], dict[str, str]],
    spec: LoadSpec,
    slices: int,
    cores: Cores,
) -> dict[str, list[LoadSample]]:
    """GET `path` from every target in `slices` slices of duration/slices seconds each. All servers stay up
    (the idle ones cost nothing) and are measured in alternating order, A B C C B A A B C ..., so that a
    change in the machine's speed during the run weighs on all alike. A target's first slice has the full
    warm-up, the later ones at most SLICE_WARMUP (to re-open the connections)."""
    samples: dict[str, list[LoadSample]] = {name: [] for name, _ in targets}
    for index in range(slices):
        for name, server in targets if index % 2 == 0 else reversed(targets):
            warmup = spec.warmup if not samples[name] else min(spec.warmup, SLICE_WARMUP)
            slice_spec = replace(spec, duration=spec.duration / slices, warmup=warmup)
            url = server.base_url + path
            samples[name].append(await generate_load(url, make_headers, slice_spec, server, cores))
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


# --------------------------------------------------------------------------------------------- reports


def environment(cores: Cores) -> dict:
    return {
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        **cores.describe(),
    }


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


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
