"""Handlers of the operator's own test controls: the request journal, the webhook URL, injected faults."""

from __future__ import annotations

from typing import Any

from netspace_mock.api.call import Call
from netspace_mock.domain import calls, faults, journal


async def requests(call: Call) -> dict[str, Any]:
    return await journal.requests(call.platform.journal, call.operator.id, call.query)


async def webhook(call: Call) -> dict[str, Any]:
    return calls.webhook_view(call.platform, call.operator)


async def set_webhook(call: Call) -> dict[str, Any]:
    return await calls.change_webhook(call.platform, call.operator, call.body["url"], "the API")


async def fault_rules(call: Call) -> dict[str, Any]:
    return faults.listing(call.platform.faults, call.operator.id)


async def add_fault(call: Call) -> dict[str, Any]:
    platform = call.platform
    rule = await platform.faults.add(
        call.operator.id, call.body, platform.clock.operator_now(call.operator.id)
    )
    return {"fault": faults.view(rule), **faults.listing(platform.faults, call.operator.id)}


async def clear_faults(call: Call) -> dict[str, Any]:
    deleted = await call.platform.faults.clear(call.operator.id)
    return {"deleted": deleted, "faults": []}
