"""Launch tokens, the player's capability in a game_url. Nothing is stored for one: a token names the row
of its session and carries a MAC of that session under the database's own key, so a launch writes no
token row and a table of them cannot grow with every launch.

A token is LENGTH lowercase hex digits:

- ORDER_HEX: the order of the launch (Ids.order), so a relaunch of the same session has a fresh token;
- ROW_HEX: the session's rowid, which the mock sets to an Ids.order of its own when it creates the session,
  so that a rowid is never given to a second session, even after a sandbox reset deleted the first;
- MAC_HEX: keyed BLAKE2b (a MAC by design, one call) of the first two parts and of the session's
  operator and session_id. A token that was not made here, or that names a row which now holds another
  session, opens nothing.

Seeded, tokens repeat on a fresh database like every id (the key is the seed's, see Ids.key): nothing
time-dependent goes into them.
"""

from __future__ import annotations

import hashlib
import hmac

from netspace_mock.store.sessions import Session

NAME = "launch_tokens"  # of the key, in store.keys
ORDER_HEX = 12
ORDER_MASK = 16**ORDER_HEX - 1
ROW_HEX = 16
MAC_HEX = 24
HEAD = ORDER_HEX + ROW_HEX
LENGTH = HEAD + MAC_HEX
MAX_ROWID = 2**63 - 1  # SQLite's
KEY_BYTES = 32  # blake2b's largest key
_HEX = frozenset("0123456789abcdef")
_HEAD_FORMAT = f"%0{ORDER_HEX}x%0{ROW_HEX}x"


class LaunchTokens:
    """Makes and checks the launch tokens of one database, with its key (store.keys)."""

    def __init__(self, key: bytes) -> None:
        if not 16 <= len(key) <= KEY_BYTES:
            raise ValueError(f"a launch token key is 16 to {KEY_BYTES} bytes, not {len(key)}")
        self.key = key

    def _mac(self, head: str, session: Session) -> str:
        message = f"{head}\x00{session.operator_id}\x00{session.session_id}".encode("utf-8", "surrogatepass")
        return hashlib.blake2b(message, key=self.key, digest_size=MAC_HEX // 2).hexdigest()

    def make(self, order: int, rowid: int, session: Session) -> str:
        """The token of one launch (`order`, from Ids.order) of `session`, stored at `rowid`."""
        head = _HEAD_FORMAT % (order & ORDER_MASK, rowid)
        return head + self._mac(head, session)

    @staticmethod
    def rowid(token: str) -> int | None:
        """The session row a well-formed token names; None for anything else (no lookup is worth it)."""
        if len(token) != LENGTH or not _HEX.issuperset(token):
            return None
        rowid = int(token[ORDER_HEX:HEAD], 16)
        return rowid if rowid <= MAX_ROWID else None

    def opens(self, token: str, session: Session) -> bool:
        """Whether `token` was made here for `session` (constant time)."""
        return hmac.compare_digest(token[HEAD:], self._mac(token[:HEAD], session))
