"""Injecting an operator's fault rule into one of its authenticated requests (rules: domain/faults.py).

`inject` runs in the pipeline after authentication, before the handler: a latency fault waits and
lets the request be served; an HTTP fault raises the envelope's error; a drop closes the connection
(aiohttp's public `request.transport`), so the client reads no answer at all, as when a proxy or the
platform dies mid-request.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from netspace_mock.domain import faults
from netspace_mock.domain.faults import Rule
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import ApiError, InternalError, RateLimited, ServiceUnavailable
from netspace_mock.store.operators import Operator

FAULT = web.RequestKey("fault", Rule)  # the rule that fired on this request, for the journal


class Dropped(ApiError):
    """The answer to a dropped connection: written to a closed transport, so never read."""

    code, status, message = "INTERNAL_ERROR", 500, "the connection was dropped by an injected fault"


async def inject(request: web.Request, platform: Platform, operator: Operator) -> None:
    rule = platform.faults.match(operator.id, request.method, request.path)
    if rule is None:
        return
    request[FAULT] = rule
    await platform.faults.fired(rule)
    said = f"{faults.describe(rule)} on {request.method} {request.path}"
    details = {"injected_fault": {"rule_id": rule.id, "kind": rule.kind}}
    if rule.kind == "latency":
        await asyncio.sleep(rule.latency_ms / 1000)
    elif rule.kind == "http_500":
        raise InternalError(said, details=details)
    elif rule.kind == "http_503":
        raise ServiceUnavailable(said, details={**details, "retry": True})
    elif rule.kind == "http_429":
        raise RateLimited(
            said,
            details={**details, "retry_after_seconds": rule.retry_after},
            headers={"Retry-After": str(rule.retry_after)},
        )
    else:
        transport = request.transport
        if transport is not None:
            transport.close()
        raise Dropped(said)
