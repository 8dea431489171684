"""The advisory checks, run after the tests: reported as warnings, never blocking a certification.

Each is one coroutine over a Probe, registered with `@advisory`; its docstring is what operators read.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from netspace_mock.certification.probe import Probe
from netspace_mock.certification.registry import advisory
from netspace_mock.certification.steps import (
    ONE,
    TWO,
    Failed,
    balance_of,
    judge,
    money,
    must_refuse,
    said,
    undo,
)
from netspace_mock.currencies import DECIMALS


@advisory("unknown_player", "Unknown player")
async def unknown_player(p: Probe) -> None:
    """An unknown player answers PLAYER_NOT_FOUND."""
    ghost = p.ids.make("cert-unknown-", 12)
    step, answer = await p.send(
        "balance of a player the wallet never had", p.payload("balance", player_id=ghost), "PLAYER_NOT_FOUND"
    )
    judge(
        step,
        answer.error_code == "PLAYER_NOT_FOUND",
        "PLAYER_NOT_FOUND",
        f"answered {said(answer)} for an unknown player; expected PLAYER_NOT_FOUND",
    )


@advisory("other_currency", "Other currency")
async def other_currency(p: Probe) -> None:
    """A bet in another currency is refused."""
    other = "EUR" if p.target.currency != "EUR" else "USD"
    bet = p.payload("bet", amount=ONE, currency=other)
    await must_refuse(
        p,
        f"bet of 1.00 {other} for a {p.target.currency} player",
        bet,
        f"a bet in {other} for a {p.target.currency} player",
        f"refuse a currency the player has no account in (INVALID_REQUEST), or {other} is booked as "
        f"{p.target.currency}",
    )


@advisory("negative_amount", "Negative amount")
async def negative_amount(p: Probe) -> None:
    """A bet with a negative amount is refused."""
    await must_refuse(
        p,
        "bet of -1.00",
        p.payload("bet", amount=Decimal("-1.00")),
        "a bet of -1.00",
        "a negative stake credits the player; refuse amounts that are not above 0 (INVALID_REQUEST)",
    )


@advisory("win_after_rollback", "Win after rollback")
async def win_after_rollback(p: Probe) -> None:
    """A win on a round whose bet was rolled back does not pay."""
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    r = p.payload("rollback", transaction_id=b["transaction_id"], amount=ONE, round_id=b["round_id"])
    await money(p, "rollback of that bet", r, "success", before - ONE, ONE)
    w = p.payload("win", amount=TWO, round_id=b["round_id"])
    step, answer = await p.send("win of 2.00 on the rolled-back round", w, "refused, or nothing paid")
    after = await balance_of(p)
    judge(
        step,
        after == before,
        "nothing paid",
        f"the wallet paid {p.fmt(after - before)} on a round whose bet was rolled back",
    )


@advisory("concurrent_bets", "Concurrent bets")
async def concurrent_bets(p: Probe) -> None:
    """10 concurrent bets leave the balance exact."""
    before = await balance_of(p, at_least=Decimal(10))
    bets = [p.payload("bet", amount=ONE) for _ in range(10)]
    results = await asyncio.gather(
        *[p.send(f"concurrent bet {i + 1} of 10", b, "success") for i, b in enumerate(bets)]
    )
    for step, answer in results:
        step.passed, step.message = answer.ok, said(answer)
    after = await balance_of(p, "balance after 10 concurrent bets")
    accepted = sum(1 for _, a in results if a.ok)
    for b in bets:
        await undo(p, b)
    p.steps[-1].balance_after = after
    if after != before - accepted * ONE:
        raise Failed(
            f"{accepted} concurrent bets of 1.00 moved the balance from {p.fmt(before)} to {p.fmt(after)}; "
            f"expected {p.fmt(before - accepted * ONE)}"
        )
    if accepted != 10:
        raise Failed(f"only {accepted} of 10 concurrent bets were accepted")


@advisory("precision", "Precision")
async def precision(p: Probe) -> None:
    """Amounts of 0.01 keep their precision."""
    unit = p.amount(Decimal(1).scaleb(-min(2, DECIMALS[p.target.currency])))
    before = await balance_of(p, at_least=unit)
    b = p.payload("bet", amount=unit)
    await money(p, f"bet of {p.fmt(unit)}", b, "success", before, -unit)
    await money(
        p,
        f"win of {p.fmt(unit)}",
        p.payload("win", amount=unit, round_id=b["round_id"]),
        "success",
        before - unit,
        unit,
    )


@advisory("zero_win", "Zero win")
async def zero_win(p: Probe) -> None:
    """A losing round's win of 0 is accepted."""
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    await money(
        p,
        "win of 0 closing the lost round",
        p.payload("win", amount=Decimal(0), round_id=b["round_id"]),
        "success, nothing changes",
        before - ONE,
        Decimal(0),
    )


@advisory("free_bet", "Free bet")
async def free_bet(p: Probe) -> None:
    """A free-bet stake (is_free_bet) is not debited and its win (from_free_bet) is credited."""
    before = await balance_of(p)
    ids = {
        "operator_free_bet_id": p.ids.make("cert-promo-", 12),
        "netspace_free_bet_id": p.ids.make("fb_ns_cert", 16),
    }
    b = p.payload("bet", amount=ONE, is_free_bet=True, **ids)
    step, answer = await p.send(
        "free-bet bet of 1.00 (is_free_bet)", b, "success, the real balance untouched"
    )
    after = await balance_of(p, "balance after the free-bet bet")
    step.balance_before, step.balance_after = before, after
    judge(step, answer.ok, "accepted", f"the free-bet bet was refused: {said(answer)}")
    judge(
        step,
        after == before,
        "not debited",
        f"a free-bet stake of 1.00 was debited from the real balance ({p.fmt(before)} to {p.fmt(after)}): "
        "when is_free_bet is true, do not deduct",
    )
    w = p.payload("win", amount=TWO, round_id=b["round_id"], from_free_bet=True, **ids)
    await money(
        p,
        "win of 2.00 from the free bet (from_free_bet)",
        w,
        "success, 2.00 credited to the real balance",
        before,
        TWO,
    )
    cleanup = p.payload("rollback", transaction_id=w["transaction_id"], amount=TWO, round_id=b["round_id"])
    step, answer = await p.send("clean-up: roll back that win", cleanup, "success")
    step.passed, step.message = (
        answer.ok,
        "rolled back" if answer.ok else f"could not roll back: {said(answer)}",
    )
