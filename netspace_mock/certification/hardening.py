"""More advisory checks, where real wallets go wrong: sessions, settled rounds, amounts, ids, a second
player, the error envelope, the signature's case and the time window; then latency, last, over every
call of the run. Warnings all, never blocking; each verdict says what to fix.
"""

from __future__ import annotations

from decimal import Decimal

from netspace_mock import jsonio
from netspace_mock.certification.probe import Probe
from netspace_mock.certification.registry import advisory
from netspace_mock.certification.steps import (
    ONE,
    TWO,
    Failed,
    Skipped,
    balance_of,
    judge,
    money,
    must_refuse,
    said,
)
from netspace_mock.currencies import DECIMALS
from netspace_mock.webhooks.client import signed_headers

SETTLED = "refuse a refund or rollback of a bet whose round has been paid, or book nothing"
BIG = Decimal("123456789.01")  # past a 32-bit count of cents (21474836.47) and a float32's 7 digits


@advisory("unknown_session", "Unknown session")
async def unknown_session(p: Probe) -> None:
    """A bet on a session_id the wallet never issued is refused (INVALID_SESSION). Runs when the run is
    given a session_id the wallet issued to the test player."""
    if not p.target.session_given:
        raise Skipped(
            "not run: give the run a session_id your wallet issued to the test player (session_id, or "
            "--session-id) to check that a bet on one it never issued is refused"
        )
    ghost = p.ids.make("cert-never-issued-", 12)
    await must_refuse(
        p,
        f"bet of 1.00 on session {ghost}, which the wallet never issued",
        p.payload("bet", amount=ONE, session_id=ghost),
        f"a bet on session {ghost!r}, which your wallet never issued,",
        "check that a bet's session_id is one you issued to that player and answer INVALID_SESSION "
        "otherwise, or a mix-up of sessions books a bet on the wrong account",
    )


async def _settled_round(p: Probe) -> tuple[Decimal, dict, dict]:
    """A bet of 1.00 and a win of 2.00 on its round: the balance before, the bet and the win."""
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    w = p.payload("win", amount=TWO, round_id=b["round_id"])
    await money(p, "win of 2.00 on that round", w, "success", before - ONE, TWO)
    return before, b, w


async def _give_back(p: Probe, name: str, transaction: dict) -> None:
    """Roll back a transaction the check made (of whichever player it was for)."""
    r = p.payload(
        "rollback",
        transaction_id=transaction["transaction_id"],
        amount=transaction["amount"],
        round_id=transaction["round_id"],
        player_id=transaction["player_id"],
    )
    step, answer = await p.send(f"clean-up: roll back the {name}", r, "success")
    step.passed, step.message = answer.ok, "rolled back" if answer.ok else f"could not: {said(answer)}"


@advisory("refund_after_win", "Refund after a win")
async def refund_after_win(p: Probe) -> None:
    """A refund of a bet whose round was paid a win gives nothing back."""
    before, b, _ = await _settled_round(p)
    paid = before + ONE
    r = p.payload("refund", amount=ONE, round_id=b["round_id"])
    step, answer = await p.send("refund of that bet after its win", r, "refused, or nothing given back")
    after = await balance_of(p, "balance after the refund")
    step.balance_before, step.balance_after = paid, after
    if after != paid:
        await _give_back(p, "refund", r)
    judge(
        step,
        after == paid,
        f"nothing given back ({said(answer)})",
        f"a refund of the 1.00 bet after its round was paid a win of 2.00 moved the balance from "
        f"{p.fmt(paid)} to {p.fmt(after)}: the round paid twice, the stake back and the win; {SETTLED}",
    )


@advisory("rollback_after_win", "Rollback after a win")
async def rollback_after_win(p: Probe) -> None:
    """A rollback of a bet whose round was paid a win does not give the stake back while the win stays."""
    before, b, w = await _settled_round(p)
    paid = before + ONE
    r = p.payload("rollback", transaction_id=b["transaction_id"], amount=ONE, round_id=b["round_id"])
    step, answer = await p.send(
        "rollback of that bet after its win", r, "refused, nothing changed, or the win reverted too"
    )
    after = await balance_of(p, "balance after the rollback")
    step.balance_before, step.balance_after = paid, after
    if after > paid:
        await _give_back(p, "win", w)
    judge(
        step,
        after in (paid, before),
        f"the round does not pay twice ({said(answer)})",
        f"a rollback of the 1.00 bet after its round was paid a win of 2.00 moved the balance from "
        f"{p.fmt(paid)} to {p.fmt(after)}: the stake came back and the win stayed; {SETTLED} (or revert "
        "its win too)",
    )


@advisory("excess_decimals", "Excess decimals")
async def excess_decimals(p: Probe) -> None:
    """A bet with more decimals than the currency has (1.005 USD) is refused, not rounded or booked."""
    currency, decimals = p.target.currency, DECIMALS[p.target.currency]
    amount = ONE + Decimal(1).scaleb(-decimals) / 2  # 1.005 USD, 1.5 JPY, 1.000000005 BTC
    await must_refuse(
        p,
        f"bet of {amount} {currency} ({currency} has {decimals} decimals)",
        p.payload("bet", amount=amount),
        f"a bet of {amount} {currency}, finer than the currency's unit,",
        f"{currency} has {decimals} decimals; refuse an amount with more (INVALID_REQUEST), or your books "
        "and the platform's disagree by fractions",
    )


@advisory("large_amount", "Large amount")
async def large_amount(p: Probe) -> None:
    """A win of 123456789.01 is credited to the cent and its rollback takes it back to the cent."""
    big = p.amount(BIG)
    before = await balance_of(p, at_least=ONE)
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    w = p.payload("win", amount=big, round_id=b["round_id"])
    try:
        await money(p, f"win of {p.fmt(big)}", w, "success", before - ONE, big)
    except Failed as failed:
        await _give_back(p, "win", w)
        raise Failed(
            f"{failed}: keep amounts and balances as decimals or 64-bit counts of the smallest unit, never "
            "as floats or 32-bit integers"
        ) from None
    r = p.payload("rollback", transaction_id=w["transaction_id"], amount=big, round_id=b["round_id"])
    await money(p, f"rollback of that win of {p.fmt(big)}", r, "success", before - ONE + big, -big)


@advisory("long_unicode_ids", "Long and Unicode ids")
async def long_unicode_ids(p: Probe) -> None:
    """Two bets whose 128-character transaction_ids differ only in their last character, on rounds with
    Unicode round_ids, are both booked, and their rollbacks restore the balance."""
    before = await balance_of(p, at_least=TWO)
    stem = p.ids.make("txn_")
    stem += "-" * (127 - len(stem))
    bets = [
        p.payload(
            "bet", amount=ONE, transaction_id=stem + end, round_id=f"round-ü-ラウンド-{p.ids.make('', 12)}"
        )
        for end in "ab"
    ]
    for i, b in enumerate(bets):
        step, answer = await p.send(
            f"bet of 1.00, transaction_id of 128 characters ending in {b['transaction_id'][-1]!r}",
            b,
            "success",
        )
        step.passed, step.message = answer.ok, said(answer)
        if not answer.ok:
            for earlier in bets[:i]:
                await _give_back(p, "bet", earlier)
            raise Failed(
                f"a bet with round_id {b['round_id']!r} and a 128-character transaction_id was refused "
                f"({said(answer)}): ids are up to 128 characters of any Unicode text but control "
                "characters; store them whole, as UTF-8"
            )
    after = await balance_of(p, "balance after the two bets")
    after_step = p.steps[-1]
    for b in bets:
        await _give_back(p, "bet", b)
    restored = await balance_of(p, "balance after their rollbacks")
    if after != before - TWO:
        after_step.passed = False
        raise Failed(
            f"two bets of 1.00 whose 128-character transaction_ids differ only in their last character "
            f"moved the balance from {p.fmt(before)} to {p.fmt(after)} instead of {p.fmt(before - TWO)}: "
            "the wallet cuts ids short and took the second for a repeat of the first; store ids of up to "
            "128 characters whole"
        )
    if restored != before:
        p.steps[-1].passed = False
        raise Failed(
            f"rolling back the two bets left the balance at {p.fmt(restored)} instead of {p.fmt(before)}: "
            "a rollback must find its transaction by the whole id"
        )


@advisory("shared_transaction_id", "One transaction id, two players")
async def shared_transaction_id(p: Probe) -> None:
    """A bet repeating, for a second player, the transaction_id of a bet booked for the test player is
    not booked again (transaction ids are unique per operator). Runs when the run names a second test
    player."""
    other = p.target.other_player_id
    if not other:
        raise Skipped(
            "not run: name a second test player of yours (other_player_id, or --other-player-id) to check "
            "that a transaction_id is unique across players"
        )
    before = await balance_of(p, at_least=ONE)
    other_before = await _balance_of(p, other, "balance of the second player")
    b = p.payload("bet", amount=ONE)
    await money(p, "bet of 1.00", b, "success", before, -ONE)
    again = {**b, "player_id": other}
    step, answer = await p.send(
        f"the same transaction_id, as a bet of 1.00 for player {other}",
        again,
        "DUPLICATE_TRANSACTION (or any refusal, or the first answer), nothing booked",
    )
    other_after = await _balance_of(p, other, "balance of the second player after it")
    step.balance_before, step.balance_after = other_before, other_after
    await _give_back(p, "bet", b)
    if other_after != other_before:
        await _give_back(p, "second player's bet", again)
    judge(
        step,
        other_after == other_before,
        f"not booked again ({said(answer)})",
        f"a bet reusing transaction_id {b['transaction_id']} (already booked for {p.target.player_id}) was "
        f"booked for {other}, whose balance went from {p.fmt(other_before)} to {p.fmt(other_after)}: "
        "transaction ids are unique per operator, not per player; key idempotency on (action_type, "
        "transaction_id) alone and answer DUPLICATE_TRANSACTION",
    )


async def _balance_of(p: Probe, player: str, name: str) -> Decimal:
    step, answer = await p.send(name, p.payload("balance", player_id=player), "success")
    step.passed, step.message = answer.ok, said(answer)
    if not answer.ok:
        raise Failed(f"the balance of the second test player {player!r} could not be read: {said(answer)}")
    return answer.balance


@advisory("error_envelope", "Error envelope")
async def error_envelope(p: Probe) -> None:
    """Refusals (an unknown player, a currency the player has no account in) are the error envelope
    {"success": false, "error": {"code", "message"}}, not bare HTTP errors."""
    other = "EUR" if p.target.currency != "EUR" else "USD"
    calls = [
        (
            "balance of a player the wallet never had",
            p.payload("balance", player_id=p.ids.make("cert-x-", 12)),
        ),
        (
            f"balance in {other}, a currency the player has no account in",
            p.payload("balance", currency=other),
        ),
    ]
    bare = []
    for name, payload in calls:
        step, answer = await p.send(name, payload, '{"success": false, "error": {...}}')
        enveloped = answer.outcome in ("ok", "business_error")
        step.passed, step.message = enveloped, said(answer)
        if not enveloped:
            bare.append(f"{name}: HTTP {answer.http_status} ({said(answer)})")
    if bare:
        raise Failed(
            "refusals that are not the error envelope: "
            + "; ".join(bare)
            + ". The platform reads them as failed calls (a bet is rolled back, a win retried) and cannot "
            'tell the player why: answer {"success": false, "error": {"code": "PLAYER_NOT_FOUND", '
            '"message": "..."}} with one of the guide\'s codes'
        )


@advisory("signature_case", "Signature case")
async def signature_case(p: Probe) -> None:
    """A correct signature written in upper-case hex is accepted: hex is compared case-insensitively."""
    body = p.payload("balance")
    raw = jsonio.dumps(body)
    t = p.target
    headers = signed_headers(t.api_key, t.secret, t.url, raw, p.clock.now())
    headers["X-Signature"] = headers["X-Signature"].upper()
    step, answer = await p.send("balance signed in upper-case hex", body, "success", headers=headers, raw=raw)
    judge(
        step,
        answer.ok,
        "accepted",
        f"refused a correct X-Signature written in upper-case hex ({said(answer)}): compare the hex digest "
        "case-insensitively (PROTOCOL §1); the platform sends lower case, so nothing breaks until that changes",
    )


@advisory("timestamp_window", "Timestamp window")
async def timestamp_window(p: Probe) -> None:
    """Calls whose X-Timestamp is 4 minutes old, or 4 minutes ahead, are accepted: the window is ±300 s,
    and clocks drift."""
    t, late = p.target, []
    for offset, words in ((-240, "4 minutes old"), (240, "4 minutes ahead")):
        body = p.payload("balance")
        raw = jsonio.dumps(body)
        headers = signed_headers(t.api_key, t.secret, t.url, raw, p.clock.now() + offset)
        step, answer = await p.send(
            f"balance with X-Timestamp {words}", body, "success", headers=headers, raw=raw
        )
        step.passed, step.message = answer.ok, said(answer)
        if not answer.ok:
            late.append(f"{words} ({said(answer)})")
    if late:
        raise Failed(
            "refused correctly signed calls whose X-Timestamp was "
            + " and ".join(late)
            + ": the window is ±300 s; a narrower one refuses the platform's calls when the clocks drift apart"
        )


@advisory("latency", "Latency")
async def latency(p: Probe) -> None:
    """Answers arrive in under 1 s at p99."""
    values = sorted(p.latencies)
    if not values:
        raise Failed("no calls were answered")
    p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
    if p99 >= 1000:
        raise Failed(f"p99 answer time was {p99:.0f} ms over {len(values)} calls; keep it under 1 s")
