"""The named flaws of the tests' wallet (tests/wallets.py): what each does, which ones certification
must fail or warn about, and how a flaw given as text is checked and read."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wallet_attacks import ATTACKS, Hostile

# Every flaw but the attacks, and what the wallet does with it. S is seconds, CODE an error code.
FLAW_NAMES = {
    "none": "nothing: an honest answer (a placeholder in a list of faults)",
    # The call goes wrong on the way: the mock sees a transport error, an invalid answer or a refusal.
    "http500": "answers HTTP 500 and books nothing",
    "sleep:S": "waits S s, then answers HTTP 500 and books nothing (the mock has given up by then)",
    "late:S": "books the call, then answers S s later",
    "slow:S": "waits S s, then books and answers as usual",
    "times_out": "slow:2, longer than the webhook timeout the certification tests give the mock",
    "until_released": "waits until the test sets `release`, then answers as its other flaws say",
    "garbage": "answers an HTML page and books nothing",
    "business:CODE": "answers the error CODE and books nothing",
    "duplicate": "books the call, then answers DUPLICATE_TRANSACTION",
    "string_balance": "books the call, then answers its balance as a string",
    "balance_as_string": "the same as string_balance",
    "no_txn_id": "books the call, then answers without its transaction_id",
    # The wallet's own logic is wrong: what certification must catch (FLAWS) or warn about.
    "no_signature_check": "accepts any signature, or none",
    "ignores_timestamp": "accepts a signature of any age",
    "accepts_future_timestamps": "refuses an old timestamp but accepts one from the future",
    "accepts_signature_prefixes": "accepts any start of the right signature, an empty one included",
    "negative_balance": "accepts a bet larger than the balance",
    "books_duplicates": "books a transaction_id it has booked before again",
    "win_credits_nothing": "acknowledges a win without crediting it",
    "rollback_does_nothing": "acknowledges a rollback without reverting anything",
    "rollback_unknown_errors": "answers INTERNAL_ERROR to a rollback of a transaction it never booked",
    "refund_does_nothing": "acknowledges a refund without giving the stake back",
    "debits_free_bets": "debits the stake of a free bet",
    "lost_updates": "reads the balance, awaits, then writes what it read plus the call's amount: a call "
    "of the same player booked meanwhile is lost (a read-modify-write across an await)",
    # Signature checks got wrong in one more way each (certification's authentication test).
    "accepts_old_timestamps": "refuses a timestamp from the future but accepts an old one",
    "ignores_api_key": "checks the signature but not X-API-Key",
    "signs_without_timestamp": "signs METHOD + PATH + BODY, leaving X-Timestamp out",
    "signs_body_only": "signs the body alone",
    "timestamp_as_float": "reads X-Timestamp with float(), so 'NaN' passes its window check",
    # The balance in an answer (ACTION: balance, bet, win, refund or rollback; the others are right).
    "answers_balance_before:ACTION": "answers ACTION with the balance before it",
    "answers_cents:ACTION": "answers ACTION with the balance in cents (9900 for 99.00)",
    # What the advisory checks warn about.
    "any_session": "books a bet on any session_id, even with `sessions` given",
    "refund_after_win_pays": "refunds a bet whose round was paid a win",
    "rollback_after_win_pays": "rolls back a bet whose round was paid a win, and keeps the win",
    "books_sub_unit_amounts": "books an amount with more decimals than its currency has",
    "int32_cents": "keeps balances as a 32-bit count of cents, so a large win wraps around",
    "truncates_ids": "keeps the first 64 characters of a transaction_id",
    "ascii_ids": "refuses an id that is not ASCII with INVALID_REQUEST",
    "per_player_idempotency": "books a transaction_id once per player, not once per operator",
    "bare_http_errors": "answers PLAYER_NOT_FOUND and INVALID_REQUEST as bare HTTP 404 and 400, text",
    "case_sensitive_signature": "refuses a signature in upper-case hex",
    "narrow_window": "accepts a timestamp within 60 s of its clock only",
}
WITH_VALUE = {name.partition(":")[0] for name in FLAW_NAMES if ":" in name}  # sleep, late, …, answers_cents
ANSWER_FLAWS = ("answers_balance_before", "answers_cents")
# The defects a certification run must fail (tests/test_certification.py BREAKS says which test each
# breaks), and the one it only warns about.
FLAWS = (
    "no_signature_check",
    "ignores_timestamp",
    "accepts_future_timestamps",
    "accepts_old_timestamps",
    "accepts_signature_prefixes",
    "ignores_api_key",
    "signs_without_timestamp",
    "signs_body_only",
    "timestamp_as_float",
    "answers_balance_before:bet",
    "answers_balance_before:win",
    "answers_cents:balance",
    "answers_cents:bet",
    "answers_cents:rollback",
    "answers_cents:refund",
    "negative_balance",
    "books_duplicates",
    "win_credits_nothing",
    "rollback_does_nothing",
    "rollback_unknown_errors",
    "refund_does_nothing",
    "balance_as_string",
    "times_out",
)
# The advisory each of these raises a warning in (tests/test_certification.py runs each).
ADVISORY_FLAWS = {
    "debits_free_bets": "free_bet",
    "any_session": "unknown_session",
    "refund_after_win_pays": "refund_after_win",
    "rollback_after_win_pays": "rollback_after_win",
    "books_sub_unit_amounts": "excess_decimals",
    "int32_cents": "large_amount",
    "truncates_ids": "long_unicode_ids",
    "ascii_ids": "long_unicode_ids",
    "per_player_idempotency": "shared_transaction_id",
    "bare_http_errors": "error_envelope",
    "case_sensitive_signature": "signature_case",
    "narrow_window": "timestamp_window",
}


def checked(flaw: str | Hostile | None, held: bool = False) -> str | Hostile | None:
    """The flaw as the wallet keeps it: None for an honest answer, an attack as its Hostile; a name
    that is neither a flaw nor an attack fails here, so a typo cannot make a test quietly honest."""
    if flaw is None or flaw == "none":
        flaw = None
    elif isinstance(flaw, Hostile):
        pass
    elif flaw in ATTACKS:
        flaw = ATTACKS[flaw]
    else:
        head, colon, value = flaw.partition(":")
        known = flaw in FLAW_NAMES and not colon
        if colon and head in WITH_VALUE:
            if head in ANSWER_FLAWS:
                known = value in ("balance", "bet", "win", "refund", "rollback")
            else:
                known = bool(value) and (head == "business" or value.replace(".", "", 1).isdigit())
        if not known:
            raise ValueError(f"no such wallet flaw or attack: {flaw!r}")
    if held and not isinstance(flaw, Hostile):
        raise ValueError(f"only an attack can be held, not {flaw!r}")
    return replace(flaw, hold=True) if held else flaw


def seconds(flaws: list[str], head: str) -> float | None:
    """S of the first `head:S` among the flaws."""
    found = next((f.partition(":")[2] for f in flaws if f.startswith(head + ":")), None)
    return None if found is None else float(found)


def refusal(code: str) -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": code.lower().replace("_", " ")}}
