"""Handler of /api/lotterix/jackpot/update."""

from __future__ import annotations

from typing import Any

from netspace_mock.api.call import Call
from netspace_mock.domain import jackpots


async def update(call: Call) -> dict[str, Any]:
    return await jackpots.update(call.platform, call.operator, call.body)
