"""Property tests (Hypothesis): the signing module for arbitrary requests and secrets, and the rounds'
ledger invariant for arbitrary sequences of outcomes, wallet faults and scenarios.

Deterministic (derandomize) and bounded: a few hundred signing examples, 25 ledger examples on one mock
with a fresh player per example.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspace_mock import signing
from netspace_mock.app import DISPATCHER
from support import implied, launch_body

# ---- signing ----------------------------------------------------------------------------------------

SIGNING = settings(max_examples=300, deadline=None, derandomize=True)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
TIMESTAMPS = st.integers(min_value=0, max_value=9_999_999_999).map(str)
SECRETS = st.text(min_size=1, max_size=80)
# A path has no "?" (a query is added on its own where the property needs one).
PATHS = st.text(
    alphabet=st.characters(blacklist_characters="?", blacklist_categories=("Cs",)), max_size=60
).map(lambda tail: "/api/" + tail)
BODIES = st.binary(max_size=512)
MODES = st.sampled_from(["either", "path", "path_qs"])


def _verifies(secret, ts, method, path, body, given_signature, mode="path_qs", now=None) -> bool:
    """verify() accepts the signature (and, given `now`, check_timestamp the timestamp, ±300 s)."""
    try:
        if now is not None:
            signing.check_timestamp(ts, now, 300)
        signing.verify(secret, ts, method, path, body, given_signature, mode)
    except signing.SignatureError:
        return False
    return True


@SIGNING
@given(secret=SECRETS, ts=TIMESTAMPS, method=METHODS, path=PATHS, body=BODIES, mode=MODES)
def test_sign_then_verify_round_trips(secret, ts, method, path, body, mode):
    signature = signing.sign(secret, ts, method, path, body)
    assert len(signature) == 64 and signature == signature.lower()
    assert _verifies(secret, ts, method, path, body, signature, mode)
    # The headers helper signs the same string.
    assert signing.headers("k", secret, ts, method, path, body)["X-Signature"] == signature


@SIGNING
@given(secret=st.text(max_size=200), ts=TIMESTAMPS, method=METHODS, path=PATHS, body=BODIES)
def test_the_signature_is_the_standard_librarys_hmac_sha256(secret, ts, method, path, body):
    # Keys shorter and longer than SHA-256's 64-byte block, empty and non-ASCII ones, against hmac.new.
    message = signing.string_to_sign(ts, method, path, body)
    expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    assert signing.sign(secret, ts, method, path, body) == expected
    assert signing.signature_matches(secret, expected.upper(), message)


@SIGNING
@given(
    secret=SECRETS,
    ts=TIMESTAMPS,
    method=METHODS,
    path=PATHS,
    body=BODIES,
    flips=st.lists(st.booleans(), min_size=64, max_size=64),
)
def test_hex_is_accepted_in_any_case(secret, ts, method, path, body, flips):
    signature = signing.sign(secret, ts, method, path, body)
    mixed = "".join(c.upper() if flip else c for c, flip in zip(signature, flips, strict=True))
    assert _verifies(secret, ts, method, path, body, mixed)
    assert _verifies(secret, ts, method, path, body, signature.upper())


@SIGNING
@given(
    secret=SECRETS,
    ts=TIMESTAMPS,
    method=METHODS,
    path=PATHS,
    body=BODIES.filter(bool),
    data=st.data(),
)
def test_any_single_byte_change_of_the_body_fails(secret, ts, method, path, body, data):
    signature = signing.sign(secret, ts, method, path, body)
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != body[index]), label="byte")
    tampered = body[:index] + bytes([byte]) + body[index + 1 :]
    assert not _verifies(secret, ts, method, path, tampered, signature)


@SIGNING
@given(secret=SECRETS, ts=TIMESTAMPS, method=METHODS, path=PATHS, body=BODIES, data=st.data(), mode=MODES)
def test_any_single_character_change_of_the_path_fails(secret, ts, method, path, body, data, mode):
    signature = signing.sign(secret, ts, method, path, body)
    index = data.draw(st.integers(0, len(path) - 1), label="index")
    char = data.draw(
        st.characters(blacklist_characters="?", blacklist_categories=("Cs",)).filter(
            lambda c: c != path[index]
        ),
        label="char",
    )
    tampered = path[:index] + char + path[index + 1 :]
    assert not _verifies(secret, ts, method, tampered, body, signature, mode)


@SIGNING
@given(
    secret=SECRETS,
    ts=TIMESTAMPS,
    method=METHODS,
    path=PATHS,
    query=st.text(alphabet="abcdefghij=&0123456789", min_size=1, max_size=30),
    body=BODIES,
    data=st.data(),
)
def test_signed_query_cannot_be_changed_when_the_query_is_signed(secret, ts, method, path, query, body, data):
    raw_path = f"{path}?{query}"
    signature = signing.sign(secret, ts, method, raw_path, body)
    assert _verifies(secret, ts, method, raw_path, body, signature, "path_qs")
    assert _verifies(secret, ts, method, raw_path, body, signature, "either")
    index = data.draw(st.integers(0, len(query) - 1), label="index")
    char = data.draw(st.sampled_from("klmnopqrstuvwxyz"), label="char")
    tampered = f"{path}?{query[:index]}{char}{query[index + 1 :]}"
    assert not _verifies(secret, ts, method, tampered, body, signature, "path_qs")
    assert not _verifies(secret, ts, method, tampered, body, signature, "either")


@SIGNING
@given(secret=SECRETS, ts=TIMESTAMPS, method=METHODS, other=METHODS, path=PATHS, body=BODIES)
def test_another_method_fails(secret, ts, method, other, path, body):
    signature = signing.sign(secret, ts, method, path, body)
    assert _verifies(secret, ts, other, path, body, signature) == (other == method)


@SIGNING
@given(secret=SECRETS, ts=TIMESTAMPS, method=METHODS, path=PATHS, body=BODIES, data=st.data())
def test_any_single_digit_change_of_the_timestamp_fails(secret, ts, method, path, body, data):
    signature = signing.sign(secret, ts, method, path, body)
    index = data.draw(st.integers(0, len(ts) - 1), label="index")
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != ts[index]), label="digit")
    tampered = ts[:index] + digit + ts[index + 1 :]
    assert not _verifies(secret, tampered, method, path, body, signature)


@SIGNING
@given(secret=SECRETS, other=SECRETS, ts=TIMESTAMPS, method=METHODS, path=PATHS, body=BODIES)
def test_another_secret_fails(secret, other, ts, method, path, body):
    signature = signing.sign(secret, ts, method, path, body)
    assert _verifies(other, ts, method, path, body, signature) == (other == secret)


@SIGNING
@given(given_signature=st.text(max_size=80))
def test_a_signature_that_is_not_64_hex_characters_is_refused_with_its_reason(given_signature):
    stripped = given_signature.strip()
    well_formed = len(stripped) == 64 and all(c in "0123456789abcdefABCDEF" for c in stripped)
    try:
        signing.verify("secret", "1700000000", "GET", "/api/x", b"", given_signature, "either")
    except signing.SignatureError as exc:
        assert ("64 hexadecimal characters" in exc.reason) == (not well_formed)
    else:
        assert well_formed


# ---- rounds and the ledger --------------------------------------------------------------------------

BET_FAULTS = [
    "none",
    "none",
    "none",
    "http500",
    "late:0.15",
    "garbage",
    "sleep:0.15",
    "business:INTERNAL_ERROR",
]
FOLLOW_FAULTS = ["none", "none", "http500", "late:0.15", "garbage", "duplicate", "business:INTERNAL_ERROR"]
SCENARIOS = [None, None, "bet_timeout", "duplicate_win", "retry_win", "delayed_win"]

ROUND = st.fixed_dictionaries(
    {
        "amount": st.sampled_from(["0.1", "1", "2.35", "5", "150"]),  # 150: more than the wallet's 100
        "outcome": st.sampled_from([None, "win", "lose", "refund", "rollback"]),
        "win_amount": st.sampled_from(["0.01", "3.33", "12"]),
        "scenario": st.sampled_from(SCENARIOS),
        "bet_fault": st.sampled_from(BET_FAULTS),
        # Fewer failures than the mock's attempts, so every round ends: the invariant is about ends.
        "follow_faults": st.lists(st.sampled_from(FOLLOW_FAULTS), max_size=3),
    }
)
LEDGER = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _body(session_id: str, spec: dict) -> dict:
    body = {"session_id": session_id, "amount": float(spec["amount"])}
    outcome, scenario = spec["outcome"], spec["scenario"]
    if scenario in ("duplicate_win", "retry_win", "delayed_win") and outcome in ("refund", "rollback"):
        scenario = None  # not a combination the mock accepts (it needs a win to bend)
    if outcome:
        body["outcome"] = outcome
    if outcome == "win":
        body["win_amount"] = float(spec["win_amount"])
    if scenario:
        body["scenario"] = scenario
    if scenario == "delayed_win":
        body["delay_seconds"] = 0.05
    return body


@pytest.fixture
async def ledger_mock(mock_factory, wallet):
    op = await mock_factory(
        webhook_url=wallet.url, webhook_timeout=0.1, webhook_retries=8, webhook_backoff=0.005
    )
    return op


PLAYERS = itertools.count(1)


@pytest.mark.slow  # 25 examples of rounds with faults and retries
@LEDGER
@given(rounds=st.lists(ROUND, min_size=1, max_size=4))
async def test_whatever_the_outcomes_and_faults_the_wallet_ledger_equals_what_the_rounds_imply(
    ledger_mock, wallet, rounds
):
    op = ledger_mock
    n = next(PLAYERS)
    player, session_id = f"prop-player-{n}", f"prop-session-{n}"
    await op.ok("POST", "/api/game/launch", launch_body(session_id=session_id, player_id=player))
    wallet.faults.clear()
    dispatcher = op.client.app[DISPATCHER]
    ids = []
    for spec in rounds:
        wallet.fail("bet", spec["bet_fault"])
        for action in ("win", "refund", "rollback"):
            wallet.fail(action, *spec["follow_faults"])
        status, answer = await op.post("/api/sandbox/game/bet", _body(session_id, spec))
        assert status in (200, 502), answer
        ids.append((answer["round"] if status == 200 else answer["error"]["details"]["round"])["round_id"])
        await dispatcher.idle(timeout=20)  # one round's retries end before the next round's faults queue
        wallet.faults.clear()
    final = [(await op.ok("GET", f"/api/sandbox/rounds/{rid}"))["round"] for rid in ids]
    expected = implied(final, Decimal(100))
    assert wallet.balances[(player, "USD")] == expected[player], final
    # Never sent with different content: one body per (action, transaction_id), however often sent.
    bodies: dict[tuple[str, str], set[bytes]] = defaultdict(set)
    for call in wallet.calls:
        p = call["payload"]
        if p.get("player_id") == player and "transaction_id" in p:
            bodies[(p["action_type"], p["transaction_id"])].add(call["raw"])
    assert all(len(b) == 1 for b in bodies.values())
    assert wallet.max_overlap == 1
    assert wallet.problems == []
