"""Injectable sources of time, ids and randomness, so that a test or `--seed` makes a run repeat exactly."""

from __future__ import annotations

import itertools
import random
import secrets
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time plus an offset a test injects (it moves everything, signatures included), and a
    sandbox clock per operator: how far that operator has moved its own time ahead through the API. An
    operator's time (`operator_now`) stamps and expires its sessions, free bets, rounds and payloads and
    schedules its retries; the platform's own time (`now`) checks signatures, portal sign-ins and
    everything no single operator owns, and no operator can move it."""

    def __init__(self, start: float | None = None) -> None:
        self._offset = 0.0 if start is None else start - time.time()
        self._ahead: dict[int, float] = {}

    def now(self) -> float:
        return time.time() + self._offset

    def operator_now(self, operator_id: int) -> float:
        return self.now() + self._ahead.get(operator_id, 0.0)

    def ahead(self, operator_id: int) -> float:
        """Seconds this operator's sandbox clock runs ahead of the platform's."""
        return self._ahead.get(operator_id, 0.0)

    def set_ahead(self, operator_id: int, seconds: float) -> None:
        self._ahead[operator_id] = seconds

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class Ids:
    """Ids and random draws: the operating system's randomness, or seeded, the same run after run."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self.boot = 0
        self._made = itertools.count()

    def start(self, boot: int) -> None:
        """Seeded, the n-th start on one database draws its own sequence: the first start of a fresh
        database repeats exactly, and a restart never redraws ids the database already holds."""
        self.boot, self._made = boot, itertools.count()
        if self.seed is not None:
            self.rng = random.Random(f"{self.seed}:{boot}" if boot > 1 else self.seed)

    def hex(self, length: int = 32) -> str:
        return f"{self.rng.getrandbits(length * 4):0{length}x}"

    def order(self) -> int:
        """The next number in the order of this start of the database: never the same twice on one
        database (while a start makes fewer than 2**32), so a session's rowid is never given again."""
        return self.boot << 32 | (next(self._made) & 0xFFFFFFFF)

    def make(self, prefix: str, length: int = 32) -> str:
        """`prefix` and `length` random hex digits."""
        return prefix + self.hex(length)

    def stream(self, name: str) -> random.Random:
        """Draws of their own for the thing called `name` (a fault rule, say): seeded, the same for the
        same name on each start of a database, whatever else is drawn meanwhile; else the system's."""
        if self.seed is None:
            return random.SystemRandom()
        return random.Random(f"{self.seed}:{self.boot}:{name}")

    def key(self, name: str, size: int) -> bytes:
        """`size` bytes for the key called `name` that the database keeps (store.keys): the operating
        system's, or seeded, the seed's own (as guessable as the seed); drawing one leaves the seeded
        sequence of ids as it was."""
        if self.seed is None:
            return secrets.token_bytes(size)
        return random.Random(f"{self.seed}:key:{name}").randbytes(size)


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and Z, the platform's time format."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 date-time with a zone (Z or ±hh:mm) into Unix seconds; ValueError otherwise."""
    value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a time zone is required (e.g. Z)")
    return value.timestamp()
