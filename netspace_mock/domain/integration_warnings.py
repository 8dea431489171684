"""Integration warnings counted per operator and kind: in memory as requests come, then into SQLite.

A warned request must not wait for a write of its own (a client signing every GET as `undefined` would
make every GET a write), so the counts gather here and `flush` adds them to the table: every few seconds
from the app's background task, at shutdown, and before they are read.
"""

from __future__ import annotations

import asyncio

from netspace_mock.store import integration_warnings as store
from netspace_mock.store.db import Database
from netspace_mock.store.integration_warnings import Seen

FLUSH_INTERVAL = 2.0  # seconds between the background task's writes of the counts gathered


class IntegrationWarnings:
    def __init__(self) -> None:
        self._pending: dict[tuple[int, str], Seen] = {}
        # One write at a time: a reader's flush waits for the background one, so it reads its counts.
        self._writing = asyncio.Lock()

    def note(self, operator_id: int, kind: str, method: str, path: str, line: str, at: float) -> None:
        """Count one warning; the latest example wins."""
        seen = self._pending.get((operator_id, kind))
        if seen is None:
            self._pending[operator_id, kind] = Seen(operator_id, kind, 1, at, at, method, path, line)
            return
        seen.count += 1
        seen.last_seen, seen.method, seen.path, seen.line = at, method, path, line

    async def flush(self, db: Database) -> None:
        """Write the counts gathered so far; on a failure they stay gathered, for the next flush."""
        async with self._writing:
            await self._write(db)

    async def _write(self, db: Database) -> None:
        if not self._pending:
            return
        taken, self._pending = self._pending, {}
        try:
            await store.add(db, list(taken.values()))
        except BaseException:
            for key, seen in taken.items():
                newer = self._pending.get(key)  # what came meanwhile is newer: it keeps its example
                if newer is None:
                    self._pending[key] = seen
                else:
                    newer.count += seen.count
                    newer.first_seen = seen.first_seen
            raise

    async def of_operator(self, db: Database, operator_id: int) -> list[Seen]:
        """The operator's warnings as of now, the most recent kind first."""
        await self.flush(db)
        return await store.of_operator(db, operator_id)
