"""The platform's calls to an operator's webhook: where they go, their body, and the balance asked.
Sending one attempt and recording it is webhooks/attempts.py."""

from __future__ import annotations

import logging
from typing import Any

from netspace_mock import jsonio
from netspace_mock.domain.platform import Platform
from netspace_mock.sources import iso
from netspace_mock.store.operators import Operator
from netspace_mock.store.sessions import Session
from netspace_mock.webhooks import attempts
from netspace_mock.webhooks.client import Answer

WALLET_PATH = "/operator/webhook"
log = logging.getLogger("netspace_mock.webhooks")


def webhook_url(platform: Platform, operator: Operator) -> str:
    """The operator's webhook, or the built-in reference wallet of this server."""
    return operator.webhook_url or platform.settings.base_url + WALLET_PATH


def payload(platform: Platform, action_type: str, session: Session | Any, **fields: Any) -> dict[str, Any]:
    """The PROTOCOL §4 body: the common fields, then the action's own."""
    return {
        "action_type": action_type,
        "session_id": session.session_id,
        "player_id": session.player_id,
        "currency": session.currency,
        "game_id": session.game_id,
        "timestamp": iso(platform.clock.operator_now(session.operator_id)),
        **fields,
    }


async def ask_balance(platform: Platform, operator: Operator, session: Session) -> Answer:
    """One recorded balance call, with no delivery behind it."""
    body = jsonio.dumps(payload(platform, "balance", session))
    return await attempts.send(
        platform,
        operator,
        webhook_url(platform, operator),
        "balance",
        body,
        attempt=1,
        session_id=session.session_id,
        player_id=session.player_id,
    )


def webhook_view(platform: Platform, operator: Operator) -> dict[str, Any]:
    """Where the operator's calls go now: its own URL, or the built-in reference wallet."""
    return {
        "webhook": {
            "url": webhook_url(platform, operator),
            "configured": operator.webhook_url,
            "reference_wallet": operator.webhook_url is None,
        }
    }


async def change_webhook(platform: Platform, operator: Operator, url: str | None, by: str) -> dict[str, Any]:
    """Point the operator's webhook at `url` (None or empty: the reference wallet). Every call not yet
    attempted goes there, retries of earlier rounds included, since an attempt reads the URL when it
    is sent. Logged, with where it was set (`by`)."""
    before = webhook_url(platform, operator)
    changed = await platform.operators.set_webhook(platform.db, operator, url)
    after = webhook_url(platform, changed)
    log.info(
        "webhook of operator %s changed through %s: %s -> %s",
        operator.id,
        by,
        before,
        after,
        extra={"operator_id": operator.id, "webhook_before": before, "webhook_after": after, "by": by},
    )
    view = webhook_view(platform, changed)
    view["webhook"]["previous"] = before
    return view
