"""Calls into the operator's webhook on behalf of the domain: payloads, one recorded attempt, balance."""

from __future__ import annotations

import logging
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


def bounds(platform: Platform) -> attempts.Bounds:
    s = platform.settings
    return attempts.Bounds(s.attempt_retention, s.attempt_answer_bytes, s.answer_storage_bytes)


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
    """One attempt: send, then record it (and whatever `then` writes) in one transaction.

    When recording fails (a full disk, a value the database refuses), the attempt is recorded again as
    a transport_error saying why, so that `then` applies the delivery policy to an unknown outcome; if
    that fails too, the error goes to the caller with nothing written, as a crash at that moment would."""
    url = webhook_url(platform, operator)
    answer = await platform.webhooks.send(
        operator.api_key, operator.secret_key, url, action_type, body, headers
    )
    ids = dict(
        operator_id=operator.id,
        delivery_id=delivery.id if delivery else None,
        action_type=action_type,
        transaction_id=delivery.transaction_id if delivery else transaction_id,
        round_id=delivery.round_id if delivery else round_id,
        player_id=delivery.player_id if delivery else player_id,
        session_id=session_id,
        attempt=attempt,
        url=url,
        request_body=body.decode("utf-8"),
    )
    try:
        await _record(platform, ids, answer, then)
    except Exception as exc:
        why = f"{type(exc).__name__}: {str(exc)[:200]}"
        answer = Answer(
            "transport_error",
            answer.latency_ms,
            answer.request_headers,
            http_status=answer.http_status,
            reason=f"the answer ({answer.outcome}) could not be recorded: {why}",
        )
        await _record(platform, ids, answer, then)  # if this fails too, the caller logs it
        log.warning("%s attempt %s to %s could not be recorded (%s)", action_type, attempt, url, why)
    return answer


async def _record(
    platform: Platform,
    ids: dict[str, Any],
    answer: Answer,
    then: Callable[[Connection, Answer], Awaitable[None]] | None,
) -> None:
    record = attempts.Attempt(
        **ids,
        request_headers=answer.request_headers,
        http_status=answer.http_status,
        response_body=answer.text,
        latency_ms=answer.latency_ms,
        outcome=answer.outcome,
        error_code=answer.error_code,
        reason=answer.reason,
        created_at=platform.clock.operator_now(ids["operator_id"]),
    )
    async with platform.db.transaction() as conn:
        await attempts.insert(conn, record, bounds(platform))
        if then is not None:
            await then(conn, answer)


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
