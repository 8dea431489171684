"""The guide's own `generateSignature`, run verbatim under node, against every `empty_body_signature`
setting: its GETs (no body passed, so it signs `undefined`) and its POSTs (the body JSON.stringify'd
and sent as such), and the stand-ins a caller may pass for no body ({}, null, "")."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from netspace_mock.api.integration_warnings import HEADER
from support import API_KEY, SECRET

NODE = shutil.which("node")
GUIDE = Path(__file__).resolve().parents[2] / "shared/netspace-api-guide.txt"
# Copied from the guide's "Example (JavaScript)", character for character.
GENERATE_SIGNATURE = """const crypto = require('crypto');

function generateSignature(timestamp, method, path, body, secretKey) {
  const stringToSign = `${timestamp}${method.toUpperCase()}${path}${JSON.stringify(body)}`;
  return crypto.createHmac('sha256', secretKey).update(stringToSign).digest('hex');
}
"""
# Each case: what the caller passes as `body` (a JSON text, or None for no argument at all), and what
# is sent: JSON.stringify(body) for a body, nothing for a GET or a POST without one.
CALLS = """
const [timestamp, secret, cases] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([method, path, body]) =>
  body === null
    ? generateSignature(timestamp, method, path, undefined, secret)
    : generateSignature(timestamp, method, path, JSON.parse(body), secret));
process.stdout.write(JSON.stringify(out));
"""
LAUNCH = {"session_id": "js-1", "player_id": "player123", "game_id": "lotterix", "currency": "USD"}
# (name, method, path, the caller's body argument, the body sent, the stand-in its signature covers)
CASES = [
    ("GET, no body passed", "GET", "/api/game/currencies", None, b"", "undefined"),
    ("GET, {} passed", "GET", "/api/games/featured", "{}", b"", "{}"),
    ("GET, null passed", "GET", "/api/games/categories", "null", b"", "null"),
    ('GET, "" passed', "GET", "/api/game/currencies", '""', b"", '""'),
    ("POST without a body", "POST", "/api/sandbox/reset", None, b"", "undefined"),
    ("POST with its body", "POST", "/api/game/launch", json.dumps(LAUNCH), None, None),
]
# What each setting accepts besides the empty string.
ACCEPTS = {
    "empty": set(),
    "braces": {"{}"},
    "undefined": {"undefined"},
    "any": {"undefined", "{}", "null", '""'},
}


def test_the_helper_is_the_guide_s_own():
    if not GUIDE.exists():
        pytest.skip("shared/netspace-api-guide.txt is not beside this checkout")
    assert GENERATE_SIGNATURE in GUIDE.read_text(encoding="utf-8")


def _signatures(timestamp: str) -> list[str]:
    cases = [[method, path, body] for _, method, path, body, _, _ in CASES]
    done = subprocess.run(
        [NODE, "-e", GENERATE_SIGNATURE + CALLS],
        input=json.dumps([timestamp, SECRET, cases]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
@pytest.mark.parametrize("mode", list(ACCEPTS))
async def test_the_guide_s_generate_signature_under_each_empty_body_setting(make_client, mode):
    client = await make_client(empty_body_signature=mode)
    timestamp = str(int(client.now()))
    for (name, method, path, _, sent, stand_in), signature in zip(CASES, _signatures(timestamp), strict=True):
        # The POST sends what the helper signed: JSON.stringify of its body, which node gives as well.
        raw = sent if sent is not None else json.dumps(LAUNCH, separators=(",", ":")).encode()
        headers = {"X-API-Key": API_KEY, "X-Timestamp": timestamp, "X-Signature": signature}
        if raw:
            headers["Content-Type"] = "application/json"
        async with client.client.request(method, path, data=raw, headers=headers) as resp:
            answer, warnings = await resp.json(), resp.headers.getall(HEADER, [])
        if stand_in is None:  # a body, signed as sent: accepted under every setting, with no warning
            assert (resp.status, warnings) == (200, []), (name, answer)
        elif stand_in in ACCEPTS[mode]:
            assert resp.status == 200, (name, answer)
            assert len(warnings) == 1 and f"signed with BODY {stand_in!r}" in warnings[0], (name, warnings)
        else:
            assert (resp.status, answer["error"]["code"]) == (401, "UNAUTHORIZED"), (name, answer)
            message = answer["error"]["message"]
            assert f"it was computed with BODY {stand_in!r}, but the body sent is empty" in message, name
            assert "--empty-body-signature any" in message, name
