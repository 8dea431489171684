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
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from netspace_mock import jsonio
from netspace_mock.domain import calls as platform_calls
from netspace_mock.domain.rounds import deliveries, policy
from netspace_mock.sources import Clock, Ids
from netspace_mock.store.rounds import Round
from netspace_mock.stress import plan as plans
from netspace_mock.stress import record
from netspace_mock.stress.ledger import Observed
from netspace_mock.stress.plan import RoundPlan
from netspace_mock.stress.record import Attempt, Config, Run, StressError
from netspace_mock.webhooks.client import Answer, WebhookClient

OPERATOR = 0  # the driver plays for one operator; its clock is the platform's
PROGRESS_EVERY = 1.0


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
            self.progress(record.snapshot(run))
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
        refused: list[tuple[str, Answer]] = []

        async def start(player: str) -> None:
            answer, _, _ = await self._balance(player)
            if answer.ok:
                self.run.start_balances[player] = answer.balance
            else:
                refused.append((player, answer))

        await self._each_player(start)
        if not refused:
            return
        player, answer = refused[0]
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        if len(refused) == len(self.config.players) and all(
            a.outcome == "transport_error" for _, a in refused
        ):
            raise StressError(f"the webhook is unreachable: {answer.reason}{more}")
        raise StressError(
            f"the balance of {player} was refused: {policy.describe_failure(answer)}{more}; every player "
            'needs an account with a balance in the wallet before the run (docs/stress.md, "Players and '
            'their balance")'
        )

    async def _final_balances(self) -> None:
        async def final(player: str) -> None:
            answer, sent, answered = await self._balance(player)
            if answer.ok:
                self.run.final[player] = Observed(
                    player, "balance", None, None, sent, answered, answer.balance
                )
            else:
                self.run.error("balance", answer)

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
        record.book(self.run, rnd, calls, tried)

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
            self.run.error(delivery.action_type, answer)
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

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            self.progress(record.snapshot(self.run))


def session_id(player: str, session: int) -> str:
    return f"{player}-s{session}"
