"""The tests of PROTOCOL §6, in its order: seven required, then refund, the one optional test.

Each is one coroutine over a Probe, registered with `@case`; its docstring is what operators read.
"""

from __future__ import annotations

from decimal import Decimal

from netspace_mock import jsonio
from netspace_mock.certification import signatures
from netspace_mock.certification.probe import Probe
from netspace_mock.certification.registry import case
from netspace_mock.certification.steps import (
    ONE,
    TWO,
    answered,
    balance_of,
    fail,
    judge,
    money,
    said,
    undo,
)
from netspace_mock.webhooks.client import Answer


@case("authentication", "Authentication", required=True)
async def authentication(p: Probe) -> None:
    """A correctly signed balance call succeeds; each of these is refused (success: false or HTTP
    401/403), each a step with the risk it opens: a bad signature, an empty or truncated one, one over
    another body, one made with another secret, a timestamp 10 minutes old and one 10 minutes in the
    future, a signature without the timestamp or over the body alone, a timestamp that is not a number,
    a wrong API key, each missing header."""
    await signatures.check(p)


@case("balance", "Balance", required=True)
async def balance(p: Probe) -> None:
    """balance answers success with a number >= 0."""
    step, answer = await p.send("balance", p.payload("balance"), "success with a number >= 0")
    judge(step, answer.ok, f"balance {p.fmt(answer.balance)}", f"the balance call failed: {said(answer)}")
    judge(
        step,
        answer.balance >= 0,
        f"balance {p.fmt(answer.balance)}",
        f"the balance is negative: {p.fmt(answer.balance)}",
    )


@case("bet", "Bet", required=True)
async def bet(p: Probe) -> None:
    """A bet of 1.00 lowers the balance by exactly 1.00 and returns the operator's transaction_id."""
    before = await balance_of(p, at_least=ONE)
    await money(
        p,
        "bet of 1.00",
        p.payload("bet", amount=ONE),
        "success with the operator's transaction_id",
        before,
        -ONE,
    )


@case("win", "Win", required=True)
async def win(p: Probe) -> None:
    """A win of 2.00 on the round raises the balance by exactly 2.00."""
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    w = p.payload("win", amount=TWO, round_id=b["round_id"])
    await money(p, "win of 2.00 on that round", w, "success", before - ONE, TWO)


@case("insufficient_balance", "Insufficient Balance", required=True)
async def insufficient_balance(p: Probe) -> None:
    """A bet of balance + 1000 answers INSUFFICIENT_BALANCE and leaves the balance unchanged."""
    before = await balance_of(p)
    too_much = p.amount(before + 1000)
    b = p.payload("bet", amount=too_much)
    step, answer = await p.send(f"bet of {p.fmt(too_much)} (balance + 1000)", b, "INSUFFICIENT_BALANCE")
    step.balance_before = before
    after = await balance_of(p, "balance after the refused bet")
    step.balance_after = after
    if answer.ok:
        await undo(p, b)
        fail(
            step,
            f"a bet of {p.fmt(too_much)} with a balance of {p.fmt(before)} was accepted; the balance "
            f"went to {p.fmt(after)}: the wallet must answer INSUFFICIENT_BALANCE",
        )
    judge(
        step,
        answer.error_code == "INSUFFICIENT_BALANCE",
        "refused with INSUFFICIENT_BALANCE",
        f"the wallet answered {said(answer)}; expected INSUFFICIENT_BALANCE",
    )
    judge(
        step,
        after == before,
        "balance unchanged",
        f"the refused bet moved the balance from {p.fmt(before)} to {p.fmt(after)}",
    )


@case("idempotency", "Idempotency", required=True)
async def idempotency(p: Probe) -> None:
    """The same bet and the same win, each sent twice, move the balance once; the repeat answers success
    with the same outcome or DUPLICATE_TRANSACTION."""
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    raw = jsonio.dumps(b)
    first = await money(p, "bet of 1.00", b, "success", before, -ONE, raw=raw)
    await _repeat(p, "the same bet again", b, raw, first, before - ONE, f"one bet of {p.fmt(ONE)} sent twice")
    w = p.payload("win", amount=TWO, round_id=b["round_id"])
    raw = jsonio.dumps(w)
    first = await money(p, "win of 2.00", w, "success", before - ONE, TWO, raw=raw)
    await _repeat(p, "the same win again", w, raw, first, before + ONE, f"one win of {p.fmt(TWO)} sent twice")


async def _repeat(
    p: Probe, name: str, payload: dict, raw: bytes, first: Answer, expected: Decimal, what: str
) -> None:
    """Send the same bytes again: the balance must stay at `expected` and the answer repeat the first."""
    step, answer = await p.send(
        name, payload, "success with the same outcome, or DUPLICATE_TRANSACTION", raw=raw
    )
    after = await balance_of(p, f"balance after {name}")
    step.balance_before, step.balance_after = expected, after
    if after != expected:
        fail(
            step,
            f"{what} moved the balance to {p.fmt(after)} instead of {p.fmt(expected)}: "
            "the wallet booked the duplicate",
        )
    same = answer.ok and (answer.operator_transaction_id == first.operator_transaction_id)
    judge(
        step,
        same or answer.error_code == "DUPLICATE_TRANSACTION",
        "the repeat changed nothing",
        f"the repeat answered {said(answer)}"
        + (
            f" with transaction_id {answer.operator_transaction_id!r} instead of {first.operator_transaction_id!r}"
            if answer.ok
            else ""
        )
        + "; it must answer as the first time or DUPLICATE_TRANSACTION",
    )
    if answer.ok:
        answered(p, step, name, payload["action_type"], answer, expected, after)


@case("rollback", "Rollback", required=True)
async def rollback(p: Probe) -> None:
    """Bet then rollback restores the balance; a repeated rollback changes nothing; a rollback of a
    transaction the wallet never saw succeeds and changes nothing."""
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    r = p.payload("rollback", transaction_id=b["transaction_id"], amount=ONE, round_id=b["round_id"])
    await money(p, "rollback of that bet", r, "success, the stake given back", before - ONE, ONE)
    await money(
        p,
        "the same rollback again",
        r,
        "success (or DUPLICATE_TRANSACTION), nothing changes",
        before,
        Decimal(0),
        duplicate_ok=True,
    )
    ghost = p.payload("rollback", transaction_id=p.ids.make("txn_"), amount=ONE)
    await money(
        p,
        "rollback of a transaction the wallet never saw",
        ghost,
        "success, nothing changes",
        before,
        Decimal(0),
    )


@case("refund", "Refund", required=False)
async def refund(p: Probe) -> None:
    """Bet then refund restores the balance; a repeated refund changes nothing."""
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    r = p.payload("refund", amount=ONE, round_id=b["round_id"])
    await money(p, "refund of that bet", r, "success, the stake given back", before - ONE, ONE)
    await money(
        p,
        "the same refund again",
        r,
        "success (or DUPLICATE_TRANSACTION), nothing changes",
        before,
        Decimal(0),
        duplicate_ok=True,
    )
