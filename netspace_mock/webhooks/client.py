"""Sends one signed webhook call and classifies its answer: ok, business_error, transport_error, invalid_response."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
from yarl import URL

from netspace_mock import __version__, jsonio, schemas, signing
from netspace_mock.sources import Clock

ANSWER_LIMIT = 1_048_576
READ_PIECE = 65_536
REASON_LIMIT = 500  # characters of an operator's error message kept as the reason
SUMMARY_CHARS = 2000  # characters of an answer quoted in an error's details


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
        """The attempt in an error's details: the answer whole when short, else its start and its size
        (the attempt in the webhook log keeps up to attempt_answer_bytes of it)."""
        answer: Any = self.payload if self.payload is not None else self.text
        if self.text is not None and len(self.text) > SUMMARY_CHARS:
            answer = f"{self.text[:SUMMARY_CHARS]}… ({len(self.text)} characters in all)"
        return {
            "outcome": self.outcome,
            "http_status": self.http_status,
            "error_code": self.error_code,
            "reason": self.reason,
            "answer": answer,
        }


def signed_headers(api_key: str, secret: str, url: str, body: bytes, now: float) -> dict[str, str]:
    """PROTOCOL §1 for webhooks: METHOD POST, PATH the webhook URL's path (and query), BODY the bytes sent."""
    headers = signing.headers(api_key, secret, int(now), "POST", URL(url, encoded=True).raw_path_qs, body)
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = f"netspace-mock/{__version__}"
    return headers


class WebhookClient:
    """Sends webhook calls, at most `per_operator` at once for one operator (an API key), so that one
    operator's slow or looping wallet cannot hold every connection while the others wait."""

    def __init__(
        self, session: aiohttp.ClientSession, clock: Clock, timeout: float, per_operator: int = 16
    ) -> None:
        self.session = session
        self.clock = clock
        self.timeout = timeout
        self.per_operator = per_operator
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def send(
        self,
        api_key: str,
        secret: str,
        url: str,
        action_type: str,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """POST the body; `headers` replaces the signed ones (the certification suite sends bad ones).
        Whatever happens, the result is an Answer: no exception leaves this method but cancellation."""
        slots = self._slots.setdefault(api_key, asyncio.Semaphore(self.per_operator))
        async with slots:
            sent = (
                headers
                if headers is not None
                else signed_headers(api_key, secret, url, body, self.clock.now())
            )
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.timeout):
                    status, raw, size, location, declared = await self._post(url, body, sent)
            except TimeoutError:
                return Answer(
                    "transport_error",
                    _ms(started),
                    sent,
                    reason=f"no answer within {self.timeout:g} s (timed out before the whole answer arrived)",
                )
            except (aiohttp.ClientError, OSError) as exc:
                return Answer(
                    "transport_error",
                    _ms(started),
                    sent,
                    reason=f"connection failed: {exc or type(exc).__name__}",
                )
            except Exception as exc:  # anything else on the way is a failed call, recorded as one
                return Answer("transport_error", _ms(started), sent, reason=f"the call failed: {_what(exc)}")
            return classify(action_type, status, raw, location, _ms(started), sent, size, declared)

    async def _post(
        self, url: str, body: bytes, sent: dict[str, str]
    ) -> tuple[int, bytes, int, str | None, str | None]:
        async with self.session.post(
            URL(url, encoded=True),
            data=body,
            headers=sent,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=None),  # the whole call is bounded by asyncio.timeout
        ) as resp:
            raw, size = await read_whole(resp.content, ANSWER_LIMIT)
            return resp.status, raw, size, resp.headers.get("Location"), resp.headers.get("Content-Length")


async def read_whole(content: aiohttp.StreamReader, limit: int) -> tuple[bytes, int]:
    """The answer as it arrives, piece by piece, until its end or until it passes `limit`: the bytes
    read (at most limit + 1 of them) and how many were read."""
    parts: list[bytes] = []
    size = 0
    async for piece in content.iter_chunked(READ_PIECE):
        parts.append(piece)
        size += len(piece)
        if size > limit:
            break
    return b"".join(parts)[: limit + 1], size


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def classify(
    action_type: str,
    status: int,
    raw: bytes,
    location: str | None,
    latency_ms: float,
    sent: dict[str, str],
    size: int | None = None,
    declared: str | None = None,
) -> Answer:
    """The outcome of one answer; never raises (a failure to read it is an invalid_response)."""
    try:
        return _classify(action_type, status, raw, location, latency_ms, sent, size, declared)
    except Exception as exc:
        text = raw[:ANSWER_LIMIT].decode("utf-8", "replace")
        return Answer(
            "invalid_response",
            latency_ms,
            sent,
            http_status=status,
            text=text,
            reason=f"the answer could not be read: {_what(exc)}",
        )


def _classify(
    action_type: str,
    status: int,
    raw: bytes,
    location: str | None,
    latency_ms: float,
    sent: dict[str, str],
    size: int | None,
    declared: str | None,
) -> Answer:
    text = raw[:ANSWER_LIMIT].decode("utf-8", "replace")
    answer = Answer("invalid_response", latency_ms, sent, http_status=status, text=text)
    if len(raw) > ANSWER_LIMIT:
        shown = (
            f"{declared} bytes" if declared and declared.isdigit() else f"more than {size or len(raw)} bytes"
        )
        answer.reason = f"the answer is larger than {ANSWER_LIMIT} bytes (it is {shown})"
        return answer
    if status >= 500:
        answer.outcome, answer.reason = "transport_error", f"HTTP {status} from the webhook"
        return answer
    if 300 <= status < 400:
        answer.reason = f"HTTP {status} redirect to {str(location)[:300]!r}: configure the final webhook URL"
        return answer
    try:
        strict = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        answer.reason = f"the answer is not valid UTF-8 (byte {exc.start})"
        return answer
    try:
        payload = jsonio.parse(strict)
    except ValueError as exc:
        answer.reason = str(exc)[:REASON_LIMIT]
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
        answer.reason = (payload["error"].get("message") or answer.error_code)[:REASON_LIMIT]
        return answer
    answer.reason = "the answer's success field must be true or false"
    return answer
