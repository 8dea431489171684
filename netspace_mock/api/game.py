"""Handlers of /api/game/*: launch, demo launch and currencies (and the sandbox launch)."""

from __future__ import annotations

from typing import Any

from netspace_mock.api.call import Call
from netspace_mock.domain import sessions
from netspace_mock.domain.money import CURRENCIES


async def launch(call: Call) -> dict[str, Any]:
    return await sessions.launch(call.platform, call.operator, call.body, kind="real")


async def sandbox_launch(call: Call) -> dict[str, Any]:
    return await sessions.launch(call.platform, call.operator, call.body, kind="sandbox")


async def launch_demo(call: Call) -> dict[str, Any]:
    return await sessions.launch_demo(call.platform, call.operator, call.body)


async def currencies(call: Call) -> dict[str, Any]:
    return {"currencies": CURRENCIES}
