"""The background dispatcher: finds outbox deliveries whose retry is due and hands their round on.

It owns no round logic: `advance(operator_id, round_id)` (the round engine) decides and sends. It
never runs two tasks for one round at once, and it wakes early when something new is scheduled. A
round whose advance fails unexpectedly (or a tick that fails) is tried again after a delay that
doubles up to FAILURE_BACKOFF_MAX, with one log line per failure: never a busy loop of tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from netspace_mock.sources import Clock
from netspace_mock.store import Database
from netspace_mock.webhooks import outbox

log = logging.getLogger("netspace_mock.webhooks")
IDLE_POLL = 1.0
FAILURE_BACKOFF = 1.0
FAILURE_BACKOFF_MAX = 60.0


def failure_delay(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: 1, 2, 4, ... up to FAILURE_BACKOFF_MAX."""
    return min(FAILURE_BACKOFF * 2 ** min(failures - 1, 16), FAILURE_BACKOFF_MAX)


class Dispatcher:
    def __init__(self, db: Database, clock: Clock, advance: Callable[[int, str], Awaitable[object]]) -> None:
        self.db = db
        self.clock = clock
        self.advance = advance
        self._wake = asyncio.Event()
        self._running: dict[tuple[int, str], asyncio.Task] = {}
        self._failures: dict[tuple[int, str], int] = {}  # failures in a row of a round's advance
        self._held_until: dict[tuple[int, str], float] = {}  # loop time before which it is not retried

    def wake(self) -> None:
        self._wake.set()

    async def run(self, first_delay: float = 0.0) -> None:
        await asyncio.sleep(first_delay)
        failures = 0
        while True:
            try:
                held = await self._tick()
                await self._sleep(held)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = failure_delay(failures)
                log.warning("dispatcher tick failed (%s); next try in %g s", _what(exc), delay)
                await asyncio.sleep(delay)

    async def _tick(self) -> float | None:
        """Start a task for each due round not already running or held back; returns the loop time
        at which the earliest held-back round may be tried again (None: none is held back)."""
        now, held = self._loop_time(), None
        for delivery in await outbox.due(self.db, self.clock.now()):
            key = (delivery.operator_id, delivery.round_id)
            until = self._held_until.get(key)
            if until is not None and until > now:
                held = until if held is None else min(held, until)
            elif key not in self._running:
                self._running[key] = asyncio.create_task(self._advance(key))
        return held

    async def _advance(self, key: tuple[int, str]) -> None:
        try:
            await self.advance(*key)
            self._failures.pop(key, None)
            self._held_until.pop(key, None)
        except Exception as exc:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
            delay = failure_delay(failures)
            self._held_until[key] = self._loop_time() + delay
            log.warning(
                "delivery for round %s failed unexpectedly (%s); next try in %g s", key[1], _what(exc), delay
            )
        finally:
            self._running.pop(key, None)
            self.wake()

    async def _sleep(self, held: float | None = None) -> None:
        next_at = await outbox.next_due_at(self.db)
        now = self.clock.now()
        if next_at is None or (next_at <= now and (self._running or held is not None)):
            # Nothing due, or what is due is running (it will wake us) or held back after a failure.
            delay = IDLE_POLL if held is None else min(max(held - self._loop_time(), 0.0), IDLE_POLL)
        else:
            delay = min(max(next_at - now, 0.0), IDLE_POLL)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(delay, 0.005))

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until nothing is due and nothing is running (tests and shutdown use this)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            pending = await outbox.next_due_at(self.db)
            if not self._running and pending is None:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("deliveries still pending")

    async def stop(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"
