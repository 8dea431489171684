"""The compiled fast path of schema validation (fastjsonschema) never accepts what jsonschema refuses.

`schemas.problems` asks the compiled check first and returns "no problems" when it passes; only a refused
payload goes on to jsonschema. So the one property that matters: for every schema, whatever the payload,
fast-accepted implies jsonschema-accepted. Hypothesis builds payloads from each schema's own property
names, enum and const values and typical identifiers, mixed with wrong types, control characters, huge
and empty values, Decimals (request numbers are parsed as Decimal) and booleans.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspace_mock import jsonio, schemas

NAMES = sorted(schemas.documents())
HOT = (
    "sandbox.bet.request",
    "game.launch.request",
    "webhook.bet",
    "webhook.win",
    "webhook.answer.transaction",
)
CHECK = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
TYPICAL = [
    "",
    "s-1",
    "player-1",
    "lotterix",
    "USD",
    "en",
    "txn_abc",
    "round_abc",
    "2026-11-30T01:00:00.000Z",
    "2026-11-30T01:00:00Z",
    "https://casino.example/return",
    "127.0.0.1",
    "a\u0000b",
    "\u0085",
    "ü" * 129,
    "x" * 10_000,
]


def _collect(node: Any, names: set[str], constants: list[Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, names, constants)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                names.update(value)
            if key == "enum":
                constants.extend(value)
            elif key == "const":
                constants.append(value)
            else:
                _collect(value, names, constants)


def payloads(name: str) -> st.SearchStrategy[Any]:
    names: set[str] = set()
    constants: list[Any] = []
    _collect(schemas.validator(name).schema, names, constants)
    scalars = st.one_of(
        st.sampled_from(TYPICAL + constants) if constants else st.sampled_from(TYPICAL),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=-3, max_value=200),
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**12),
        st.booleans(),
        st.none(),
        st.text(max_size=20),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=8), st.dictionaries(st.sampled_from(sorted(names) or ["x"]), inner)
        ),
        max_leaves=12,
    )
    keys = st.sampled_from(sorted(names | {"unexpected"}))
    return st.one_of(st.dictionaries(keys, values, max_size=len(names) + 1), values)


def webhook_call(action: str, **fields: Any) -> dict[str, Any]:
    """A valid webhook payload of `action` (bet, win) with these fields on top."""
    return {
        "action_type": action,
        "session_id": "s-1",
        "player_id": "p-1",
        "currency": "USD",
        "game_id": "lotterix",
        "timestamp": "2026-11-30T01:00:00.000Z",
        "round_id": "round_1",
        **fields,
    }


def _slow_problems(name: str, payload: Any) -> list:
    return list(schemas.validator(name).iter_errors(payload))


@pytest.mark.parametrize("name", NAMES)
def test_the_fast_path_never_accepts_what_jsonschema_refuses(name):
    fast = schemas.fast_check(name)
    assert fast is not None, f"{name} uses a keyword the fast path does not take"

    @CHECK
    @given(payloads(name))
    def check(payload):
        try:
            fast(payload)
        except Exception:
            return  # refused: problems() asks jsonschema, the authority
        assert _slow_problems(name, payload) == [], f"{name}: the fast path accepted an invalid payload"

    check()


@pytest.mark.parametrize("name", HOT)
def test_valid_payloads_of_the_hot_paths_pass_the_fast_path(name):
    examples = {
        "sandbox.bet.request": {"session_id": "s-1", "amount": Decimal("0.1")},
        "game.launch.request": {
            "session_id": "s-1",
            "player_id": "p-1",
            "game_id": "lotterix",
            "currency": "USD",
        },
        "webhook.bet": webhook_call("bet", transaction_id="txn_1", amount=Decimal("0.1")),
        "webhook.win": webhook_call("win", transaction_id="txn_2", amount=Decimal("0.2")),
        "webhook.answer.transaction": jsonio.loads(
            b'{"success": true, "balance": 99.9, "transaction_id": "w-1"}'
        ),
    }
    payload = examples[name]
    assert _slow_problems(name, payload) == []
    schemas.fast_check(name)(payload)  # raises if the fast path refused it


def test_a_refused_payload_is_still_described_in_full():
    found = schemas.problems("webhook.bet", {"action_type": "bet", "amount": "1"})
    paths = {p["path"] for p in found}
    assert "$.session_id" in paths and "$.amount" in paths


def test_dependent_required_is_enforced_on_the_fast_path():
    payload = webhook_call("bet", transaction_id="txn_1", amount=Decimal("0.1"), is_free_bet=True)
    with pytest.raises(Exception, match="operator_free_bet_id|netspace_free_bet_id"):
        schemas.fast_check("webhook.bet")(payload)
    assert {"path": "$.operator_free_bet_id", "message": "is required when is_free_bet is given"} in (
        schemas.problems("webhook.bet", payload)
    )
