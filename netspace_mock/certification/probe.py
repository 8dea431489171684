"""The suite's hands: signed webhook calls to the operator under test, each recorded as a step."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from netspace_mock import jsonio
from netspace_mock.currencies import quantize
from netspace_mock.sources import Clock, Ids, iso
from netspace_mock.webhooks.client import Answer, WebhookClient, signed_headers


@dataclass(frozen=True)
class Target:
    """The operator's webhook and the test player it named."""

    url: str
    api_key: str
    secret: str
    player_id: str
    currency: str
    session_id: str
    game_id: str = "lotterix"
    # Whether session_id is one the operator issued (given to the run) rather than one made up for it,
    # and a second test player of the operator's: each lets one more advisory check run.
    session_given: bool = False
    other_player_id: str | None = None


class Unreachable(Exception):
    """The webhook could not be reached at all (connection refused, no such host)."""


@dataclass
class Step:
    name: str
    request: dict[str, Any]
    response: dict[str, Any]
    expected: str
    passed: bool = False
    message: str = ""
    balance_before: Decimal | None = None
    balance_after: Decimal | None = None
    latency_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "request": self.request,
            "response": self.response,
            "expected": self.expected,
            "passed": self.passed,
            "message": self.message,
            "latency_ms": self.latency_ms,
        }
        if self.balance_before is not None:
            out["balance_before"] = self.balance_before
        if self.balance_after is not None:
            out["balance_after"] = self.balance_after
        return out


@dataclass
class Probe:
    target: Target
    client: WebhookClient
    ids: Ids
    clock: Clock
    steps: list[Step] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def fmt(self, amount: Decimal | float | int | None) -> str:
        if amount is None:
            return "nothing"
        return f"{quantize(amount, self.target.currency)} {self.target.currency}"

    def amount(self, value: str | Decimal) -> Decimal:
        return quantize(value, self.target.currency)

    def payload(self, action: str, **fields: Any) -> dict[str, Any]:
        t = self.target
        body = {
            "action_type": action,
            "session_id": t.session_id,
            "player_id": t.player_id,
            "currency": t.currency,
            "game_id": t.game_id,
            "timestamp": iso(self.clock.now()),
        }
        if action != "balance":
            body.update(transaction_id=self.ids.make("txn_"), round_id=self.ids.make("round_cert_", 20))
        body.update(fields)
        return body

    async def send(
        self,
        name: str,
        payload: dict[str, Any],
        expected: str,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[Step, Answer]:
        """Send one call (signed properly unless `headers` says otherwise) and record it as a step."""
        body = raw if raw is not None else jsonio.dumps(payload)
        t = self.target
        sent = (
            headers
            if headers is not None
            else signed_headers(t.api_key, t.secret, t.url, body, self.clock.now())
        )
        answer = await self.client.send(
            t.api_key, t.secret, t.url, payload.get("action_type", "balance"), body, sent
        )
        if (
            answer.outcome == "transport_error"
            and answer.reason
            and answer.reason.startswith("connection failed")
        ):
            raise Unreachable(f"{t.url}: {answer.reason}")
        self.latencies.append(answer.latency_ms)
        try:
            shown_answer: Any = json.loads(answer.text) if answer.text else None
        except ValueError:
            shown_answer = answer.text
        step = Step(
            name=name,
            request={
                "method": "POST",
                "url": t.url,
                "headers": dict(sent),
                "body": body.decode("utf-8", "replace"),
            },
            response={
                "status": answer.http_status,
                "body": shown_answer,
                "outcome": answer.outcome,
                "reason": answer.reason,
            },
            expected=expected,
            latency_ms=answer.latency_ms,
        )
        self.steps.append(step)
        return step, answer

    async def balance(self, name: str = "read the balance") -> Decimal | None:
        step, answer = await self.send(name, self.payload("balance"), "success with a numeric balance")
        step.passed = answer.ok
        step.message = (
            f"balance is {self.fmt(answer.balance)}"
            if answer.ok
            else f"the balance call failed: {answer.reason}"
        )
        return answer.balance if answer.ok else None
