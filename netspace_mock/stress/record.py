"""What a stress run keeps: its configuration, every attempt, the platform's ledger of each round (for
reconciliation, ledger.py), the errors by kind and the figures of the progress line and the report."""

from __future__ import annotations

import hashlib
import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from netspace_mock.settings import Settings
from netspace_mock.store.rounds import Round
from netspace_mock.stress.ledger import Entry, Observed
from netspace_mock.stress.plan import Mix
from netspace_mock.webhooks.client import Answer

# Business answers that are the wallet doing its job: a bet refused for its balance ends the round
# rejected; DUPLICATE_TRANSACTION to a repeated call counts as delivered (PROTOCOL §5).
EXPECTED_REFUSALS = {("bet", "INSUFFICIENT_BALANCE")} | {
    (action, "DUPLICATE_TRANSACTION") for action in ("win", "refund", "rollback")
}


class StressError(Exception):
    """The run cannot start or go on: the webhook is unreachable, or a player has no account."""


@dataclass(frozen=True)
class Config:
    url: str
    api_key: str
    secret: str
    currency: str
    players: tuple[str, ...]
    rounds: int | None
    duration: float | None
    concurrency: int
    rate: float | None
    mix: Mix
    seed: int
    settings: Settings  # webhook_timeout, webhook_retries, webhook_backoff, close_lost_rounds
    game_id: str = "jungle-draw"


@dataclass
class Attempt:
    sent: int
    answered: int
    answer: Answer
    counted: bool  # the policy acted on it (False: dropped by the round's scenario)


@dataclass
class Run:
    """A run's state, read by the report and, while it runs, by the progress line."""

    config: Config
    events: Any = field(default_factory=lambda: itertools.count(1))  # sends and answers, in order
    keys: Any = field(default_factory=lambda: itertools.count(1))  # the ledger's entries
    started: float = 0.0
    finished: float = 0.0
    planned: int | None = None
    rounds_done: int = 0
    calls_sent: int = 0
    entries: list[Entry] = field(default_factory=list)
    observed: list[Observed] = field(default_factory=list)
    start_balances: dict[str, Decimal] = field(default_factory=dict)
    final: dict[str, Observed] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    recent: list[float] = field(default_factory=list)  # latencies since the last progress line
    errors: Counter = field(default_factory=Counter)  # by kind
    mishandled: Counter = field(default_factory=Counter)  # the kinds that are the wallet's fault
    examples: dict[str, str] = field(default_factory=dict)  # a reason per kind
    statuses: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    digest: Any = field(default_factory=hashlib.sha256)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started if self.started else 0.0

    def error(self, action: str, answer: Answer) -> None:
        """An answer that is not ok, counted by its kind."""
        code = f" {answer.error_code}" if answer.error_code else ""
        kind = f"{action} {answer.outcome}{code}"
        self.count(kind, answer.reason or "", (action, answer.error_code) not in EXPECTED_REFUSALS)

    def count(self, kind: str, reason: str, mishandled: bool) -> None:
        self.errors[kind] += 1
        self.examples.setdefault(kind, reason[:300])
        if mishandled:
            self.mishandled[kind] += 1


def book(run: Run, rnd: Round, calls: dict, tried: dict[str, list[Attempt]]) -> None:
    """The round's transactions as the platform's ledger holds them, and the balances answered."""
    run.rounds_done += 1
    run.statuses[rnd.status if rnd.status != "open" else "undelivered"] += 1
    bet, bet_attempt = calls["bet"], tried["bet"][0]
    bet_key = None
    if bet.status in ("acknowledged", "unknown"):
        bet_key = next(run.keys)
        settles = bet_attempt.answered
        final = -bet.amount
        if bet.status == "unknown":
            # Its outcome is unknown until its rollback is delivered, which reverts it if it was applied.
            settles, final = _delivered_at(tried["rollback"]), Decimal(0)
        run.entries.append(
            Entry(
                bet_key,
                rnd.player_id,
                "bet",
                bet.transaction_id,
                rnd.round_id,
                -bet.amount,
                final,
                bet_attempt.sent,
                settles,
            )
        )
    _observe(run, rnd, bet, [bet_attempt], bet_key)
    for action in ("win", "refund", "rollback"):
        follow = calls.get(action)
        if follow is None:
            continue
        if action == "rollback" and bet.status == "unknown":
            _observe(run, rnd, follow, tried[action], bet_key)
            key = bet_key
        else:
            key = next(run.keys)
            attempts = tried[action]
            run.entries.append(
                Entry(
                    key,
                    rnd.player_id,
                    action,
                    follow.transaction_id,
                    rnd.round_id,
                    follow.amount,
                    follow.amount,
                    attempts[0].sent if attempts else 0,
                    _delivered_at(attempts),
                )
            )
            _observe(run, rnd, follow, attempts, key)
        if follow.status == "failed":
            run.count(f"{action} failed after {follow.attempts} attempts", follow.last_error or "", True)


def _observe(run: Run, rnd: Round, delivery, attempts: list[Attempt], key: int | None) -> None:
    """Every balance the wallet answered to this call; a repeat must give the first answer's id."""
    first: Answer | None = None
    for attempt in attempts:
        answer = attempt.answer
        if not answer.ok or key is None:
            continue
        also = first.balance if first is not None else None
        run.observed.append(
            Observed(
                rnd.player_id,
                delivery.action_type,
                delivery.transaction_id,
                rnd.round_id,
                attempt.sent,
                attempt.answered,
                answer.balance,
                key,
                also,
            )
        )
        if first is None:
            first = answer
        elif answer.operator_transaction_id != first.operator_transaction_id:
            run.count(
                f"{delivery.action_type} repeated: answered with another transaction_id",
                f"round {rnd.round_id}: {first.operator_transaction_id!r}, then "
                f"{answer.operator_transaction_id!r}: was it booked twice?",
                True,
            )


def _delivered_at(attempts: list[Attempt]) -> int | None:
    """The event of the first answer the policy took as delivered (ok, or DUPLICATE_TRANSACTION)."""
    return next((a.answered for a in attempts if a.counted and a.answer.delivered), None)


def percentile(values: list[float], share: float) -> float:
    """Nearest rank; 0 for no values. `values` sorted."""
    if not values:
        return 0.0
    return values[max(0, min(len(values) - 1, int(share * len(values) + 0.999999) - 1))]


def snapshot(run: Run) -> dict:
    """The progress line's figures: rounds done, rate, errors, p50/p99 since the last line."""
    recent = sorted(run.recent)
    run.recent.clear()
    elapsed = run.elapsed
    return {
        "rounds": run.rounds_done,
        "planned": run.planned,
        "elapsed_s": round(elapsed, 2),
        "rounds_per_s": round(run.rounds_done / elapsed, 1) if elapsed else 0.0,
        "calls": run.calls_sent,
        "errors": sum(run.mishandled.values()),
        "p50_ms": round(percentile(recent, 0.5), 2),
        "p99_ms": round(percentile(recent, 0.99), 2),
    }
