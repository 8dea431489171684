"""Handlers of /api/v1/freebets/*: assign, status, cancel."""

from __future__ import annotations

from typing import Any

from netspace_mock.api.call import Call
from netspace_mock.domain import free_bets


async def assign(call: Call) -> dict[str, Any]:
    return await free_bets.assign(call.platform, call.operator, call.body)


async def status(call: Call) -> dict[str, Any]:
    return await free_bets.status(call.platform, call.operator, call.body)


async def cancel(call: Call) -> dict[str, Any]:
    return await free_bets.cancel(call.platform, call.operator, call.body)
