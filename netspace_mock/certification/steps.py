"""What the cases are made of: the amounts they use, a verdict on a step, the balance read back, and a
money call checked to the cent. A case raises Failed with a verdict in the operator's terms; the steps it
recorded show the proof."""

from __future__ import annotations

from decimal import Decimal

from netspace_mock.certification.probe import Probe, Step
from netspace_mock.currencies import DECIMALS
from netspace_mock.webhooks.client import Answer

ONE, TWO = Decimal("1.00"), Decimal("2.00")


class Failed(Exception):
    """The wallet broke a rule; the message says which, with the figures."""


class Skipped(Exception):
    """An advisory check that cannot run with what the run was given; the message says what it needs."""


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
        cents = delta != 0 and moved == delta.scaleb(DECIMALS[p.target.currency])
        raise Failed(
            f"{name} moved the balance from {p.fmt(before)} to {p.fmt(after)}; expected "
            f"{p.fmt(before + delta)} ({'+' if delta >= 0 else ''}{p.fmt(delta)})"
            + (": the wallet counts in cents; amounts are in the currency's units" if cents else "")
        )
    if answer.ok:
        answered(p, step, name, payload.get("action_type", "call"), answer, before, after)
    return answer


def answered(
    p: Probe, step: Step, name: str, action: str, answer: Answer, before: Decimal, after: Decimal
) -> None:
    """The balance a transaction's answer carries must be the balance after it, in the currency's
    units (PROTOCOL §6): the platform shows it to the player at once."""
    given = answer.balance
    if given == after:
        return
    step.passed = False
    decimals = DECIMALS[p.target.currency]
    if decimals and given == after.scaleb(decimals):
        reason = "the balance must be in the currency's units, not in cents"
        shown = int(given) if given == given.to_integral_value() else given
        raise Failed(f"{name}: answered balance {shown} for {p.fmt(after)}: {reason}")
    if given == before:
        raise Failed(
            f"{name}: answered the balance before the {action} ({p.fmt(given)}); the answer must carry "
            f"the balance after it ({p.fmt(after)})"
        )
    raise Failed(f"{name}: the answer said balance {p.fmt(given)} but the balance is {p.fmt(after)}")


async def must_refuse(p: Probe, name: str, bet: dict, what: str, fix: str) -> Answer:
    """A bet the wallet must refuse, leaving the balance as it was (given back if it was taken)."""
    before = await balance_of(p)
    step, answer = await p.send(name, bet, "refused")
    after = await balance_of(p)
    step.balance_before, step.balance_after = before, after
    if answer.ok:
        await undo(p, bet)
    failure = (
        f"{what} was accepted: {fix}"
        if answer.ok
        else f"{what} was refused, but the balance moved from {p.fmt(before)} to {p.fmt(after)}"
    )
    judge(step, not answer.ok and after == before, "refused", failure)
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
