"""A session's balance: asked of the operator's webhook, or the virtual one of a demo session."""

from __future__ import annotations

from typing import Any

from netspace_mock.domain import calls
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.sessions import require_session
from netspace_mock.errors import WebhookError
from netspace_mock.store.operators import Operator


async def balance(platform: Platform, operator: Operator, session_id: str) -> dict[str, Any]:
    """GET /api/sandbox/game/balance: asked of the operator's webhook (demo: the virtual balance)."""
    session = await require_session(platform, operator, session_id)
    if session.kind == "demo":
        value = session.demo_balance
    else:
        answer = await calls.ask_balance(platform, operator, session)
        if not answer.ok:
            raise WebhookError(
                f"the webhook's balance answer was {answer.outcome}: {answer.reason}",
                details={"webhook": answer.summary()},
            )
        value = answer.balance
    return {
        "balance": value,
        "currency": session.currency,
        "player_id": session.player_id,
        "session_id": session.session_id,
    }
