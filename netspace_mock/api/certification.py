"""Handlers of /api/certification/*: list the tests, run them against the operator's webhook, status."""

from __future__ import annotations

from typing import Any

from netspace_mock.api.call import Call
from netspace_mock.domain import certification_runs


async def tests(call: Call) -> dict[str, Any]:
    return certification_runs.tests()


async def run(call: Call) -> dict[str, Any]:
    return await certification_runs.run(call.platform, call.operator, call.body)


async def status(call: Call) -> dict[str, Any]:
    return await certification_runs.status(call.platform, call.operator)


async def run_detail(call: Call) -> dict[str, Any]:
    return await certification_runs.get_run(call.platform, call.operator, call.params["runId"])
