"""What a stress run plays, drawn from one seeded random.Random: the mix, the players and each turn's
rounds (outcome, stake, win, fault scenario, ids), so that the same seed plays the same traffic."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from netspace_mock.currencies import DECIMALS, quantize
from netspace_mock.domain.rounds.policy import SCENARIOS, WIN_SCENARIOS

OUTCOMES = ("win", "lose", "refund", "rollback")
# The platform faults: the engine's own scenarios (policy.SCENARIOS) and rounds of one player played
# at once on two sessions.
FAULTS = ("bet_timeout", "duplicate_win", "retry_win", "interleave")
DEFAULT_MIX = {
    "win": 40.0,
    "lose": 50.0,
    "refund": 5.0,
    "rollback": 5.0,
    "bet_timeout": 2.0,
    "duplicate_win": 2.0,
    "retry_win": 2.0,
    "interleave": 10.0,
}
MULTIPLIERS = (Decimal("0.5"), Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("3"), Decimal("5"))


@dataclass(frozen=True)
class Mix:
    """Outcomes as relative weights; faults as percentages of rounds (one scenario a round at most,
    so bet_timeout + duplicate_win + retry_win ≤ 100; interleave is drawn on its own)."""

    shares: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))

    @classmethod
    def parse(cls, text: str | None) -> Mix:
        """`win=40,lose=50,bet_timeout=2,...`: the names given replace the defaults; ValueError says
        what is wrong."""
        shares = dict(DEFAULT_MIX)
        for item in filter(None, (part.strip() for part in (text or "").split(","))):
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in shares:
                raise ValueError(
                    f"--mix: expected NAME=SHARE with NAME one of {', '.join(shares)}, got {item!r}"
                )
            try:
                share = float(value)
            except ValueError:
                raise ValueError(f"--mix: {name}={value!r} is not a number") from None
            if not 0 <= share <= 100:
                raise ValueError(f"--mix: {name}={value} must be between 0 and 100")
            shares[name] = share
        if sum(shares[o] for o in OUTCOMES) <= 0:
            raise ValueError("--mix: at least one of win, lose, refund, rollback must be above 0")
        if sum(shares[f] for f in SCENARIOS if f in shares) > 100:
            raise ValueError("--mix: bet_timeout + duplicate_win + retry_win must be at most 100 (%)")
        return cls(shares)

    def text(self) -> str:
        return ",".join(f"{k}={v:g}" for k, v in self.shares.items())


@dataclass(frozen=True)
class RoundPlan:
    """One round as it will be played: its session (1, or 2 for the second of an interleaved turn),
    its ids seed (the round's own Ids, so ids do not depend on which round runs first)."""

    index: int
    player_id: str
    session: int
    outcome: str
    amount: Decimal
    win_amount: Decimal
    scenario: str | None
    ids_seed: int


@dataclass(frozen=True)
class Turn:
    """The rounds of one player played at once: one, or two on two sessions (interleave)."""

    player_id: str
    rounds: tuple[RoundPlan, ...]


def stake_unit(currency: str) -> Decimal:
    """Stakes are 10 to 500 of this: cents in a currency with cents, whole units without."""
    return Decimal(1).scaleb(-min(DECIMALS[currency], 2))


def turns(seed: int, players: list[str], currency: str, mix: Mix, limit: int | None) -> Iterator[Turn]:
    """The run's turns in order, players taken round-robin, until `limit` rounds (None: endless)."""
    rng = random.Random(seed)
    shares = mix.shares
    outcomes = [o for o in OUTCOMES if shares[o] > 0]
    weights = [shares[o] for o in outcomes]
    unit = stake_unit(currency)
    index = 0
    for turn in itertools.count():
        if limit is not None and index >= limit:
            return
        player = players[turn % len(players)]
        count = (
            2 if rng.random() * 100 < shares["interleave"] and (limit is None or index + 2 <= limit) else 1
        )
        planned = []
        for session in range(1, count + 1):
            outcome = rng.choices(outcomes, weights)[0]
            amount = quantize(unit * rng.randint(10, 500), currency)
            win = quantize(amount * rng.choice(MULTIPLIERS), currency) if outcome == "win" else Decimal(0)
            planned.append(
                RoundPlan(index, player, session, outcome, amount, win, _scenario(rng, shares, outcome), 0)
            )
            index += 1
        # Drawn after the round's other fields, so adding a field above does not shift every id.
        planned = [RoundPlan(**{**vars(r), "ids_seed": rng.getrandbits(64)}) for r in planned]
        yield Turn(player, tuple(planned))


def _scenario(rng: random.Random, shares: dict[str, float], outcome: str) -> str | None:
    draw = rng.random() * 100
    for name in ("bet_timeout", "duplicate_win", "retry_win"):
        if draw < shares[name]:
            if name in WIN_SCENARIOS and outcome in ("refund", "rollback"):
                return None  # those rounds send no win to duplicate or retry
            return name
        draw -= shares[name]
    return None


def fingerprint(h: Any, turn: Turn) -> None:
    """Add a turn to a plan's fingerprint (a hashlib hash, the report's plan_digest)."""
    for r in turn.rounds:
        h.update(repr(tuple(vars(r).values())).encode())
