"""Signing: the module reproduces the node-computed vectors, and every failed check is a precise 401."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

from netspace_mock import signing
from support import API_KEY, SECRET, launch_body

VECTORS = Path(__file__).parent / "data" / "signatures.json"
SHARED_VECTORS = Path(__file__).resolve().parents[2] / "shared/vectors/signatures.json"
ALL_VECTORS = json.loads(VECTORS.read_text(encoding="utf-8"))

LAUNCH = "/api/game/launch"
CURRENCIES = "/api/game/currencies"
CATALOG = "/api/games/catalog"


def test_vector_copy_is_the_shared_file():
    assert len(ALL_VECTORS) >= 7
    if not SHARED_VECTORS.exists():
        pytest.skip("shared/vectors/signatures.json is not beside this checkout")
    assert json.loads(SHARED_VECTORS.read_text(encoding="utf-8")) == ALL_VECTORS


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=[v["note"] for v in ALL_VECTORS])
def test_signing_reproduces_vector(vector):
    args = (vector["timestamp"], vector["method"], vector["path"])
    expected = vector["string_to_sign"].encode("utf-8")
    assert signing.string_to_sign(*args, vector["body"]) == expected
    assert signing.string_to_sign(*args, vector["body"].encode("utf-8")) == expected
    assert signing.sign(vector["secret_key"], *args, vector["body"]) == vector["signature"]
    assert signing.sign(vector["secret_key"], *args, vector["body"].encode("utf-8")) == vector["signature"]
    headers = signing.headers(
        "key", vector["secret_key"], int(vector["timestamp"]), *args[1:], vector["body"]
    )
    assert headers == {
        "X-API-Key": "key",
        "X-Timestamp": vector["timestamp"],
        "X-Signature": vector["signature"],
    }
    # The verifier accepts the vector as a request exactly as it was signed.
    body = vector["body"].encode("utf-8")
    signing.verify(vector["secret_key"], *args, body, vector["signature"], "path_qs")
    signing.verify(vector["secret_key"], *args, body, vector["signature"].upper(), "either")
    with pytest.raises(signing.SignatureError):
        signing.verify("another-secret", *args, body, vector["signature"], "either")


def test_body_is_signed_as_raw_bytes_not_re_encoded():
    # The guide's 50.00 is sent by JavaScript as 50: a re-encoding would sign other bytes.
    vector = next(v for v in ALL_VECTORS if "free bet assign" in v["note"])
    reencoded = vector["body"].replace('"amount":50', '"amount":50.00')
    args = (vector["secret_key"], vector["timestamp"], vector["method"], vector["path"])
    assert signing.sign(*args, reencoded) != vector["signature"]


def _split(headers: dict[str, str], **changes: str | None) -> dict[str, str]:
    out = dict(headers)
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            out.pop(key)
        else:
            out[key] = value
    return out


def _now(client) -> int:
    return int(client.now())


async def _unauthorized(client, method, path, *, raw=b"", headers) -> dict:
    return await client.error(method, path, raw=raw, headers=headers, status=401, code="UNAUTHORIZED")


# --- missing headers, key, timestamp ----------------------------------------------------------------


@pytest.mark.parametrize("missing", ["X-API-Key", "X-Timestamp", "X-Signature"])
async def test_each_missing_header_is_named(client, missing):
    headers = client.headers("GET", CURRENCIES)
    del headers[missing]
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    named = err["message"].partition(":")[0]
    assert named == f"missing header {missing}"


async def test_empty_header_counts_as_missing(client):
    headers = {**client.headers("GET", CURRENCIES), "X-Signature": ""}
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert err["message"].startswith("missing header X-Signature")


async def test_all_three_headers_missing(client):
    err = await _unauthorized(client, "POST", LAUNCH, raw=json.dumps(launch_body()), headers={})
    assert err["message"].startswith("missing headers X-API-Key, X-Timestamp, X-Signature")


async def test_unknown_api_key(client):
    headers = {**client.headers("GET", CURRENCIES), "X-API-Key": "not-a-key"}
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert err["message"] == "unknown API key 'not-a-key'"


async def test_key_of_another_operator_with_our_secret_is_unknown(client):
    headers = signing.headers("sandbox-api-key-2", SECRET, _now(client), "GET", CURRENCIES)
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert "unknown API key" in err["message"]


async def test_millisecond_timestamp_is_diagnosed(client):
    ms = str(int(client.now() * 1000))
    assert len(ms) == 13
    headers = signing.headers(API_KEY, SECRET, ms, "GET", CURRENCIES)
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert "seconds, not milliseconds" in err["message"]
    assert err["message"].startswith(f"X-Timestamp {ms}")


@pytest.mark.parametrize("bad", ["abc", "1736937000.5", "-1736937000", "1e9", "0x67890abc", "١٧٣٦٩٣٧٠٠٠"])
async def test_non_numeric_timestamp(client, bad):
    headers = {**client.headers("GET", CURRENCIES), "X-Timestamp": bad}
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert "must be Unix time in seconds as decimal digits" in err["message"]


@pytest.mark.parametrize(("offset", "direction"), [(-400, "in the past"), (+400, "in the future")])
async def test_timestamp_outside_window_says_by_how_much(client, offset, direction):
    headers = signing.headers(API_KEY, SECRET, _now(client) + offset, "GET", CURRENCIES)
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    found = re.match(rf"X-Timestamp is (\d+) s {direction}; it must be within ±300 s", err["message"])
    assert found, err["message"]
    by = int(found.group(1))
    assert abs(offset) - 1 <= by <= abs(offset) + 1  # the server's second may have ticked
    assert err["details"]["skew_seconds"] == (by if offset > 0 else -by)
    assert err["details"]["tolerance_seconds"] == 300


@pytest.mark.parametrize("offset", [-290, 290])
async def test_timestamp_inside_window_is_accepted(client, offset):
    headers = signing.headers(API_KEY, SECRET, _now(client) + offset, "GET", CURRENCIES)
    status, _ = await client.get(CURRENCIES, headers=headers)
    assert status == 200


async def test_timestamp_tolerance_setting_is_honoured(client, make_client):
    strict = await make_client(timestamp_tolerance=10)
    stale = signing.headers(API_KEY, SECRET, _now(client) - 20, "GET", CURRENCIES)
    err = await _unauthorized(strict, "GET", CURRENCIES, headers=stale)
    assert "within ±10 s" in err["message"]
    assert (await client.get(CURRENCIES, headers=stale))[0] == 200  # the default 300 s accepts it
    recent = signing.headers(API_KEY, SECRET, _now(client) - 5, "GET", CURRENCIES)
    assert (await strict.get(CURRENCIES, headers=recent))[0] == 200


async def test_server_time_follows_the_clock(client, clock):
    headers = client.headers("GET", CURRENCIES)  # signed at the clock's now
    clock.advance(301)
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert "in the past" in err["message"]
    assert (await client.get(CURRENCIES))[0] == 200  # signed at the advanced now


# --- the signature itself ---------------------------------------------------------------------------


async def test_guides_own_algorithm_is_accepted(client):
    """TIMESTAMP + METHOD + PATH + JSON.stringify(body), written here from the guide, not via signing."""
    body = {
        "session_id": "sess-js",
        "player_id": "jogador-ção-玩家",
        "game_id": "lotterix",
        "currency": "BRL",
    }
    stringified = json.dumps(body, separators=(",", ":"), ensure_ascii=False)  # what JSON.stringify gives
    timestamp = str(_now(client))
    string_to_sign = f"{timestamp}{'post'.upper()}{LAUNCH}{stringified}"
    signature = hmac.new(SECRET.encode(), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers = {"X-API-Key": API_KEY, "X-Timestamp": timestamp, "X-Signature": signature}
    status, answer = await client.post(LAUNCH, raw=stringified.encode("utf-8"), headers=headers)
    assert status == 200 and answer["session_id"] == "sess-js"


async def test_upper_case_hex_signature_is_accepted(client):
    headers = client.headers("GET", CURRENCIES)
    headers["X-Signature"] = headers["X-Signature"].upper()
    assert (await client.get(CURRENCIES, headers=headers))[0] == 200


@pytest.mark.parametrize(
    ("signature", "length"), [("ab" * 31 + "a", 63), ("ab" * 33, 66), ("zz" * 32, 64), ("é" * 64, 64)]
)
async def test_signature_of_wrong_form(client, signature, length):
    headers = {**client.headers("GET", CURRENCIES), "X-Signature": signature}
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert err["message"] == (
        f"X-Signature must be 64 hexadecimal characters (HMAC-SHA256 hex digest), got {length} characters"
    )


async def test_tampered_body(client):
    signed = json.dumps(launch_body(player_id="player-1"))
    sent = json.dumps(launch_body(player_id="player-2"))
    headers = client.headers("POST", LAUNCH, signed)
    err = await _unauthorized(client, "POST", LAUNCH, raw=sent, headers=headers)
    assert err["message"].startswith("signature mismatch: the signature does not match")
    assert err["details"]["string_to_sign"] == f"{headers['X-Timestamp']}POST{LAUNCH}{sent}"


async def test_wrong_secret(client):
    body = json.dumps(launch_body())
    headers = signing.headers(API_KEY, "not-the-secret", _now(client), "POST", LAUNCH, body)
    err = await _unauthorized(client, "POST", LAUNCH, raw=body, headers=headers)
    assert "check the secret key" in err["message"]


async def test_wrong_method(client):
    body = json.dumps(launch_body())
    headers = client.headers("GET", LAUNCH, body)
    err = await _unauthorized(client, "POST", LAUNCH, raw=body, headers=headers)
    assert err["message"] == "signature mismatch: it was computed for METHOD GET, but the request is a POST"


async def test_lower_case_method(client):
    body = json.dumps(launch_body())
    timestamp = str(_now(client))
    message = f"{timestamp}post{LAUNCH}{body}".encode()
    signature = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    headers = {"X-API-Key": API_KEY, "X-Timestamp": timestamp, "X-Signature": signature}
    err = await _unauthorized(client, "POST", LAUNCH, raw=body, headers=headers)
    assert "lower-case METHOD" in err["message"]


async def test_wrong_path(client):
    body = json.dumps({"game_id": "lotterix"})
    headers = client.headers("POST", "/api/game/launch-demo", body)
    err = await _unauthorized(client, "POST", LAUNCH, raw=body, headers=headers)
    assert err["message"].startswith("signature mismatch:")
    assert err["details"]["string_to_sign"] == f"{headers['X-Timestamp']}POST{LAUNCH}{body}"


async def test_path_without_api_prefix_is_diagnosed(client):
    body = json.dumps(launch_body())
    headers = client.headers("POST", "/game/launch", body)
    err = await _unauthorized(client, "POST", LAUNCH, raw=body, headers=headers)
    assert "PATH must include the /api prefix ('/api/game/launch')" in err["message"]


@pytest.mark.parametrize(
    ("signed_as", "sent_as", "label"),
    [
        ({}, {"separators": (",", ":")}, "JSON with spaces after ',' and ':' (Python json.dumps default)"),
        ({"separators": (",", ":")}, {}, "compact JSON (JSON.stringify)"),
        (
            {"sort_keys": True, "separators": (",", ":")},
            {"separators": (",", ":")},
            "compact JSON with sorted keys",
        ),
    ],
)
async def test_body_re_serialised_differently_is_diagnosed(client, signed_as, sent_as, label):
    payload = {"session_id": "s-1", "player_id": "p-1", "game_id": "lotterix", "currency": "USD"}
    signed = json.dumps(payload, **signed_as)
    sent = json.dumps(payload, **sent_as)
    assert signed != sent
    headers = client.headers("POST", LAUNCH, signed)
    err = await _unauthorized(client, "POST", LAUNCH, raw=sent, headers=headers)
    assert f"it matches the body re-serialised as {label}, but the bytes sent differ" in err["message"]


async def test_get_signed_with_a_json_body_is_diagnosed(make_client):
    # With the default (`any`) a GET signed over '{}' is accepted with a warning (test_integration_
    # warnings.py); only the strict form refuses it, and says which setting would accept it.
    client = await make_client(empty_body_signature="empty")
    headers = client.headers("GET", CURRENCIES, "{}")
    err = await _unauthorized(client, "GET", CURRENCIES, headers=headers)
    assert "computed with BODY '{}', but the body sent is empty" in err["message"]
    assert "--empty-body-signature any" in err["message"]
    assert err["details"]["string_to_sign"] == f"{headers['X-Timestamp']}GET{CURRENCIES}"


async def test_string_to_sign_on_mismatch_is_what_the_mock_signed_and_holds_no_secret(client):
    body = json.dumps(launch_body(player_id="ünïcødé"), ensure_ascii=False)
    headers = {**client.headers("POST", LAUNCH, body), "X-Signature": "0" * 64}
    status, answer = await client.post(LAUNCH, raw=body.encode("utf-8"), headers=headers)
    assert status == 401
    shown = answer["error"]["details"]["string_to_sign"]
    expected = signing.string_to_sign(headers["X-Timestamp"], "POST", LAUNCH, body.encode()).decode()
    assert shown == expected
    # Signing what the mock shows, with the right secret, is accepted: the integrator can compare.
    assert hmac.new(SECRET.encode(), shown.encode(), hashlib.sha256).hexdigest() == signing.sign(
        SECRET, headers["X-Timestamp"], "POST", LAUNCH, body
    )
    assert SECRET not in json.dumps(answer, ensure_ascii=False)


async def test_string_to_sign_of_a_huge_body_is_truncated(client):
    body = json.dumps({"session_id": "y" * 200_000})
    headers = client.headers("POST", LAUNCH, "{}")
    err = await _unauthorized(client, "POST", LAUNCH, raw=body, headers=headers)
    assert len(err["details"]["string_to_sign"]) < 4200
    assert err["details"]["string_to_sign"].endswith("more characters)")


async def test_replay_inside_the_window_is_accepted(client):
    body = json.dumps(launch_body())
    headers = client.headers("POST", LAUNCH, body)
    first = await client.post(LAUNCH, raw=body, headers=headers, expect=200)
    second = await client.post(LAUNCH, raw=body, headers=headers, expect=200)
    assert first[1]["session_id"] == second[1]["session_id"] == "sess-1"


# --- query strings: signature_path = either | path | path_qs ----------------------------------------

QUERY_PATH = CATALOG + "?category=lottery&page=1"


def _signed_over(client, covered: str) -> dict[str, str]:
    return signing.headers(API_KEY, SECRET, _now(client), "GET", covered)


@pytest.mark.parametrize("covered", [CATALOG, QUERY_PATH])
async def test_either_accepts_path_and_path_with_query(client, covered):
    status, answer = await client.get(QUERY_PATH, headers=_signed_over(client, covered))
    assert status == 200
    assert {g["category"] for g in answer["games"]} == {"lottery"}


async def test_either_mismatch_shows_both_accepted_strings(client):
    headers = {**_signed_over(client, QUERY_PATH), "X-Signature": "f" * 64}
    err = await _unauthorized(client, "GET", QUERY_PATH, headers=headers)
    ts = headers["X-Timestamp"]
    assert err["details"]["string_to_sign"] == f"{ts}GET{CATALOG}"
    assert err["details"]["also_accepted"] == [f"{ts}GET{QUERY_PATH}"]


async def test_signature_path_mode_path(make_client):
    strict = await make_client(signature_path="path")
    assert (await strict.get(QUERY_PATH, headers=_signed_over(strict, CATALOG)))[0] == 200
    err = await _unauthorized(strict, "GET", QUERY_PATH, headers=_signed_over(strict, QUERY_PATH))
    assert "it covers the query string, but this server is set to sign the path alone" in err["message"]
    assert err["details"]["string_to_sign"].endswith(f"GET{CATALOG}")


async def test_signature_path_mode_path_qs(make_client):
    strict = await make_client(signature_path="path_qs")
    assert (await strict.get(QUERY_PATH, headers=_signed_over(strict, QUERY_PATH)))[0] == 200
    err = await _unauthorized(strict, "GET", QUERY_PATH, headers=_signed_over(strict, CATALOG))
    assert "it covers the path alone, but this server is set to sign path?query" in err["message"]


@pytest.mark.parametrize("mode", ["either", "path", "path_qs"])
async def test_without_a_query_every_mode_signs_the_path(make_client, mode):
    strict = await make_client(signature_path=mode)
    assert (await strict.get(CURRENCIES, headers=_signed_over(strict, CURRENCIES)))[0] == 200


async def test_query_is_signed_exactly_as_sent(make_client):
    strict = await make_client(signature_path="path_qs")
    sent = CATALOG + "?search=tiger%20spins"
    status, answer = await strict.get(sent, headers=_signed_over(strict, sent))
    assert status == 200 and [g["id"] for g in answer["games"]] == ["tiger-spins"]
    decoded = CATALOG + "?search=tiger spins"
    await _unauthorized(strict, "GET", sent, headers=_signed_over(strict, decoded))


def test_a_rotated_secret_refuses_the_old_ones_signature_at_once():
    message = b"1700000000POST/api/game/launch{}"
    old = hmac.new(b"old-secret", message, hashlib.sha256).hexdigest()
    assert signing.signature_matches("old-secret", old, message)  # the old secret's MAC now kept keyed
    assert not signing.signature_matches("new-secret", old, message)
    assert signing.signature_matches(
        "new-secret", hmac.new(b"new-secret", message, hashlib.sha256).hexdigest(), message
    )
    # The keyed MAC is copied, never fed itself: the same secret twice gives the same digest.
    assert signing.signature_matches("old-secret", old, message)
