"""Currencies and amounts: every amount is a Decimal rounded to its currency's decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from netspace_mock.paths import fixture

CURRENCIES: list[dict] = fixture("currencies")
DECIMALS: dict[str, int] = {c["code"]: c["decimals"] for c in CURRENCIES}
MAX_AMOUNT = Decimal("1e12")


def quantize(amount: Decimal | float | int | str, currency: str) -> Decimal:
    step = Decimal(1).scaleb(-DECIMALS[currency])
    return Decimal(str(amount)).quantize(step, rounding=ROUND_HALF_UP)


def is_exact(amount: Decimal, currency: str) -> bool:
    """True when the amount has no more decimals than its currency allows."""
    return quantize(amount, currency) == amount


def number(amount: Decimal) -> int | float:
    """An amount as a JSON number: an integer when whole, else the shortest float of the exact value."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)
