"""The request journal: what the pipeline records of each request, written in batches off the request's
path, and read back for `GET /api/sandbox/requests` and the portal's Requests page.

A request adds its entry to a list in memory (no I/O); one task writes the list every FLUSH_SECONDS, or
at once when BATCH entries wait, in one transaction with `executemany`, then prunes what the bounds no
longer keep. A reader flushes first, so a client always sees its own previous requests. What waits in
memory when the process dies (at most the last FLUSH_SECONDS of requests) is lost: the journal is a
record for reading, not a ledger. Shutdown writes it all.

A request whose API key names no operator belongs to nobody: it is kept only in a small ring in memory
(`strangers`) and written to the server's log, never shown through the API or the portal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from netspace_mock.errors import InvalidRequest
from netspace_mock.sources import iso, parse_iso
from netspace_mock.store import journal as store
from netspace_mock.store.attempts import cut
from netspace_mock.store.db import Database
from netspace_mock.store.journal import Bounds, Entry

log = logging.getLogger("netspace_mock.journal")
FLUSH_SECONDS = 0.005
BATCH = 256
STRANGERS_KEPT = 64
MASK = "[secret]"


@dataclass
class Touched:
    """The ids a request touched, read from its body, its query and its answer. `operator_id` is set
    by the game page's calls, which carry no API key: the session's operator."""

    operator_id: int | None = None
    session_id: str | None = None
    round_id: str | None = None
    free_bet_id: str | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def touched(*found: Any, operator_id: int | None = None) -> Touched:
    """The session, round and free bet named by any of these dicts (a body, a query string, an answer),
    at their top level or in the answer's `round` and `free_bet`; the first one named wins."""
    ids = Touched(operator_id=operator_id)
    for source in found:
        if not isinstance(source, dict):
            continue
        for part in (source, source.get("round"), source.get("free_bet")):
            if not isinstance(part, dict):
                continue
            ids.session_id = ids.session_id or _text(part.get("session_id"))
            ids.round_id = ids.round_id or _text(part.get("round_id"))
            ids.free_bet_id = ids.free_bet_id or _text(part.get("netspace_free_bet_id"))
    return ids


def masked(text: str, secret: str) -> str:
    """`text` with the operator's secret key replaced, wherever it appears."""
    return text.replace(secret, MASK) if secret else text


def masked_all(value: Any, secret: str) -> Any:
    """Every string in a JSON-like value, masked."""
    if isinstance(value, str):
        return masked(value, secret)
    if isinstance(value, dict):
        return {k: masked_all(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_all(v, secret) for v in value]
    return value


def kept_body(raw: bytes, secret: str, limit: int) -> str:
    """A body as the journal keeps it: masked, then cut to `limit` bytes, so no more than that waits in
    memory for the writer (masked over a little more first, so no part of the secret survives the cut)."""
    window = raw[: limit + 4 * len(secret) + 4]
    return cut(masked(window.decode("utf-8", "replace"), secret), limit) or ""


class Journal:
    """The pending entries, the task that writes them, and the ring of requests nobody owns."""

    def __init__(self, db: Database, bounds: Bounds) -> None:
        self.db, self.bounds = db, bounds
        self.strangers: deque[dict[str, Any]] = deque(maxlen=STRANGERS_KEPT)
        self._pending: list[Entry] = []
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()
        self._added = Counter()  # rows per operator since its last pruning
        self._task: asyncio.Task | None = None

    def add(self, entry: Entry) -> None:
        self._pending.append(entry)
        self._wake.set()

    def stranger(self, fields: dict[str, Any]) -> None:
        self.strangers.append(fields)
        log.info("request of no operator: %(method)s %(path)s %(status)s (%(why)s)", fields, extra=fields)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if len(self._pending) < BATCH:
                await asyncio.sleep(FLUSH_SECONDS)
            self._wake.clear()
            try:
                # Shielded: a close() while a batch is written lets it finish (close waits for it).
                await asyncio.shield(self.flush())
            except Exception as exc:  # a full disk: this batch is lost, the next one is tried
                log.warning("journal rows could not be written and were dropped: %s", exc)

    async def flush(self) -> None:
        """Write every pending entry (and wait for a write under way, whose entries are taken)."""
        async with self._writing:
            batch, self._pending = self._pending, []
            if not batch:
                return
            async with self.db.transaction() as conn:
                await store.insert_many(conn, batch, self.bounds)
                self._added.update(e.operator_id for e in batch)
                for operator_id, n in list(self._added.items()):
                    if n >= self.bounds.step:
                        await store.prune(conn, operator_id, self.bounds)
                        del self._added[operator_id]

    async def close(self) -> None:
        """Stop the task and write what is pending (and wait for a batch under way)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()


def filters(query: dict[str, Any]) -> dict[str, Any]:
    """The store's filters from a validated `sandbox.requests.query`."""
    found = {k: query.get(k) for k in ("status", "verdict", "path", "session_id", "round_id", "source")}
    found["free_bet_id"] = query.get("netspace_free_bet_id")
    found["faulted"] = query.get("faulted")
    if query.get("since"):
        try:
            found["since"] = parse_iso(query["since"])
        except ValueError as exc:
            raise InvalidRequest.at("$.since", f"is not an ISO 8601 time with a zone: {exc}") from None
    return found


def view(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id,
        "time": iso(e.created_at),
        "source": e.source,
        "method": e.method,
        "path": e.path,
        "query": e.query,
        "headers": e.headers,
        "body": e.body,
        "body_bytes": e.body_bytes,
        "verdict": e.verdict,
        "refusal": e.refusal,
        "warnings": e.warnings,
        "fault": e.fault,
        "status": e.status,
        "error_code": e.error_code,
        "latency_ms": e.latency_ms,
        "session_id": e.session_id,
        "round_id": e.round_id,
        "netspace_free_bet_id": e.free_bet_id,
    }


async def requests(journal: Journal, operator_id: int, query: dict[str, Any]) -> dict[str, Any]:
    """One page of the operator's journal, newest first, after writing what is pending."""
    await journal.flush()
    number, per_page = query.get("page", 1), query.get("per_page", 50)
    found, total = await store.search(
        journal.db, operator_id, filters(query), per_page, (number - 1) * per_page
    )
    pages = {"page": number, "per_page": per_page, "total": total, "total_pages": -(-total // per_page)}
    return {"requests": [view(e) for e in found], "pagination": pages}
