"""A hostile operator wallet: the scripted wallet of wallets.py, whose next answer to an action can be
replaced by hostile bytes, written in pieces, held until the test releases it, or dripped forever.

It books what it is sent (so a bet it answered badly is in its ledger, and a rollback must revert it)
and then answers with what an attacker, or a broken proxy, would send.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp import web

from wallets import TestWallet


def _text(answer: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**answer, **changes}, default=float)


def _with_balance(literal: str) -> Callable[[dict[str, Any]], bytes]:
    """The booked answer with its balance replaced by a raw JSON literal."""

    def build(answer: dict[str, Any]) -> bytes:
        return _text(answer, balance="@@").replace('"@@"', literal).encode()

    return build


@dataclass
class Hostile:
    """How to answer: `build` turns the wallet's honest answer into the bytes sent; `pieces` is how
    many pieces they are written in, `gap` the seconds between pieces; `drip` writes one byte every
    `gap` seconds after the first piece and never ends the answer."""

    build: Callable[[dict[str, Any]], bytes]
    pieces: int = 1
    gap: float = 0.0
    drip: bool = False
    hold: bool = True


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
    "slow_drip": Hostile(lambda a: b'{"success": true, ', drip=True, gap=0.05, hold=False),
}


class HostileWallet(TestWallet):
    __test__ = False

    def __init__(self) -> None:
        super().__init__()
        self.script: dict[str, list[Hostile | None]] = defaultdict(list)  # None: an honest answer
        self.held = asyncio.Event()  # a hostile answer is waiting for `release` before its last piece
        self.release = asyncio.Event()
        self.hostile_calls = 0

    def answer(self, action: str, *attacks: str) -> None:
        """Answer the next calls of this action with these attacks (ATTACKS names), in order."""
        self.script[action].extend(ATTACKS[name] for name in attacks)

    def mix(self, action: str, names: list[str | None]) -> None:
        """Answer the next calls of this action with these attacks, not held (None: honestly)."""
        self.script[action].extend(None if n is None else replace(ATTACKS[n], hold=False) for n in names)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        payload = json.loads(await request.read())
        script = self.script[payload.get("action_type")]
        hostile = script.pop(0) if script else None
        if hostile is None:
            return await super().handle(request)
        self.hostile_calls += 1
        self.calls.append({"headers": dict(request.headers), "raw": await request.read(), "payload": payload})
        self.received.set()
        booked = self._book(payload)
        return await self._write(request, hostile, hostile.build(booked))

    async def _write(self, request: web.Request, hostile: Hostile, data: bytes) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        size = -(-len(data) // hostile.pieces)
        pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        with contextlib.suppress(ConnectionError):
            for i, piece in enumerate(pieces):
                if i == len(pieces) - 1 and hostile.hold:
                    self.held.set()
                    await self.release.wait()
                await response.write(piece)
                if hostile.gap:
                    await asyncio.sleep(hostile.gap)
            if hostile.drip:
                self.held.set()
                while True:  # until the mock gives up and closes the connection
                    await response.write(b" ")
                    await asyncio.sleep(hostile.gap)
            await response.write_eof()
        return response


@pytest.fixture
async def hostile_wallet(aiohttp_server):
    """A wallet on port 0 whose answers the test scripts (tests/hostile_wallets.py)."""
    wallet = HostileWallet()
    app = web.Application()
    app.router.add_post("/hooks/netspace", wallet.handle)
    server = await aiohttp_server(app)
    wallet.url = str(server.make_url("/hooks/netspace"))
    return wallet
