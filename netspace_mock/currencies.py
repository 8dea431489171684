"""The currencies of the fixture, their decimals, and an amount rounded to them: shared by the platform
and the certification suite, which must not depend on the platform's rules."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from netspace_mock.paths import fixture

CURRENCIES: list[dict] = fixture("currencies")
DECIMALS: dict[str, int] = {c["code"]: c["decimals"] for c in CURRENCIES}


def quantize(amount: Decimal | float | int | str, currency: str) -> Decimal:
    step = Decimal(1).scaleb(-DECIMALS[currency])
    return Decimal(str(amount)).quantize(step, rounding=ROUND_HALF_UP)
