"""The background dispatcher: finds outbox deliveries whose retry is due and hands their round on.

It owns no round logic: `advance(operator_id, round_id)` (the round engine) decides and sends. It
never runs two tasks for one round at once, and it wakes early when something new is scheduled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from netspace_mock.sources import Clock
from netspace_mock.store import Database
from netspace_mock.store import rounds as store

log = logging.getLogger("netspace_mock.webhooks")
IDLE_POLL = 1.0


class Dispatcher:
    def __init__(self, db: Database, clock: Clock, advance: Callable[[int, str], Awaitable[object]]) -> None:
        self.db = db
        self.clock = clock
        self.advance = advance
        self._wake = asyncio.Event()
        self._running: dict[tuple[int, str], asyncio.Task] = {}

    def wake(self) -> None:
        self._wake.set()

    async def run(self, first_delay: float = 0.0) -> None:
        await asyncio.sleep(first_delay)
        while True:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher tick failed; retrying in %s s", IDLE_POLL)
            await self._sleep()

    async def _tick(self) -> None:
        for delivery in await store.due_deliveries(self.db, self.clock.now()):
            key = (delivery.operator_id, delivery.round_id)
            if key not in self._running:
                self._running[key] = asyncio.create_task(self._advance(key))

    async def _advance(self, key: tuple[int, str]) -> None:
        try:
            await self.advance(*key)
        except Exception:
            log.exception("delivery for round %s failed unexpectedly", key[1])
        finally:
            self._running.pop(key, None)
            self.wake()

    async def _sleep(self) -> None:
        next_at = await store.next_due_at(self.db)
        if next_at is None or (next_at <= self.clock.now() and self._running):
            delay = IDLE_POLL  # nothing due, or the due round is already running and will wake us
        else:
            delay = min(max(next_at - self.clock.now(), 0.0), IDLE_POLL)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(delay, 0.005))

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until nothing is due and nothing is running (tests and shutdown use this)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            pending = await store.next_due_at(self.db)
            if not self._running and pending is None:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("deliveries still pending")

    async def stop(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
