"""Each game's math model: a multiplier table whose expected return equals the catalog RTP.

Lotterix: the player picks 5 numbers from 1–20 and 5 are drawn; the pay table (by matches) is
scaled so that its expected multiplier is the RTP exactly. Five matches also hit the jackpot, paid
on top of the base RTP from the operator-funded pot. Every other game: a multiplier table whose
shape depends on volatility, scaled the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from math import comb
from typing import Any

PICKS, POOL = 5, 20
LOTTERIX_BASE_PAYS = {0: 0.0, 1: 0.0, 2: 1.0, 3: 5.0, 4: 50.0, 5: 1000.0}
# (probability, multiplier) shapes before scaling; the remainder of the probability loses.
SHAPES = {
    "low": [(0.30, 1.5), (0.12, 2.0), (0.03, 5.0)],
    "medium": [(0.20, 2.0), (0.08, 5.0), (0.02, 20.0)],
    "high": [(0.10, 3.0), (0.03, 10.0), (0.005, 100.0)],
}


def match_probability(matches: int) -> float:
    return comb(PICKS, matches) * comb(POOL - PICKS, PICKS - matches) / comb(POOL, PICKS)


@dataclass(frozen=True)
class Draw:
    multiplier: float
    result: dict[str, Any]
    jackpot: bool = False


class GameMath:
    def __init__(self, game: dict[str, Any]) -> None:
        self.game_id = game["id"]
        self.rtp = game["rtp"] / 100
        self.lottery = game["id"] == "lotterix"
        if self.lottery:
            raw = sum(match_probability(k) * m for k, m in LOTTERIX_BASE_PAYS.items())
            self.pays = {k: m * self.rtp / raw for k, m in LOTTERIX_BASE_PAYS.items()}
            self.table = [(match_probability(k), self.pays[k]) for k in LOTTERIX_BASE_PAYS]
        else:
            shape = SHAPES[game["volatility"]]
            scale = self.rtp / sum(p * m for p, m in shape)
            self.table = [(p, m * scale) for p, m in shape]

    def expected_multiplier(self) -> float:
        return sum(p * m for p, m in self.table)

    def draw(self, rng: random.Random, numbers: list[int] | None = None, want: str | None = None) -> Draw:
        """Play once. `want` = 'win' or 'lose' conditions the draw on that result (forced outcomes)."""
        for _ in range(10_000):
            found = self._lottery(rng, numbers) if self.lottery else self._table(rng)
            if want is None or (want == "win") == (found.multiplier > 0):
                return found
        raise RuntimeError("no draw satisfied the forced outcome")  # unreachable for these tables

    def jackpot_draw(self, rng: random.Random, numbers: list[int] | None = None) -> Draw:
        """A Lotterix draw that matches all five picks (the forced jackpot outcome)."""
        picks = sorted(numbers) if numbers else sorted(rng.sample(range(1, POOL + 1), PICKS))
        return Draw(
            round(self.pays[PICKS], 6),
            {"numbers": picks, "drawn": list(picks), "matches": PICKS},
            jackpot=True,
        )

    def _table(self, rng: random.Random) -> Draw:
        roll, edge = rng.random(), 0.0
        for p, m in self.table:
            edge += p
            if roll < edge:
                return Draw(round(m, 6), {"roll": round(roll, 6)})
        return Draw(0.0, {"roll": round(roll, 6)})

    def _lottery(self, rng: random.Random, numbers: list[int] | None) -> Draw:
        picks = sorted(numbers) if numbers else sorted(rng.sample(range(1, POOL + 1), PICKS))
        drawn = sorted(rng.sample(range(1, POOL + 1), PICKS))
        matches = len(set(picks) & set(drawn))
        return Draw(
            round(self.pays[matches], 6),
            {"numbers": picks, "drawn": drawn, "matches": matches},
            jackpot=matches == PICKS,
        )
