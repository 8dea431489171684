"""The certification tests of PROTOCOL §6 and the advisory checks, each a short script over a Probe.

A test raises Failed with a verdict in the operator's terms; the steps it recorded show the proof.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from netspace_mock import jsonio
from netspace_mock.certification.probe import Probe, Step
from netspace_mock.domain.money import DECIMALS
from netspace_mock.webhooks.client import Answer, signed_headers


class Failed(Exception):
    """The wallet broke a rule; the message says which, with the figures."""


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    required: bool
    description: str
    run: Callable[[Probe], Awaitable[None]]


ONE, TWO = Decimal("1.00"), Decimal("2.00")
REFUSED = "refused: HTTP 401/403 or success: false"


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


# ---- required and optional tests --------------------------------------------------------------


async def authentication(p: Probe) -> None:
    payload = p.payload("balance")
    step, answer = await p.send("correctly signed balance", payload, "success")
    judge(step, answer.ok, "accepted", f"a correctly signed call was refused: {said(answer)}")
    t, now = p.target, p.clock.now()
    body = p.payload("balance")
    raw = _bytes(body)
    good = signed_headers(t.api_key, t.secret, t.url, raw, now)
    stale = signed_headers(t.api_key, t.secret, t.url, raw, now - 600)
    flipped = good["X-Signature"][:-4] + ("0000" if not good["X-Signature"].endswith("0000") else "1111")
    variants = [
        ("bad signature", {**good, "X-Signature": flipped}),
        ("timestamp 10 minutes old", stale),
        ("wrong API key", {**good, "X-API-Key": t.api_key + "-wrong"}),
        ("missing X-Signature", _without(good, "X-Signature")),
        ("missing X-Timestamp", _without(good, "X-Timestamp")),
        ("missing X-API-Key", _without(good, "X-API-Key")),
    ]
    broken = []
    for label, headers in variants:
        step, answer = await p.send(label, body, REFUSED, headers=headers, raw=raw)
        refused = answer.http_status in (401, 403) or (answer.payload or {}).get("success") is False
        step.passed = refused
        step.message = "refused" if refused else f"accepted ({said(answer)}): the wallet must refuse it"
        if not refused:
            broken.append(label)
    if broken:
        raise Failed("the wallet accepted calls it must refuse: " + ", ".join(broken))


def _bytes(payload: dict) -> bytes:
    return jsonio.dumps(payload)


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


async def balance(p: Probe) -> None:
    step, answer = await p.send("balance", p.payload("balance"), "success with a number >= 0")
    judge(step, answer.ok, f"balance {p.fmt(answer.balance)}", f"the balance call failed: {said(answer)}")
    judge(
        step,
        answer.balance >= 0,
        f"balance {p.fmt(answer.balance)}",
        f"the balance is negative: {p.fmt(answer.balance)}",
    )


async def bet(p: Probe) -> None:
    before = await balance_of(p, at_least=ONE)
    await money(
        p,
        "bet of 1.00",
        p.payload("bet", amount=ONE),
        "success with the operator's transaction_id",
        before,
        -ONE,
    )


async def win(p: Probe) -> None:
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    w = p.payload("win", amount=TWO, round_id=b["round_id"])
    await money(p, "win of 2.00 on that round", w, "success", before - ONE, TWO)


async def insufficient_balance(p: Probe) -> None:
    before = await balance_of(p)
    too_much = p.amount(before + 1000)
    b = p.payload("bet", amount=too_much)
    step, answer = await p.send(f"bet of {p.fmt(too_much)} (balance + 1000)", b, "INSUFFICIENT_BALANCE")
    step.balance_before = before
    after = await balance_of(p, "balance after the refused bet")
    step.balance_after = after
    if answer.ok:
        await _undo(p, b)
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


async def idempotency(p: Probe) -> None:
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    raw = _bytes(b)
    first = await money(p, "bet of 1.00", b, "success", before, -ONE, raw=raw)
    await _repeat(p, "the same bet again", b, raw, first, before - ONE, f"one bet of {p.fmt(ONE)} sent twice")
    w = p.payload("win", amount=TWO, round_id=b["round_id"])
    raw = _bytes(w)
    first = await money(p, "win of 2.00", w, "success", before - ONE, TWO, raw=raw)
    await _repeat(p, "the same win again", w, raw, first, before + ONE, f"one win of {p.fmt(TWO)} sent twice")


async def _repeat(
    p: Probe, name: str, payload: dict, raw: bytes, first: Answer, expected: Decimal, what: str
) -> None:
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


async def rollback(p: Probe) -> None:
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


async def refund(p: Probe) -> None:
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


async def _undo(p: Probe, bet_payload: dict) -> None:
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


TESTS: list[Case] = [
    Case(
        "authentication",
        "Authentication",
        True,
        "A correctly signed balance call succeeds; a bad signature, a timestamp 10 minutes old, a wrong API key "
        "and each missing header are refused (success: false or HTTP 401/403).",
        authentication,
    ),
    Case("balance", "Balance", True, "balance answers success with a number >= 0.", balance),
    Case(
        "bet",
        "Bet",
        True,
        "A bet of 1.00 lowers the balance by exactly 1.00 and returns the operator's transaction_id.",
        bet,
    ),
    Case("win", "Win", True, "A win of 2.00 on the round raises the balance by exactly 2.00.", win),
    Case(
        "insufficient_balance",
        "Insufficient Balance",
        True,
        "A bet of balance + 1000 answers INSUFFICIENT_BALANCE and leaves the balance unchanged.",
        insufficient_balance,
    ),
    Case(
        "idempotency",
        "Idempotency",
        True,
        "The same bet and the same win, each sent twice, move the balance once; the repeat answers success with "
        "the same outcome or DUPLICATE_TRANSACTION.",
        idempotency,
    ),
    Case(
        "rollback",
        "Rollback",
        True,
        "Bet then rollback restores the balance; a repeated rollback changes nothing; a rollback of a transaction "
        "the wallet never saw succeeds and changes nothing.",
        rollback,
    ),
    Case(
        "refund",
        "Refund",
        False,
        "Bet then refund restores the balance; a repeated refund changes nothing.",
        refund,
    ),
]
BY_ID = {case.id: case for case in TESTS}


# ---- advisory checks: reported as warnings, never blocking ------------------------------------


async def unknown_player(p: Probe) -> None:
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


async def _must_refuse(p: Probe, name: str, bet: dict, what: str) -> None:
    """A bet the wallet must refuse, leaving the balance as it was (given back if it was taken)."""
    before = await balance_of(p)
    step, answer = await p.send(name, bet, "refused")
    after = await balance_of(p)
    if answer.ok:
        await _undo(p, bet)
    failure = (
        f"{what} was accepted"
        if answer.ok
        else f"{what} was refused, but the balance moved from {p.fmt(before)} to {p.fmt(after)}"
    )
    judge(step, not answer.ok and after == before, "refused", failure)


async def other_currency(p: Probe) -> None:
    other = "EUR" if p.target.currency != "EUR" else "USD"
    bet = p.payload("bet", amount=ONE, currency=other)
    await _must_refuse(
        p,
        f"bet of 1.00 {other} for a {p.target.currency} player",
        bet,
        f"a bet in {other} for a {p.target.currency} player",
    )


async def negative_amount(p: Probe) -> None:
    await _must_refuse(p, "bet of -1.00", p.payload("bet", amount=Decimal("-1.00")), "a bet of -1.00")


async def win_after_rollback(p: Probe) -> None:
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


async def concurrent_bets(p: Probe) -> None:
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
        await _undo(p, b)
    p.steps[-1].balance_after = after
    if after != before - accepted * ONE:
        raise Failed(
            f"{accepted} concurrent bets of 1.00 moved the balance from {p.fmt(before)} to {p.fmt(after)}; "
            f"expected {p.fmt(before - accepted * ONE)}"
        )
    if accepted != 10:
        raise Failed(f"only {accepted} of 10 concurrent bets were accepted")


async def precision(p: Probe) -> None:
    unit = p.amount(Decimal(1).scaleb(-min(2, _places(p))))
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


def _places(p: Probe) -> int:
    return DECIMALS[p.target.currency]


async def zero_win(p: Probe) -> None:
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


async def free_bet(p: Probe) -> None:
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
    undo = p.payload("rollback", transaction_id=w["transaction_id"], amount=TWO, round_id=b["round_id"])
    step, answer = await p.send("clean-up: roll back that win", undo, "success")
    step.passed, step.message = (
        answer.ok,
        "rolled back" if answer.ok else f"could not roll back: {said(answer)}",
    )


async def latency(p: Probe) -> None:
    values = sorted(p.latencies)
    if not values:
        raise Failed("no calls were answered")
    p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
    if p99 >= 1000:
        raise Failed(f"p99 answer time was {p99:.0f} ms over {len(values)} calls; keep it under 1 s")


ADVISORIES: list[Case] = [
    Case(
        "unknown_player",
        "Unknown player",
        False,
        "An unknown player answers PLAYER_NOT_FOUND.",
        unknown_player,
    ),
    Case("other_currency", "Other currency", False, "A bet in another currency is refused.", other_currency),
    Case(
        "negative_amount",
        "Negative amount",
        False,
        "A bet with a negative amount is refused.",
        negative_amount,
    ),
    Case(
        "win_after_rollback",
        "Win after rollback",
        False,
        "A win on a round whose bet was rolled back does not pay.",
        win_after_rollback,
    ),
    Case(
        "concurrent_bets",
        "Concurrent bets",
        False,
        "10 concurrent bets leave the balance exact.",
        concurrent_bets,
    ),
    Case("precision", "Precision", False, "Amounts of 0.01 keep their precision.", precision),
    Case("zero_win", "Zero win", False, "A losing round's win of 0 is accepted.", zero_win),
    Case(
        "free_bet",
        "Free bet",
        False,
        "A free-bet stake (is_free_bet) is not debited and its win (from_free_bet) is credited.",
        free_bet,
    ),
    Case("latency", "Latency", False, "Answers arrive in under 1 s at p99.", latency),
]
