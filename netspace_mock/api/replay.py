"""Replayed requests: a bounded memory of recently accepted (operator, signature) pairs.

The guide accepts a correctly signed request again as long as its timestamp is inside the window, so a
replay is not refused; it is only made visible, as `replay: true` on its request log line. The memory
holds the last REPLAY_MEMORY accepted requests (an LRU), so it stays bounded however long the mock runs:
a replay of an older request goes unnoticed, never a fresh request taken for one. Two identical requests
signed in the same second (a GET polled twice) are indistinguishable from a replay, and are shown as one.
"""

from __future__ import annotations

from collections import OrderedDict

REPLAY_MEMORY = 32_768  # pairs kept: about 7 MB at most (a 40-byte key and the LRU's links, ~200 B each)


class ReplayDetector:
    def __init__(self, capacity: int = REPLAY_MEMORY) -> None:
        self.capacity = capacity
        self.replays = 0
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    def seen(self, operator_id: int, signature: str) -> bool:
        """Remember this accepted request; True when the same one was accepted before (a replay).
        `signature` is one verify() accepted: 64 hex digits in any case, kept as its 32 bytes."""
        key = operator_id.to_bytes(8, "big") + bytes.fromhex(signature.strip())
        if key in self._seen:
            self._seen.move_to_end(key)
            self.replays += 1
            return True
        self._seen[key] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._seen)
