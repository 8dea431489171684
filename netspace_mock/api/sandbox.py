"""Handlers of /api/sandbox/*: balance, bet, stats, reset, and the inspection of rounds and webhooks."""

from __future__ import annotations

from typing import Any

from netspace_mock.api.call import Call
from netspace_mock.domain import balances, sandbox
from netspace_mock.domain.rounds import recovery, start, views


async def balance(call: Call) -> dict[str, Any]:
    return await balances.balance(call.platform, call.operator, call.query["session_id"])


async def bet(call: Call) -> dict[str, Any]:
    return {"round": await start.play(call.platform, call.operator, call.body)}


async def round_detail(call: Call) -> dict[str, Any]:
    return {"round": await views.get(call.platform, call.operator, call.params["roundId"])}


async def stats(call: Call) -> dict[str, Any]:
    return await sandbox.stats(call.platform, call.operator)


async def reset(call: Call) -> dict[str, Any]:
    return await sandbox.reset(call.platform, call.operator)


async def webhook_attempts(call: Call) -> dict[str, Any]:
    return await sandbox.webhook_attempts(call.platform, call.operator, call.query)


async def deliveries(call: Call) -> dict[str, Any]:
    return await sandbox.deliveries(call.platform, call.operator, call.query)


async def resend(call: Call) -> dict[str, Any]:
    body = call.body
    return {
        "round": await recovery.resend(
            call.platform, call.operator, body["action_type"], body["transaction_id"]
        )
    }


async def clock(call: Call) -> dict[str, Any]:
    return sandbox.clock(call.platform, call.operator)


async def advance_clock(call: Call) -> dict[str, Any]:
    return await sandbox.advance_clock(call.platform, call.operator, call.body["advance_seconds"])
