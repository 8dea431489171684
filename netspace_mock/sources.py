"""Injectable sources of time, ids and randomness, so that a test or `--seed` makes a run repeat exactly."""

from __future__ import annotations

import functools
import itertools
import os
import random
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time plus two offsets: one a test injects (it moves everything, signatures included),
    and the sandbox clock an operator advances through the API (it moves the platform's time — session
    and free-bet expiry, payload timestamps — but not signature checks, which compare with real clocks)."""

    def __init__(self, start: float | None = None) -> None:
        self._offset = 0.0 if start is None else start - time.time()
        self.sandbox_offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset + self.sandbox_offset

    def signing_now(self) -> float:
        """The time X-Timestamp is checked against and written with."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def advance_sandbox(self, seconds: float) -> None:
        self.sandbox_offset += seconds


class PooledSystemRandom(random.SystemRandom):
    """The operating system's randomness, as SystemRandom, read POOL_BYTES at a time: SystemRandom reads
    os.urandom for every draw, a system call for each id (2% of a launch's CPU)."""

    POOL_BYTES = 4096

    def __init__(self) -> None:
        super().__init__()
        self._pool = b""
        self._at = 0

    def _take(self, count: int) -> bytes:
        if self._at + count > len(self._pool):
            self._pool, self._at = os.urandom(max(self.POOL_BYTES, count)), 0
        start = self._at
        self._at += count
        return self._pool[start : self._at]

    def getrandbits(self, k: int) -> int:
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        count = (k + 7) // 8
        return int.from_bytes(self._take(count)) >> (count * 8 - k)

    def random(self) -> float:
        return (int.from_bytes(self._take(7)) >> 3) * 2.0**-53

    def randbytes(self, n: int) -> bytes:
        return self._take(n)

    def hex_digits(self, length: int) -> str:
        """`length` random hex digits, straight from the pooled bytes (a third of what formatting
        getrandbits costs: an id is made for every launch, round and transaction)."""
        return self._take((length + 1) // 2).hex()[:length]


ORDERED_FROM = 24  # an id of this many hex digits or more starts in the order ids are made
ORDERED_HEX = 12  # how many of its digits: 4 for the start of the database, 8 for a counter
ORDERED_MASK = 16**ORDERED_HEX - 1


class Ids:
    """Ids and random draws; seeded, they repeat run after run.

    An id of ORDERED_FROM hex digits or more (round, transaction and free-bet ids) starts with
    ORDERED_HEX digits that grow with every id made (`order`): this start of the database, then a
    counter; the rest is random. Ids stay unique and unguessable, and the indexes they key grow at their
    end instead of at a random place: a random key dirties another page of every index it is in, written
    again by each COMMIT (an insert took 50-65 µs among 100,000 random keys, 20 µs ordered). Launch
    tokens start with an order too, and a session's rowid is one (domain.launch_tokens)."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed) if seed is not None else PooledSystemRandom()
        self.boot = 0
        self._made = itertools.count()

    def start(self, boot: int) -> None:
        """Seeded, the n-th start on one database draws its own sequence: the first start of a fresh
        database repeats exactly, and a restart never redraws ids the database already holds."""
        self.boot, self._made = boot, itertools.count()
        if self.seed is not None:
            self.rng = random.Random(f"{self.seed}:{boot}" if boot > 1 else self.seed)

    def hex(self, length: int = 32) -> str:
        rng = self.rng
        if type(rng) is PooledSystemRandom:
            return rng.hex_digits(length)
        return f"{rng.getrandbits(length * 4):0{length}x}"  # seeded: the sequence a seed has always made

    def order(self) -> int:
        """The next number in the order ids are made: this start of the database, then a counter. Never
        the same twice on one database (while a start makes fewer than 2**32 of them)."""
        return self.boot << 32 | (next(self._made) & 0xFFFFFFFF)

    def make(self, prefix: str, length: int = 32) -> str:
        """`prefix` and `length` hex digits (ordered first, see the class)."""
        if length < ORDERED_FROM:
            return prefix + self.hex(length)
        order = self.order() & ORDERED_MASK
        return f"{prefix}{order:012x}{self.hex(length - ORDERED_HEX)}"  # 012: ORDERED_HEX

    def key(self, name: str, size: int) -> bytes:
        """`size` bytes for the key called `name` that the database keeps (store.keys): the operating
        system's, or seeded, the seed's own (as guessable as the seed); drawing one leaves the seeded
        sequence of ids as it was."""
        if self.seed is None:
            return os.urandom(size)
        return random.Random(f"{self.seed}:key:{name}").randbytes(size)


@functools.lru_cache(maxsize=256)
def _to_the_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and Z, the platform's time format. The date and time up to the
    second are rendered once per second and kept for the last 256 seconds seen (strftime was 4.5 us a
    call; a launch writes now and now + 24 h, a round a dozen times); seconds and milliseconds both come
    from the same whole number of milliseconds."""
    millis = int(ts * 1000)
    return f"{_to_the_second(millis // 1000)}{millis % 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 date-time with a zone (Z or ±hh:mm) into Unix seconds; ValueError otherwise."""
    value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a time zone is required (e.g. Z)")
    return value.timestamp()
