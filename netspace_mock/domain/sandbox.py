"""Sandbox statistics, reset, and the inspection of webhook attempts and deliveries."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest
from netspace_mock.sources import iso
from netspace_mock.store import attempts as attempt_store
from netspace_mock.store import sandbox as store
from netspace_mock.store.operators import Operator
from netspace_mock.webhooks import outbox

OUTCOMES = ("ok", "business_error", "transport_error", "invalid_response")
MAX_CLOCK_AHEAD = 100 * 365 * 86_400  # how far an operator's sandbox clock may run ahead, in all
MONEY_ACTIONS = {"bet": "bets", "win": "wins", "refund": "refunds", "rollback": "rollbacks"}


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def stats(platform: Platform, operator: Operator) -> dict[str, Any]:
    raw = await store.stats(platform.db, operator.id)
    sessions = {"total": 0, "real": 0, "sandbox": 0, "demo": 0}
    for row in raw["sessions"]:
        sessions[row["kind"]] = row["n"]
        sessions["total"] += row["n"]
    rounds = {"total": 0, "open": 0, "settled": 0, "rejected": 0, "rolled_back": 0, "refunded": 0}
    for row in raw["rounds"]:
        rounds[row["status"]] = row["n"]
        rounds["total"] += row["n"]
    money: dict[str, dict[str, Any]] = {
        name: {"count": 0, "amounts": defaultdict(Decimal)} for name in MONEY_ACTIONS.values()
    }
    for row in raw["deliveries"]:
        if row["status"] == "acknowledged":  # what the operator confirmed booking
            entry = money[MONEY_ACTIONS[row["action_type"]]]
            entry["count"] += 1
            entry["amounts"][row["currency"]] += Decimal(row["amount"])
    calls: dict[str, Any] = {"total": 0, **dict.fromkeys(OUTCOMES, 0), "by_action": {}}
    for row in raw["calls"]:
        calls["total"] += row["n"]
        calls[row["outcome"]] += row["n"]
        calls["by_action"].setdefault(row["action_type"], dict.fromkeys(OUTCOMES, 0))[row["outcome"]] = row[
            "n"
        ]
    lat = raw["latencies"]
    latency = {
        "p50": _percentile(lat, 0.5),
        "p99": _percentile(lat, 0.99),
        "max": lat[-1] if lat else None,
        "mean": round(sum(lat) / len(lat), 3) if lat else None,
    }
    for entry in money.values():
        entry["amounts"] = dict(entry["amounts"])
    return {
        "stats": {
            "sessions": sessions,
            "rounds": rounds,
            **money,
            "webhook_calls": calls,
            "latency_ms": latency,
        }
    }


async def reset(platform: Platform, operator: Operator) -> dict[str, Any]:
    try:
        deleted = await store.reset(platform.db, operator.id)
    finally:
        platform.sessions.clear()  # in the step of the COMMIT, or after a failure (domain.session_cache)
    platform.faults.forget(operator.id)  # their rows went with the reset
    return {"reset": deleted}


def _page(query: dict[str, Any]) -> tuple[int, int, int]:
    page, per_page = query.get("page", 1), query.get("per_page", 50)
    return page, per_page, (page - 1) * per_page


def _pagination(page: int, per_page: int, total: int) -> dict[str, int]:
    return {"page": page, "per_page": per_page, "total": total, "total_pages": -(-total // per_page)}


async def webhook_attempts(platform: Platform, operator: Operator, query: dict[str, Any]) -> dict[str, Any]:
    page, per_page, offset = _page(query)
    filters = {**query, "action_type": query.get("action")}
    found, total = await attempt_store.search(platform.db, operator.id, filters, per_page, offset)
    items = [
        {
            "id": a.id,
            "action_type": a.action_type,
            "transaction_id": a.transaction_id,
            "round_id": a.round_id,
            "player_id": a.player_id,
            "session_id": a.session_id,
            "attempt": a.attempt,
            "url": a.url,
            "request": {"headers": a.request_headers, "body": a.request_body},
            "response": {"status": a.http_status, "body": a.response_body},
            "latency_ms": a.latency_ms,
            "outcome": a.outcome,
            "error_code": a.error_code,
            "reason": a.reason,
            "created_at": iso(a.created_at),
        }
        for a in found
    ]
    return {"attempts": items, "pagination": _pagination(page, per_page, total)}


async def deliveries(platform: Platform, operator: Operator, query: dict[str, Any]) -> dict[str, Any]:
    page, per_page, offset = _page(query)
    filters = {**query, "action_type": query.get("action")}
    found, total = await outbox.page(platform.db, operator.id, filters, per_page, offset)
    items = [
        {
            "action_type": d.action_type,
            "transaction_id": d.transaction_id,
            "round_id": d.round_id,
            "player_id": d.player_id,
            "amount": d.amount,
            "status": d.status,
            "attempts": d.attempts,
            "next_attempt_at": None if d.next_attempt_at is None else iso(d.next_attempt_at),
            "operator_transaction_id": d.operator_transaction_id,
            "last_error": d.last_error,
            "created_at": iso(d.created_at),
            "updated_at": iso(d.updated_at),
        }
        for d in found
    ]
    return {"deliveries": items, "pagination": _pagination(page, per_page, total)}


def clock(platform: Platform, operator: Operator) -> dict[str, Any]:
    return {
        "clock": {
            "now": iso(platform.clock.operator_now(operator.id)),
            "offset_seconds": platform.clock.ahead(operator.id),
        }
    }


async def advance_clock(platform: Platform, operator: Operator, seconds: Any) -> dict[str, Any]:
    """Move this operator's time forward: the expiry of its sessions and free bets, its payload
    timestamps and its scheduled retries; other operators' time and signature checks stay as they are.
    Bounded in all, since past year 9999 no time could be written."""
    ahead = platform.clock.ahead(operator.id) + float(seconds)
    if ahead > MAX_CLOCK_AHEAD:
        raise InvalidRequest.at(
            "$.advance_seconds",
            f"your sandbox clock is {platform.clock.ahead(operator.id):.0f} s ahead of real time already "
            f"and may be at most {MAX_CLOCK_AHEAD} s (100 years) ahead; another operator, or a new "
            "database, starts from real time",
        )
    await store.set_clock(platform.db, operator.id, ahead)
    platform.clock.set_ahead(operator.id, ahead)
    platform.wake_dispatcher()
    return clock(platform, operator)
