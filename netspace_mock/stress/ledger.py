"""Reconciliation of a stress run, as pure functions: the platform's ledger (what each transaction does
to a player's balance, as the platform intends it) against every balance the wallet answered.

Time is a sequence of events (a call sent, an answer received), numbered in the one order the driver
saw them. An entry is certain to be applied after it `settles` (the answer that delivered it), certainly
not before it `starts` (its first attempt was sent), and either in between: a call whose answer was
lost, a retry, or a call of another round of the player in flight at the same time. An answered
balance reconciles when it is the start balance plus every settled entry plus some choice of the
uncertain ones; the first answer that cannot is where the wallet and the ledger part.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate, combinations

EXACT_LIMIT = 12  # uncertain entries at one answer tried in every combination; more: a range


@dataclass(frozen=True, slots=True)
class Entry:
    """One transaction's effect. `final`: the effect once settled (a bet whose answer was lost is
    reverted by its rollback: `value` meanwhile, 0 once the rollback settles). `settles` None: never
    delivered, so it may or may not have been applied, to the end."""

    key: int
    player_id: str
    action: str
    transaction_id: str
    round_id: str
    value: Decimal
    final: Decimal
    starts: int
    settles: int | None


@dataclass(frozen=True, slots=True)
class Observed:
    """A balance the wallet answered: to the call sent at `sent` and answered at `answered`, of the
    entry `entry` (None: a balance call). `also`: another balance that is right too (a repeated call
    may answer the balance its first answer gave)."""

    player_id: str
    action: str
    transaction_id: str | None
    round_id: str | None
    sent: int
    answered: int
    balance: Decimal
    entry: int | None = None
    also: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One answer checked: `expected` the balance if every uncertain entry went the likeliest way
    (applied when it was settled by then), `low`/`high` the range the uncertain ones allow."""

    observed: Observed
    ok: bool
    expected: Decimal
    low: Decimal
    high: Decimal


class PlayerLedger:
    """One player's entries, indexed so that checking each answer costs what is in flight around it,
    not the whole history: answers are checked in the order they arrived (`answered` never falls)."""

    def __init__(self, start: Decimal, entries: list[Entry]) -> None:
        self.start = start
        self.by_key = {e.key: e for e in entries}
        settled = sorted((e for e in entries if e.settles is not None), key=lambda e: e.settles)
        self.settled, self.settled_at = settled, [e.settles for e in settled]
        self.before = list(accumulate((e.final for e in settled), initial=Decimal(0)))
        self.starting = sorted(entries, key=lambda e: e.starts)
        self.open: dict[int, Entry] = {}  # started and not settled by the last answer checked
        self._started = self._ended = 0
        self._last = 0

    def check(self, observed: Observed) -> Verdict:
        """Whether one answered balance is one the ledger allows."""
        if observed.answered < self._last:
            raise ValueError("answers are checked in the order they arrived")
        self._last = observed.answered
        while self._started < len(self.starting) and self.starting[self._started].starts < observed.answered:
            e = self.starting[self._started]
            self.open[e.key] = e
            self._started += 1
        while self._ended < len(self.settled) and self.settled[self._ended].settles <= observed.answered:
            self.open.pop(self.settled[self._ended].key, None)
            self._ended += 1
        first = bisect_left(self.settled_at, observed.sent)  # settled before the call was sent
        base = self.start + self.before[first]
        own_entry = self.by_key.get(observed.entry) if observed.entry is not None else None
        own = Decimal(0)
        if own_entry is not None:
            if own_entry.settles is not None and own_entry.settles < observed.sent:
                base -= own_entry.final
            # An ok answer says the wallet applied the call: the value now, the final effect once settled.
            settled = own_entry.settles is not None and own_entry.settles <= observed.answered
            own = own_entry.final if settled else own_entry.value
        during = self.settled[first : bisect_right(self.settled_at, observed.answered)]
        uncertain = [e for e in [*during, *self.open.values()] if e.key != observed.entry and e.value != 0]
        settled_by = [e.final for e in uncertain if e.settles is not None and e.settles <= observed.answered]
        expected = base + own + sum(settled_by, Decimal(0))
        low = base + own + sum((e.value for e in uncertain if e.value < 0), Decimal(0))
        high = base + own + sum((e.value for e in uncertain if e.value > 0), Decimal(0))
        ok = observed.balance == expected or (observed.also is not None and observed.balance == observed.also)
        if not ok and uncertain:
            ok = _reachable(observed.balance - base - own, [e.value for e in uncertain], low - base - own)
        return Verdict(observed, ok, expected, low, high)


def check(start: Decimal, entries: list[Entry], observed: Observed) -> Verdict:
    """One answer checked against one player's entries."""
    return PlayerLedger(start, entries).check(observed)


def _reachable(target: Decimal, values: list[Decimal], low: Decimal) -> bool:
    """Whether some of `values` add up to `target` (exactly for a few, else within their range)."""
    if len(values) > EXACT_LIMIT:
        return low <= target <= low + sum(abs(v) for v in values)
    return any(
        sum(chosen, Decimal(0)) == target
        for n in range(len(values) + 1)
        for chosen in combinations(values, n)
    )


@dataclass(frozen=True)
class PlayerReconciliation:
    """One player: the balance at the start, the balance the ledger implies at the end (`expected`,
    with `low`/`high` when a call was never delivered), the wallet's final answer, and the first of
    its answers that the ledger does not allow (None when every one reconciles)."""

    player_id: str
    start: Decimal
    expected: Decimal
    low: Decimal
    high: Decimal
    answered: Decimal | None
    answers_checked: int
    first_discrepancy: Verdict | None

    @property
    def reconciled(self) -> bool:
        return self.first_discrepancy is None and self.answered is not None


def reconcile(
    player_id: str, start: Decimal, entries: list[Entry], answers: list[Observed], final: Observed | None
) -> PlayerReconciliation:
    """Every answer of one player in the order they arrived, then the final balance query."""
    mine = [e for e in entries if e.player_id == player_id]
    book = PlayerLedger(start, mine)
    first = None
    checked = 0
    for observed in sorted((a for a in answers if a.player_id == player_id), key=lambda a: a.answered):
        checked += 1
        verdict = book.check(observed)
        if not verdict.ok:
            first = verdict
            break
    total = start + sum((e.final for e in mine if e.settles is not None), Decimal(0))
    open_ = [e.value for e in mine if e.settles is None]
    low = total + sum((v for v in open_ if v < 0), Decimal(0))
    high = total + sum((v for v in open_ if v > 0), Decimal(0))
    if final is not None:
        checked += 1
        verdict = check(start, mine, final)  # a ledger of its own: the loop may have stopped early
        if first is None and not verdict.ok:
            first = verdict
    return PlayerReconciliation(
        player_id, start, total, low, high, None if final is None else final.balance, checked, first
    )
