"""Faults an operator injects into its own calls to the platform's API, to test its client code.

Rules are kept in SQLite (store/faults.py) and in memory per operator, read once at start and kept
current by every write, so a request without rules pays one dict lookup. The pipeline asks `match`
only after a request is authenticated: a fault never hits an unauthenticated request, and never
`/api/sandbox/faults` or `/api/sandbox/reset`, so an operator can always take its rules back.

A rule with a probability draws from a stream of its own (`Ids.stream`): seeded, the same rule added
to a fresh database fires on the same requests, whatever other traffic is drawn meanwhile. A rule with a
count fires on the first `count` matching requests (with a probability too: at most `count` times).
"""

from __future__ import annotations

import random
from fnmatch import fnmatchcase
from typing import Any

from netspace_mock.errors import InvalidRequest
from netspace_mock.sources import Ids, iso
from netspace_mock.store import faults as store
from netspace_mock.store.db import Database
from netspace_mock.store.faults import Rule

KINDS = ("latency", "http_500", "http_503", "http_429", "drop")
NEVER_FAULTED = frozenset({"/api/sandbox/faults", "/api/sandbox/reset"})
RULES_KEPT = 50  # per operator
DEFAULT_RETRY_AFTER = 1


class Faults:
    """Every operator's rules in memory, and each rule's draws."""

    def __init__(self, db: Database, ids: Ids) -> None:
        self.db, self.ids = db, ids
        self._rules: dict[int, list[Rule]] = {}
        self._draws: dict[int, random.Random] = {}

    async def load(self) -> None:
        for rule in await store.all_rules(self.db):
            self._rules.setdefault(rule.operator_id, []).append(rule)

    def rules(self, operator_id: int) -> list[Rule]:
        return list(self._rules.get(operator_id, ()))

    def match(self, operator_id: int, method: str, path: str) -> Rule | None:
        """The first of the operator's rules that fires on this request (counted as fired), or None."""
        rules = self._rules.get(operator_id)
        if not rules or path in NEVER_FAULTED:
            return None
        for rule in rules:
            if rule.method not in (None, method) or not fnmatchcase(path, rule.route):
                continue
            if rule.count is not None and rule.fired >= rule.count:
                continue
            if rule.probability is not None and self._draw(rule) >= rule.probability:
                continue
            rule.fired += 1
            return rule
        return None

    def _draw(self, rule: Rule) -> float:
        assert rule.id is not None
        draws = self._draws.get(rule.id)
        if draws is None:
            draws = self._draws[rule.id] = self.ids.stream(f"fault:{rule.id}")
        return draws.random()

    async def fired(self, rule: Rule) -> None:
        assert rule.id is not None
        await store.fired(self.db, rule.id, rule.fired)

    async def add(self, operator_id: int, body: dict[str, Any], now: float) -> Rule:
        """A new rule from a validated `sandbox.faults.request` body."""
        held = self._rules.setdefault(operator_id, [])
        if len(held) >= RULES_KEPT:
            raise InvalidRequest(
                f"you have {RULES_KEPT} fault rules already, the most one operator may hold; "
                "DELETE /api/sandbox/faults clears them"
            )
        kind = body["kind"]
        if kind == "latency" and "latency_ms" not in body:
            raise InvalidRequest.at("$.latency_ms", "is required for a latency fault")
        rule = Rule(
            operator_id=operator_id,
            route=body["route"],
            method=body.get("method"),
            kind=kind,
            probability=_number(body.get("probability"), float),
            count=_number(body.get("count"), int),
            latency_ms=_number(body.get("latency_ms"), int) if kind == "latency" else None,
            retry_after=_number(body.get("retry_after", DEFAULT_RETRY_AFTER), int)
            if kind == "http_429"
            else None,
            created_at=now,
        )
        held.append(await store.add(self.db, rule))
        return rule

    async def clear(self, operator_id: int) -> int:
        deleted = await store.delete(self.db, operator_id)
        self.forget(operator_id)
        return deleted

    def forget(self, operator_id: int) -> None:
        """Drop the operator's rules from memory (their rows are deleted, by `clear` or a reset)."""
        for rule in self._rules.pop(operator_id, []):
            self._draws.pop(rule.id, None)


def _number(value: Any, kind: type) -> Any:
    """A JSON number of the body (a Decimal, as jsonio reads it) as SQLite stores it."""
    return None if value is None else kind(value)


def describe(rule: Rule) -> str:
    """The fault in a few words, as the journal shows it."""
    what = {
        "latency": f"latency {rule.latency_ms} ms",
        "http_500": "HTTP 500",
        "http_503": "HTTP 503",
        "http_429": f"HTTP 429, Retry-After {rule.retry_after}",
        "drop": "connection dropped",
    }[rule.kind]
    return f"{what} (injected by fault rule {rule.id})"


def view(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "route": rule.route,
        "method": rule.method,
        "kind": rule.kind,
        "probability": rule.probability,
        "count": rule.count,
        "latency_ms": rule.latency_ms,
        "retry_after": rule.retry_after,
        "fired": rule.fired,
        "created_at": iso(rule.created_at),
    }


def listing(faults: Faults, operator_id: int) -> dict[str, Any]:
    return {"faults": [view(r) for r in faults.rules(operator_id)]}
