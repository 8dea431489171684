"""Bets, wins and GGR of one operator's real-money rounds, per game, currency and day, and as CSV.

A round's stake counts as a bet once the operator acknowledged it, unless the round was refunded or
rolled back; a win counts once acknowledged with an amount above 0. GGR = bets − wins. Demo rounds
play with virtual money and are left out.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from netspace_mock.domain import money
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest
from netspace_mock.store import portal as store
from netspace_mock.store.operators import Operator

REVERSED = ("refunded", "rolled_back")
MAX_DAYS = 366
DEFAULT_DAYS = 14
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CSV_COLUMNS = (
    "day",
    "game_id",
    "game",
    "currency",
    "rounds",
    "bets",
    "bet_amount",
    "wins",
    "win_amount",
    "ggr",
)


@dataclass
class Line:
    """One day, game and currency (or a total, where day and game are empty)."""

    day: str
    game_id: str
    currency: str
    rounds: int = 0
    bets: int = 0
    bet_amount: Decimal = Decimal(0)
    wins: int = 0
    win_amount: Decimal = Decimal(0)

    @property
    def ggr(self) -> Decimal:
        return self.bet_amount - self.win_amount

    def add(self, other: Line) -> None:
        self.rounds += other.rounds
        self.bets += other.bets
        self.bet_amount += other.bet_amount
        self.wins += other.wins
        self.win_amount += other.win_amount


@dataclass
class Ledger:
    first_day: date
    last_day: date
    lines: list[Line] = field(default_factory=list)

    @property
    def days(self) -> list[str]:
        count = (self.last_day - self.first_day).days + 1
        return [(self.first_day + timedelta(days=n)).isoformat() for n in range(count)]

    def totals(self) -> dict[str, Line]:
        """One Line per currency, summed over days and games."""
        out: dict[str, Line] = {}
        for line in self.lines:
            out.setdefault(line.currency, Line("", "", line.currency)).add(line)
        return dict(sorted(out.items()))

    def daily(self, currency: str) -> list[Line]:
        """One Line per day of the window for one currency, summed over games (empty days included)."""
        by_day = {d: Line(d, "", currency) for d in self.days}
        for line in self.lines:
            if line.currency == currency:
                by_day[line.day].add(line)
        return list(by_day.values())


def day_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def _start_of(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _parse_day(text: str, name: str) -> date:
    try:
        if not DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest.at(
            name, f"{text[:40]!r} is not a date; use YYYY-MM-DD, e.g. 2025-01-31"
        ) from None


def window(first: str | None, last: str | None, now: float) -> tuple[date, date]:
    """The days a report covers: [first, last], by default the last 14 days up to today (UTC)."""
    last_day = _parse_day(last, "to") if last else datetime.fromtimestamp(now, UTC).date()
    first_day = _parse_day(first, "from") if first else last_day - timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise InvalidRequest.at("from", "must be on or before the 'to' date")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise InvalidRequest.at("from", f"a report covers at most {MAX_DAYS} days")
    return first_day, last_day


async def ledger(platform: Platform, operator: Operator, first_day: date, last_day: date) -> Ledger:
    rows = await store.round_money(
        platform.db, operator.id, _start_of(first_day), _start_of(last_day + timedelta(days=1))
    )
    lines: dict[tuple[str, str, str], Line] = {}
    for row in rows:
        day = day_of(row["created_at"])
        line = lines.setdefault(
            (day, row["game_id"], row["currency"]), Line(day, row["game_id"], row["currency"])
        )
        line.rounds += 1
        if row["bet"] is not None and row["status"] not in REVERSED:
            line.bets += 1
            line.bet_amount += Decimal(row["bet"])
        if row["win"] is not None and Decimal(row["win"]) > 0:
            line.wins += 1
            line.win_amount += Decimal(row["win"])
    return Ledger(first_day, last_day, [lines[k] for k in sorted(lines)])


async def all_time(platform: Platform, operator: Operator) -> dict[str, Line]:
    """Totals per currency over every round the operator ever played."""
    first = date(1970, 1, 1)
    last = datetime.fromtimestamp(platform.clock.operator_now(operator.id), UTC).date() + timedelta(days=1)
    return (await ledger(platform, operator, first, last)).totals()


def amount(value: Decimal, currency: str) -> str:
    """An amount as text with its currency's decimals (2 for USD, 0 for JPY, 8 for crypto)."""
    return str(money.quantize(value, currency)) if currency in money.DECIMALS else str(value)


def game_name(platform: Platform, game_id: str) -> str:
    game = platform.catalog.get(game_id)
    return game["name"] if game else game_id


def csv_text(platform: Platform, report: Ledger) -> str:
    """The report as CSV (RFC 4180 quoting by the csv module), one row per day, game and currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.lines:
        c = line.currency
        writer.writerow(
            [
                line.day,
                line.game_id,
                game_name(platform, line.game_id),
                c,
                line.rounds,
                line.bets,
                amount(line.bet_amount, c),
                line.wins,
                amount(line.win_amount, c),
                amount(line.ggr, c),
            ]
        )
    return out.getvalue()
