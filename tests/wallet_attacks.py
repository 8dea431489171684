"""The wallet's hostile answers: what an attacker, or a broken proxy, would send back for a call.

Each is a flaw of the wallet (tests/wallets.py) by its ATTACKS name: the wallet books the call as usual
(so a bet it answered badly is in its ledger, and a rollback must revert it), then answers with these
bytes, written in pieces, held until the test releases them, or dripped forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web


def _text(answer: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**answer, **changes}, default=float)


def _with_balance(literal: str) -> Callable[[dict[str, Any]], bytes]:
    """The booked answer with its balance replaced by a raw JSON literal."""

    def build(answer: dict[str, Any]) -> bytes:
        return _text(answer, balance="@@").replace('"@@"', literal).encode()

    return build


@dataclass(frozen=True)
class Hostile:
    """How to answer: `build` turns the wallet's honest answer into the bytes sent; `pieces` is how
    many pieces they are written in, `gap` the seconds between pieces; `drip` writes one byte every
    `gap` seconds after the first piece and never ends the answer; `hold` waits for the wallet's
    `release` before the last piece (`wallet.fail(action, attack, held=True)`)."""

    build: Callable[[dict[str, Any]], bytes]
    pieces: int = 1
    gap: float = 0.0
    drip: bool = False
    hold: bool = False


# Every attack of the suite, by name: what the wallet answers after booking the call.
ATTACKS: dict[str, Hostile] = {
    "chunked_70_bytes": Hostile(lambda a: _text(a).encode(), pieces=2, gap=0.05),
    "valid_200_kb": Hostile(lambda a: _text(a, padding="x" * 200_000).encode(), pieces=13, gap=0.0),
    "over_1_mib": Hostile(lambda a: _text(a, padding="x" * 1_200_000).encode(), pieces=20),
    "huge_exponent": Hostile(_with_balance("1e999999")),
    "nan": Hostile(_with_balance("NaN")),
    "minus_1e300": Hostile(_with_balance("-1e300")),
    "balance_2e12": Hostile(_with_balance("2e12")),
    "digits_4000": Hostile(_with_balance("9" * 4000)),
    "invalid_utf8": Hostile(
        lambda a: _text(a, transaction_id="@@").replace('"@@"', '"\xff\xfe"').encode("latin-1")
    ),
    "lone_surrogate": Hostile(lambda a: _text(a, transaction_id="@@").replace('"@@"', '"\\ud800"').encode()),
    "deep_200000": Hostile(lambda a: b"[" * 200_000),
    # Sets the wallet's `held` once it starts dripping: nothing to release, it ends when the mock hangs up.
    "slow_drip": Hostile(lambda a: b'{"success": true, ', drip=True, gap=0.05),
}


async def write(
    request: web.Request, hostile: Hostile, data: bytes, held: asyncio.Event, release: asyncio.Event
) -> web.StreamResponse:
    """Send `data` as `hostile` says; `held` is set while the last piece waits for `release`."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    size = -(-len(data) // hostile.pieces)
    pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    with contextlib.suppress(ConnectionError):
        for i, piece in enumerate(pieces):
            if i == len(pieces) - 1 and hostile.hold:
                held.set()
                await release.wait()
            await response.write(piece)
            if hostile.gap:
                await asyncio.sleep(hostile.gap)
        if hostile.drip:
            held.set()
            while True:  # until the mock gives up and closes the connection
                await response.write(b" ")
                await asyncio.sleep(hostile.gap)
        await response.write_eof()
    return response
