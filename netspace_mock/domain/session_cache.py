"""The platform's sessions as last committed, kept in memory: every launch and every bet reads its session,
and each read from the database is a hand-over to its connection's thread and back.

What is kept is what the database holds, never more: an entry is put only after the write that made it
has committed, or from a read of the reading connection when no write of a session came in between. The
rules, for every code path that reads or writes the sessions table:

- a read fills the cache with `fill(key, entry, epoch)`, `epoch` taken before the read: any write of a
  session meanwhile moves the epoch, and the row read (perhaps from before that write) is not kept;
- a committed write of one session calls `replace` in the same step of its task as its `COMMIT` (no
  `await` in between): the write lock is held until then, so no other write can have come between;
- a write whose outcome is unknown (it raised) calls `forget`, and a write of many sessions (a sandbox
  reset) calls `clear`, whatever its outcome.

Demo sessions are never kept: their virtual balance is written by their rounds. The cache belongs to one
Platform, which is the only writer of its database file. An expired session stays in the cache like in
the database: its expiry is checked against the operator's clock at each use.
"""

from __future__ import annotations

from netspace_mock.lru import LRU
from netspace_mock.store.sessions import Session

CAPACITY = 4096  # sessions kept; about 3 MB at most
Key = tuple[int, str]  # (operator_id, session_id)
Entry = tuple[int, Session]  # (rowid, session)


class SessionCache:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._kept: LRU[Key, Entry] = LRU(capacity)
        self.epoch = 0  # moves at every write of a session, so that a read begun before it is not kept

    def get(self, key: Key) -> Entry | None:
        return self._kept.get(key)

    def fill(self, key: Key, entry: Entry, epoch: int) -> None:
        """Keep what a read begun at `epoch` found, unless a session was written since."""
        if epoch == self.epoch and entry[1].kind != "demo":
            self._kept.put(key, entry)

    def replace(self, key: Key, entry: Entry) -> None:
        """The session as a write has just committed it."""
        self.epoch += 1
        if entry[1].kind == "demo":
            self._kept.pop(key)
        else:
            self._kept.put(key, entry)

    def forget(self, key: Key) -> None:
        self.epoch += 1
        self._kept.pop(key)

    def clear(self) -> None:
        self.epoch += 1
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)
