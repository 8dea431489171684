"""Argument types the terminal verbs share: argparse shows their message and exits with code 2."""

from __future__ import annotations

import argparse
import re
from decimal import Decimal, InvalidOperation


def amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"expected an amount such as 1 or 2.50, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"expected an amount above 0, got {text!r}")
    return value


def count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return int(text)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.05 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds from 0.05 to 3600, got {text!r}")
    return value


DURATION = re.compile(r"([0-9]+)([smhd])")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def duration(text: str) -> int:
    """`30m`, `12h`, `7d` or `90s`: seconds."""
    found = DURATION.fullmatch(text.strip())
    if not found or int(found.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"expected a duration such as 90s, 30m, 12h or 7d, got {text!r}")
    return int(found.group(1)) * UNITS[found.group(2)]
