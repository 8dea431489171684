"""One attempt of a webhook call: sent, then recorded (with whatever it leads to) in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from netspace_mock.settings import Settings
from netspace_mock.sources import Clock
from netspace_mock.store import attempts
from netspace_mock.store.db import Connection, Database
from netspace_mock.store.operators import Operator
from netspace_mock.webhooks.client import Answer, WebhookClient
from netspace_mock.webhooks.outbox import Delivery

log = logging.getLogger("netspace_mock.webhooks")


class Sender(Protocol):
    """What an attempt uses of the platform (domain/platform.py's Platform is one): the client that
    sends, the database and clock that record, the settings that bound the record."""

    settings: Settings
    db: Database
    clock: Clock
    webhooks: WebhookClient | None


def bounds(settings: Settings) -> attempts.Bounds:
    return attempts.Bounds(
        settings.attempt_retention, settings.attempt_answer_bytes, settings.answer_storage_bytes
    )


async def send(
    platform: Sender,
    operator: Operator,
    url: str,
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
    """One attempt to `url`: send, then record it (and whatever `then` writes) in one transaction.

    When recording fails (a full disk, a value the database refuses), the attempt is recorded again as
    a transport_error saying why, so that `then` applies the delivery policy to an unknown outcome; if
    that fails too, the error goes to the caller with nothing written, as a crash at that moment would."""
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
    platform: Sender,
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
        await attempts.insert(conn, record, bounds(platform.settings))
        if then is not None:
            await then(conn, answer)
