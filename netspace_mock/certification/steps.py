"""What the cases are made of: the amounts they use, a verdict on a step, the balance read back, and a
money call checked to the cent. A case raises Failed with a verdict in the operator's terms; the steps it
recorded show the proof."""

from __future__ import annotations

from decimal import Decimal

from netspace_mock.certification.probe import Probe, Step
from netspace_mock.webhooks.client import Answer

ONE, TWO = Decimal("1.00"), Decimal("2.00")


class Failed(Exception):
    """The wallet broke a rule; the message says which, with the figures."""


def said(a: Answer) -> str:
    """What the wallet answered, in a few words."""
    if a.outcome == "ok":
        return f"success (balance {a.balance})"
    if a.outcome == "business_error":
        return f"{a.error_code} (HTTP {a.http_status})"
    return f"{a.outcome.replace('_', ' ')}: {a.reason}"


def judge(step: Step, passed: bool, verdict: str, failure: str) -> None:
    """Record the step's verdict; a failed check ends the test with `failure` as its message."""
    step.passed, step.message = passed, verdict if passed else failure
    if not passed:
        raise Failed(failure)


def fail(step: Step, failure: str) -> None:
    judge(step, False, "", failure)


async def balance_of(p: Probe, name: str = "read the balance", at_least: Decimal = Decimal(0)) -> Decimal:
    """Read the balance as a step; ends the test when it cannot be read or is below `at_least`."""
    value = await p.balance(name)
    if value is None:
        raise Failed(p.steps[-1].message)
    if value < at_least:
        p.steps[-1].passed = False
        raise Failed(
            f"the test player's balance is {p.fmt(value)}; this test needs at least {p.fmt(at_least)}"
        )
    return value


async def money(
    p: Probe,
    name: str,
    payload: dict,
    expected: str,
    before: Decimal,
    delta: Decimal,
    raw: bytes | None = None,
    duplicate_ok: bool = False,
) -> Answer:
    """Send a bet/win/refund/rollback that must succeed and move the balance by exactly `delta`."""
    step, answer = await p.send(name, payload, expected, raw=raw)
    step.balance_before = before
    accepted = answer.ok or (duplicate_ok and answer.error_code == "DUPLICATE_TRANSACTION")
    judge(
        step,
        accepted,
        f"{name}: answered {said(answer)}",
        f"{name}: the wallet answered {said(answer)}; expected {expected}",
    )
    after = await balance_of(p, f"balance after: {name}")
    step.balance_after = after
    moved = after - before
    if moved != delta:
        p.steps[-1].passed = False
        raise Failed(
            f"{name} moved the balance from {p.fmt(before)} to {p.fmt(after)}; expected "
            f"{p.fmt(before + delta)} ({'+' if delta >= 0 else ''}{p.fmt(delta)})"
        )
    if answer.ok and answer.balance is not None and answer.balance != after:
        step.passed = False
        raise Failed(
            f"{name}: the answer said balance {p.fmt(answer.balance)} but the balance is {p.fmt(after)}"
        )
    return answer


async def undo(p: Probe, bet_payload: dict) -> None:
    """Give back a bet the wallet should not have taken (the suite touches the player's money minimally)."""
    r = p.payload(
        "rollback",
        transaction_id=bet_payload["transaction_id"],
        amount=bet_payload["amount"],
        round_id=bet_payload["round_id"],
    )
    step, answer = await p.send("clean-up: roll back the bet that should not have been taken", r, "success")
    step.passed, step.message = (
        answer.ok,
        "rolled back" if answer.ok else f"could not roll back: {said(answer)}",
    )
