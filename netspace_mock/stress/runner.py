"""The stress driver: plays the plan's rounds against a webhook exactly as the round engine would, at a
bounded concurrency and rate, and keeps what reconciliation and the report need.

Every round goes through the engine's own code: its calls are built by domain/rounds/deliveries.py,
signed, sent and classified by webhooks/client.py, and what each answer leads to is decided by the
delivery policy (domain/rounds/policy.py: a bet never retried, its unknown outcome rolled back, a win,
refund or rollback retried with the same body, DUPLICATE_TRANSACTION delivered, the fault scenarios).
Only the outbox is missing: the round lives in memory for as long as it plays.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from netspace_mock import jsonio
from netspace_mock.domain import calls as platform_calls
from netspace_mock.domain.rounds import deliveries, policy
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids
from netspace_mock.store.rounds import Round
from netspace_mock.stress import plan as plans
from netspace_mock.stress.ledger import Entry, Observed
from netspace_mock.stress.plan import Mix, RoundPlan
from netspace_mock.webhooks.client import Answer, WebhookClient

OPERATOR = 0  # the driver plays for one operator; its clock is the platform's
PROGRESS_EVERY = 1.0
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


@dataclass(frozen=True)
class Source:
    """What the engine's payload builders (deliveries.py, domain/calls.py) read of a platform: its
    clock and its ids. Each round has its own Ids, seeded by the plan and the run."""

    clock: Clock
    ids: Ids


@dataclass(frozen=True)
class StressSession:
    """The session fields of a payload (domain/calls.payload)."""

    session_id: str
    player_id: str
    currency: str
    game_id: str
    operator_id: int = OPERATOR


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
    events: Any = field(default_factory=lambda: itertools.count(1))
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


class Pace:
    """A token bucket of one token: rounds start at most `rate` a second (None: as fast as answered)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1 / rate if rate else 0.0
        self.next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        at = max(self.next, now)
        self.next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


class Driver:
    def __init__(
        self, config: Config, client: WebhookClient, progress: Callable[[dict], None] | None = None
    ) -> None:
        self.config, self.client, self.progress = config, client, progress
        self.clock = client.clock
        self.run = Run(config, planned=config.rounds)
        self._keys = itertools.count(1)
        # Transaction ids are unique per operator (PROTOCOL §4): a run with the same seed plays the same
        # rounds, under ids of its own, or a wallet would rightly take them for repeats.
        self._ids_salt = secrets.randbits(64)

    async def play(self) -> Run:
        """Start balances, the rounds, final balances; raises StressError when it cannot start."""
        run = self.run
        await self._start_balances()
        run.started = time.monotonic()
        ticker = asyncio.create_task(self._tick()) if self.progress else None
        try:
            await self._rounds()
        finally:
            run.finished = time.monotonic()
            if ticker is not None:
                ticker.cancel()
        if self.progress:
            self.progress(snapshot(run))
        await self._final_balances()
        return run

    # -------------------------------------------------------------------------------- balances

    async def _balance(self, player: str) -> tuple[Answer, int, int]:
        session = StressSession(session_id(player, 1), player, self.config.currency, self.config.game_id)
        body = jsonio.dumps(platform_calls.payload(Source(self.clock, Ids()), "balance", session))
        return await self._call("balance", body)

    async def _each_player(self, fn) -> None:
        slots = asyncio.Semaphore(self.config.concurrency)

        async def one(player: str) -> None:
            async with slots:
                await fn(player)

        await asyncio.gather(*(one(p) for p in self.config.players))

    async def _start_balances(self) -> None:
        refusals: list[str] = []

        async def start(player: str) -> None:
            answer, _, _ = await self._balance(player)
            if answer.ok:
                self.run.start_balances[player] = answer.balance
            else:
                refusals.append(f"{player}: {policy.describe_failure(answer)}")

        await self._each_player(start)
        if refusals:
            unreachable = len(refusals) == len(self.config.players) and all(
                "transport_error" in r for r in refusals
            )
            what = "the webhook is unreachable" if unreachable else "the balance of a player was refused"
            raise StressError(
                f"{what}: {refusals[0]}" + (f" (and {len(refusals) - 1} more)" * (len(refusals) > 1))
            )

    async def _final_balances(self) -> None:
        async def final(player: str) -> None:
            answer, sent, answered = await self._balance(player)
            if answer.ok:
                self.run.final[player] = Observed(
                    player, "balance", None, None, sent, answered, answer.balance
                )
            else:
                self._error("balance", answer)

        await self._each_player(final)

    # ---------------------------------------------------------------------------------- rounds

    async def _rounds(self) -> None:
        cfg, run = self.config, self.run
        turns = plans.turns(cfg.seed, list(cfg.players), cfg.currency, cfg.mix, cfg.rounds)
        deadline = time.monotonic() + cfg.duration if cfg.duration else None
        pace = Pace(cfg.rate)
        # A player's turns one at a time: two rounds of one player overlap only in an interleaved turn.
        busy: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

        async def worker() -> None:
            while deadline is None or time.monotonic() < deadline:
                turn = next(turns, None)
                if turn is None:
                    return
                plans.fingerprint(run.digest, turn)
                for _ in turn.rounds:
                    await pace.wait()
                if len(turn.rounds) > 1:
                    run.faults["interleave"] += 1
                async with busy[turn.player_id]:
                    await asyncio.gather(*(self._round(r) for r in turn.rounds))

        await asyncio.gather(*(worker() for _ in range(cfg.concurrency)))

    async def _round(self, planned: RoundPlan) -> None:
        cfg, settings = self.config, self.config.settings
        ids = Ids(planned.ids_seed ^ self._ids_salt)
        source = Source(self.clock, ids)
        rnd = Round(
            operator_id=OPERATOR,
            round_id=ids.make("round_", 24),
            session_id=session_id(planned.player_id, planned.session),
            player_id=planned.player_id,
            game_id=cfg.game_id,
            currency=cfg.currency,
            kind="real",
            amount=planned.amount,
            outcome=planned.outcome,
            win_amount=planned.win_amount,
            result={},
            status="open",
            balance=None,
            free_bet_id=None,
            created_at=self.clock.now(),
            finished_at=None,
            scenario=planned.scenario,
        )
        if planned.scenario:
            self.run.faults[planned.scenario] += 1
        bet = deliveries.delivery(source, rnd, rnd, "bet", ids.make("txn_"), planned.amount)
        calls = {"bet": bet}
        tried: dict[str, list[Attempt]] = defaultdict(list)
        while rnd.status == "open":
            now = self.clock.operator_now(OPERATOR)
            step = policy.next_step(rnd, calls, now, settings, send=True)
            if step.kind == "send":
                tried[step.delivery.action_type].append(await self._attempt(rnd, step.delivery))
            elif step.kind == "follow_up":
                due = policy.follow_up_due(rnd, step.action, now)
                follow = deliveries.follow_up(source, rnd, bet, rnd, step.action, due)
                follow.next_attempt_at = due
                calls[step.action] = follow
            elif step.kind == "finish":
                rnd.status, rnd.finished_at = step.status, now
            else:
                due = [
                    d.next_attempt_at for d in calls.values() if d.status == "pending" and d.next_attempt_at
                ]
                if not due:
                    break  # a call failed every attempt: the platform would wait for a resend
                await asyncio.sleep(max(0.0, min(due) - now))
        self._book(rnd, calls, tried)

    async def _attempt(self, rnd: Round, delivery) -> Attempt:
        """One attempt, and what the policy makes of its answer (as engine._apply writes it)."""
        delivery.attempts += 1
        answer, sent, answered = await self._call(delivery.action_type, delivery.body.encode())
        counted = policy.treated_as_lost(rnd, delivery) is None
        done = policy.answered(rnd, delivery, answer, self.clock.operator_now(OPERATOR), self.config.settings)
        delivery.status, delivery.next_attempt_at = done.status, done.next_attempt_at
        delivery.last_error, delivery.operator_transaction_id = done.last_error, done.operator_transaction_id
        rnd.balance, rnd.scenario_applied_at = done.balance, done.scenario_applied_at
        if not answer.ok:
            self._error(delivery.action_type, answer)
        return Attempt(sent, answered, answer, counted)

    async def _call(self, action: str, body: bytes) -> tuple[Answer, int, int]:
        cfg, run = self.config, self.run
        sent = next(run.events)
        answer = await self.client.send(cfg.api_key, cfg.secret, cfg.url, action, body)
        answered = next(run.events)
        run.calls_sent += 1
        run.latencies[action].append(answer.latency_ms)
        run.recent.append(answer.latency_ms)
        return answer, sent, answered

    def _error(self, action: str, answer: Answer) -> None:
        code = f" {answer.error_code}" if answer.error_code else ""
        kind = f"{action} {answer.outcome}{code}"
        self._count(kind, answer.reason or "", (action, answer.error_code) not in EXPECTED_REFUSALS)

    def _count(self, kind: str, reason: str, mishandled: bool) -> None:
        run = self.run
        run.errors[kind] += 1
        run.examples.setdefault(kind, reason[:300])
        if mishandled:
            run.mishandled[kind] += 1

    # ------------------------------------------------------------------------------- the ledger

    def _book(self, rnd: Round, calls: dict, tried: dict[str, list[Attempt]]) -> None:
        """The round's transactions as the platform's ledger holds them, and the balances answered."""
        run = self.run
        run.rounds_done += 1
        run.statuses[rnd.status if rnd.status != "open" else "undelivered"] += 1
        bet, bet_attempt = calls["bet"], tried["bet"][0]
        bet_key = None
        if bet.status in ("acknowledged", "unknown"):
            bet_key = next(self._keys)
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
        self._observe(rnd, bet, [bet_attempt], bet_key)
        for action in ("win", "refund", "rollback"):
            follow = calls.get(action)
            if follow is None:
                continue
            if action == "rollback" and bet.status == "unknown":
                self._observe(rnd, follow, tried[action], bet_key)
                key = bet_key
            else:
                key = next(self._keys)
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
                self._observe(rnd, follow, attempts, key)
            if follow.status == "failed":
                self._count(
                    f"{action} failed after {follow.attempts} attempts", follow.last_error or "", True
                )

    def _observe(self, rnd: Round, delivery, attempts: list[Attempt], key: int | None) -> None:
        """Every balance the wallet answered to this call; a repeat must give the first answer's id."""
        first: Answer | None = None
        for attempt in attempts:
            answer = attempt.answer
            if not answer.ok or key is None:
                continue
            also = first.balance if first is not None else None
            self.run.observed.append(
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
                self._count(
                    f"{delivery.action_type} repeated: answered with another transaction_id",
                    f"round {rnd.round_id}: {first.operator_transaction_id!r}, then "
                    f"{answer.operator_transaction_id!r}: was it booked twice?",
                    True,
                )

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            self.progress(snapshot(self.run))


def _delivered_at(attempts: list[Attempt]) -> int | None:
    """The event of the first answer the policy took as delivered (ok, or DUPLICATE_TRANSACTION)."""
    return next((a.answered for a in attempts if a.counted and a.answer.delivered), None)


def session_id(player: str, session: int) -> str:
    return f"{player}-s{session}"


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
