"""What the Partners Portal shows and does for one operator, without aiohttp: the integration steps,
the dashboard, players, webhook attempts, the test balance call, resends and production activation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from netspace_mock import jsonio, schemas
from netspace_mock.domain import calls, jackpots, reports, sandbox
from netspace_mock.domain import certification_runs as certification
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds import recovery
from netspace_mock.errors import InvalidRequest, InvalidState, NotFound
from netspace_mock.store import portal as store
from netspace_mock.store.operators import Operator

PLAYERS_PER_PAGE = 50
ATTEMPTS_PER_PAGE = 25
LABELS = {
    "player_id": "Player id",
    "currency": "Currency",
    "round_id": "Round id",
    "action": "Action",
    "outcome": "Outcome",
    "page": "Page",
    "tests": "Tests",
    "transaction_id": "Transaction id",
    "action_type": "Action",
}


def check(schema: str, payload: dict[str, Any]) -> None:
    """Validate form input against the API's own schema; the message names the field as the form does."""
    found = schemas.problems(schema, payload)
    if found:
        words = []
        for p in found[:3]:
            name = p["path"].removeprefix("$.").split("[")[0]
            words.append(f"{LABELS.get(name, name)} {p['message']}")
        raise InvalidRequest("; ".join(words) + ".", details={"errors": found})


@dataclass(frozen=True)
class Step:
    name: str
    state: str  # done, current or todo
    detail: str


async def integration(platform: Platform, operator: Operator) -> dict[str, Any]:
    """The guide's four steps (Register, Sandbox, Certify, Production) and where this operator is."""
    status = await certification.status(platform, operator)
    counts = await store.counts(platform.db, operator.id)
    played = sum(r["n"] for r in counts["rounds"]) + sum(r["n"] for r in counts["webhook_attempts"])
    certified, requested = status["certified"], operator.activation_requested_at
    done = [True, played > 0 or status["last_run"] is not None, certified, requested is not None]
    details = [
        "Credentials issued",
        "Sandbox traffic seen" if done[1] else "Launch a game and play rounds in the sandbox",
        "All required tests passed" if certified else "Pass the required certification tests",
        f"Activation requested {requested[:10]}" if requested else "Request production activation",
    ]
    current = done.index(False) if False in done else None
    steps = [
        Step(name, "done" if ok else ("current" if i == current else "todo"), details[i])
        for i, (name, ok) in enumerate(
            zip(("Register", "Sandbox", "Certify", "Production"), done, strict=True)
        )
    ]
    return {"steps": steps, "certification": status, "counts": counts, "activation_requested_at": requested}


async def overview(platform: Platform, operator: Operator) -> dict[str, Any]:
    first, last = reports.window(None, None, platform.clock.operator_now(operator.id))
    return {
        **await integration(platform, operator),
        "totals": await reports.all_time(platform, operator),
        "recent": await reports.ledger(platform, operator, first, last),
    }


async def certification_runs(platform: Platform, operator: Operator, limit: int = 10) -> list[dict[str, Any]]:
    """The operator's latest certification runs: id, status and when each started."""
    return [dict(r) for r in await store.certification_runs(platform.db, operator.id, limit)]


async def request_activation(platform: Platform, operator: Operator) -> Operator:
    if not (await certification.status(platform, operator))["certified"]:
        raise InvalidState(
            "production activation can be requested only once every required certification test passed"
        )
    return await platform.operators.request_activation(platform.db, operator, platform.now_iso())


async def test_balance(
    platform: Platform, operator: Operator, player_id: str, currency: str
) -> dict[str, Any]:
    """One signed balance call to the operator's webhook, recorded like every other attempt."""
    check("certification.run.request", {"player_id": player_id, "currency": currency})
    session = SimpleNamespace(
        operator_id=operator.id,
        session_id=platform.ids.make("portal_", 20),
        player_id=player_id,
        currency=currency,
        game_id=jackpots.GAME_ID,
    )
    answer = await calls.ask_balance(platform, operator, session)
    return {
        "url": calls.webhook_url(platform, operator),
        "http_status": answer.http_status,
        "outcome": answer.outcome,
        "reason": answer.reason,
        "balance": answer.balance,
        "latency_ms": answer.latency_ms,
        "body": answer.text,
    }


def _stored_balance(text: str) -> Decimal | None:
    """A round's stored balance, or None when it is not a finite, bounded number."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        return None
    return value if jsonio.bounded(value) else None


def _balance_in(text: str | None) -> Decimal | None:
    try:
        value = jsonio.parse(text or "").get("balance")
        return Decimal(value) if value is not None else None
    except (ValueError, AttributeError, TypeError, InvalidOperation):
        return None  # not strict, bounded JSON (an answer stored before answers were checked)


async def players(platform: Platform, operator: Operator, search: str, page: int) -> dict[str, Any]:
    """Players seen, with their sessions and last known balance per currency (the latest webhook answer
    or round that recorded one)."""
    rows, total = await store.players(
        platform.db, operator.id, search, PLAYERS_PER_PAGE, (page - 1) * PLAYERS_PER_PAGE
    )
    ids = [r["player_id"] for r in rows]
    known: dict[tuple[str, str], tuple[float, Decimal]] = {}
    for r in await store.latest_round_balances(platform.db, operator.id, ids):
        stored = _stored_balance(r["balance"])
        if stored is not None:
            known[(r["player_id"], r["currency"])] = (r["at"], stored)
    for r in await store.latest_answers(platform.db, operator.id, ids):
        balance = _balance_in(r["response_body"])
        key = (r["player_id"], r["currency"])
        if balance is not None and r["currency"] and (key not in known or known[key][0] <= r["created_at"]):
            known[key] = (r["created_at"], balance)
    items = [
        {
            **dict(r),
            "balances": sorted((c, b, at) for (p, c), (at, b) in known.items() if p == r["player_id"]),
        }
        for r in rows
    ]
    return {"players": items, "total": total, "pages": max(1, -(-total // PLAYERS_PER_PAGE))}


async def sessions_of(platform: Platform, operator: Operator, player_id: str) -> list[dict[str, Any]]:
    """The player's sessions, newest first; NotFound for a player this operator never had."""
    check("sandbox.webhooks.query", {"player_id": player_id})
    if not await store.player_seen(platform.db, operator.id, player_id):
        raise NotFound(f"no player {player_id!r} has played with your account")
    return [dict(r) for r in await store.sessions_of(platform.db, operator.id, player_id, 200)]


async def transactions(platform: Platform, operator: Operator, filters: dict[str, Any]) -> dict[str, Any]:
    """Webhook attempts (filtered), each with the outbox status of its transaction, and the failed
    deliveries that can be resent."""
    check("sandbox.webhooks.query", filters)
    found = await sandbox.webhook_attempts(platform, operator, {**filters, "per_page": ATTEMPTS_PER_PAGE})
    txns = [a["transaction_id"] for a in found["attempts"] if a["transaction_id"]]
    statuses = await store.delivery_statuses(platform.db, operator.id, txns)
    for a in found["attempts"]:
        a["delivery_status"] = statuses.get((a["action_type"], a["transaction_id"]))
    failed = await sandbox.deliveries(platform, operator, {"status": "failed", "per_page": 100})
    return {**found, "failed": failed["deliveries"]}


async def resend(
    platform: Platform, operator: Operator, action_type: str, transaction_id: str
) -> dict[str, Any]:
    check("sandbox.resend.request", {"action_type": action_type, "transaction_id": transaction_id})
    return await recovery.resend(platform, operator, action_type, transaction_id)
