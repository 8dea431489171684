"""Calls into the operator's webhook on behalf of the domain: payloads, one recorded attempt, balance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from netspace_mock import jsonio
from netspace_mock.domain.platform import Platform
from netspace_mock.sources import iso
from netspace_mock.store import attempts
from netspace_mock.store.db import Connection
from netspace_mock.store.operators import Operator
from netspace_mock.store.rounds import Delivery
from netspace_mock.store.sessions import Session
from netspace_mock.webhooks.client import Answer

WALLET_PATH = "/operator/webhook"


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
        "timestamp": iso(platform.clock.now()),
        **fields,
    }


async def send(
    platform: Platform,
    operator: Operator,
    action_type: str,
    body: bytes,
    *,
    attempt: int,
    delivery: Delivery | None = None,
    session_id: str | None = None,
    round_id: str | None = None,
    player_id: str | None = None,
    transaction_id: str | None = None,
    headers: dict[str, str] | None = None,
    then: Callable[[Connection, Answer], Awaitable[None]] | None = None,
) -> Answer:
    """One attempt: send, then record it (and whatever `then` writes) in one transaction."""
    url = webhook_url(platform, operator)
    answer = await platform.webhooks.send(
        operator.api_key, operator.secret_key, url, action_type, body, headers
    )
    record = attempts.Attempt(
        operator_id=operator.id,
        delivery_id=delivery.id if delivery else None,
        action_type=action_type,
        transaction_id=delivery.transaction_id if delivery else transaction_id,
        round_id=delivery.round_id if delivery else round_id,
        player_id=delivery.player_id if delivery else player_id,
        session_id=session_id,
        attempt=attempt,
        url=url,
        request_headers=answer.request_headers,
        request_body=body.decode("utf-8"),
        http_status=answer.http_status,
        response_body=answer.text,
        latency_ms=answer.latency_ms,
        outcome=answer.outcome,
        error_code=answer.error_code,
        reason=answer.reason,
        created_at=platform.clock.now(),
    )
    async with platform.db.transaction() as conn:
        await attempts.insert(conn, record, platform.settings.attempt_retention)
        if then is not None:
            await then(conn, answer)
    return answer


async def ask_balance(platform: Platform, operator: Operator, session: Session) -> Answer:
    body = jsonio.dumps(payload(platform, "balance", session))
    return await send(
        platform,
        operator,
        "balance",
        body,
        attempt=1,
        session_id=session.session_id,
        player_id=session.player_id,
    )
