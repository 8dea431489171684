"""Currencies and amounts: every amount is a Decimal rounded to its currency's decimals."""

from __future__ import annotations

from decimal import Decimal

# The currency table lives below domain/ so that certification/ can use it too; the platform's code
# keeps reaching it as `money.CURRENCIES`, `money.DECIMALS`, `money.quantize`.
from netspace_mock.currencies import CURRENCIES, DECIMALS, quantize

__all__ = ["CURRENCIES", "DECIMALS", "MAX_AMOUNT", "is_exact", "number", "quantize"]

MAX_AMOUNT = Decimal("1e12")


def is_exact(amount: Decimal, currency: str) -> bool:
    """True when the amount has no more decimals than its currency allows."""
    return quantize(amount, currency) == amount


def number(amount: Decimal) -> int | float:
    """An amount as a JSON number: an integer when whole, else the shortest float of the exact value."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)
