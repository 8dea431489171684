"""Sends one signed webhook call and classifies its answer: ok, business_error, transport_error, invalid_response."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
from yarl import URL

from netspace_mock import __version__, schemas, signing
from netspace_mock.sources import Clock

ANSWER_LIMIT = 1_048_576


@dataclass
class Answer:
    """What one attempt produced; `reason` says why in words when the outcome is not ok."""

    outcome: str
    latency_ms: float
    request_headers: dict[str, str]
    http_status: int | None = None
    text: str | None = None
    payload: dict[str, Any] | None = None
    balance: Decimal | None = None
    operator_transaction_id: str | None = None
    error_code: str | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def delivered(self) -> bool:
        """Delivered for retry purposes: acknowledged, or the operator already had it."""
        return self.ok or self.error_code == "DUPLICATE_TRANSACTION"

    def summary(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "http_status": self.http_status,
            "error_code": self.error_code,
            "reason": self.reason,
            "answer": self.payload if self.payload is not None else self.text,
        }


def signed_headers(api_key: str, secret: str, url: str, body: bytes, now: float) -> dict[str, str]:
    """PROTOCOL §1 for webhooks: METHOD POST, PATH the webhook URL's path (and query), BODY the bytes sent."""
    headers = signing.headers(api_key, secret, int(now), "POST", URL(url, encoded=True).raw_path_qs, body)
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = f"netspace-mock/{__version__}"
    return headers


class WebhookClient:
    def __init__(self, session: aiohttp.ClientSession, clock: Clock, timeout: float) -> None:
        self.session = session
        self.clock = clock
        self.timeout = timeout

    async def send(
        self,
        api_key: str,
        secret: str,
        url: str,
        action_type: str,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """POST the body; `headers` replaces the signed ones (the certification suite sends bad ones)."""
        sent = (
            headers
            if headers is not None
            else signed_headers(api_key, secret, url, body, self.clock.signing_now())
        )
        started = time.perf_counter()
        try:
            async with self.session.post(
                URL(url, encoded=True),
                data=body,
                headers=sent,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                raw = await resp.content.read(ANSWER_LIMIT + 1)
                status = resp.status
                location = resp.headers.get("Location")
        except TimeoutError:
            return Answer(
                "transport_error", _ms(started), sent, reason=f"no answer within {self.timeout:g} s"
            )
        except (aiohttp.ClientError, OSError) as exc:
            return Answer(
                "transport_error",
                _ms(started),
                sent,
                reason=f"connection failed: {exc or type(exc).__name__}",
            )
        return classify(action_type, status, raw, location, _ms(started), sent)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def classify(
    action_type: str, status: int, raw: bytes, location: str | None, latency_ms: float, sent: dict[str, str]
) -> Answer:
    text = raw[:ANSWER_LIMIT].decode("utf-8", "replace")
    answer = Answer("invalid_response", latency_ms, sent, http_status=status, text=text)
    if len(raw) > ANSWER_LIMIT:
        answer.reason = f"the answer is larger than {ANSWER_LIMIT} bytes"
        return answer
    if status >= 500:
        answer.outcome, answer.reason = "transport_error", f"HTTP {status} from the webhook"
        return answer
    if 300 <= status < 400:
        answer.reason = f"HTTP {status} redirect to {location!r}: configure the final webhook URL"
        return answer
    try:
        payload = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError as exc:
        answer.reason = f"the answer is not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})"
        return answer
    if not isinstance(payload, dict):
        answer.reason = "the answer is not a JSON object"
        return answer
    answer.payload = payload
    success = payload.get("success")
    if success is True:
        schema = "webhook.answer.balance" if action_type == "balance" else "webhook.answer.transaction"
        found = schemas.problems(schema, payload)
        if found:
            answer.reason = "the answer does not match its schema: " + "; ".join(
                f"{p['path']} {p['message']}" for p in found
            )
            return answer
        if not 200 <= status < 300:
            answer.reason = f"success: true with HTTP {status}; a success must be HTTP 2xx"
            return answer
        answer.outcome = "ok"
        answer.balance = payload["balance"]
        tid = payload.get("transaction_id")
        answer.operator_transaction_id = None if tid is None else str(tid)
        return answer
    if success is False:
        found = schemas.problems("webhook.answer.error", payload)
        if found:
            answer.reason = "the error answer does not match the error envelope: " + "; ".join(
                f"{p['path']} {p['message']}" for p in found
            )
            return answer
        answer.outcome = "business_error"
        answer.error_code = payload["error"]["code"]
        answer.reason = payload["error"].get("message") or answer.error_code
        return answer
    answer.reason = "the answer's success field must be true or false"
    return answer
