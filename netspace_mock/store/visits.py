"""Players' last visits, written together. A relaunch that changes nothing writes only its player's last
visit, and under load many arrive at once: each still waits until its own visit is committed, but the
visits that arrive while one write is on its way share the next one, a single statement for all of them
(one hand-over to the connection's thread, one commit, instead of one each)."""

from __future__ import annotations

import asyncio

from netspace_mock.store.db import Database

# SQLite binds at most 32,766 values in one statement; four a visit.
MAX_ROWS = 1000
# The first and last visit; MAX, as two launches of one player may be written in either order.
_INSERT = "INSERT INTO players(operator_id, player_id, first_seen_at, last_seen_at) VALUES "
_ROW = "(?,?,?,?)"
_UPSERT = " ON CONFLICT DO UPDATE SET last_seen_at = MAX(last_seen_at, excluded.last_seen_at)"


def statement(rows: int) -> str:
    """The upsert of `rows` visits."""
    return _INSERT + ",".join([_ROW] * rows) + _UPSERT


class Visits:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: dict[tuple[int, str], str] = {}  # (operator_id, player_id) -> the latest visit
        self._written: asyncio.Future[None] | None = None  # done when the pending visits are committed
        self._writer: asyncio.Task[None] | None = None

    async def seen(self, operator_id: int, player_id: str, at: str) -> None:
        """Record the player's visit at `at` (ISO 8601, so that the later one sorts last) and return once
        it is committed; raises what the write raised."""
        key = (operator_id, player_id)
        self._pending[key] = max(at, self._pending.get(key, at))
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
        written = self._written
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_pending())
        # Shielded: a request that goes away does not cancel the write the others wait for.
        await asyncio.shield(written)

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                pending, written = self._pending, self._written
                self._pending, self._written = {}, None
                assert written is not None
                try:
                    rows = [(*key, at, at) for key, at in pending.items()]
                    for start in range(0, len(rows), MAX_ROWS):
                        chunk = rows[start : start + MAX_ROWS]
                        await self._db.execute(statement(len(chunk)), [v for row in chunk for v in row])
                except asyncio.CancelledError:
                    written.cancel()
                    raise
                except Exception as exc:
                    written.set_exception(exc)
                else:
                    written.set_result(None)
        except asyncio.CancelledError:
            # Stopped (the loop is closing): whoever waits for the visits not written is told so.
            if self._written is not None:
                self._written.cancel()
            self._pending, self._written = {}, None
            raise
        finally:
            self._writer = None
