"""Security hygiene: secrets never in logs or answers, constant-time signature comparison, a bound on
every string and array a request can carry, and replayed requests made visible in the request log."""

from __future__ import annotations

import ast
import inspect
import json
import logging
import re
import socket
import subprocess
import time

import aiohttp
import pytest

from netspace_mock import schemas, signing
from netspace_mock.api import auth, replay
from netspace_mock.api.routes import ROUTES
from netspace_mock.wallet import webhook as reference_wallet
from netspace_mock.webhooks import client as webhook_client
from support import banner, launch_body, serve_process, wait_healthy

# ---- secrets never in logs or answers -------------------------------------------------------------

KEY_A, SECRET_A = "ak-security-a", "sk-DISTINCTIVE-q7Zr-secret-of-A-91c3e"
KEY_B, SECRET_B = "ak-security-b", "sk-DISTINCTIVE-w2Xp-secret-of-B-5b7d0"
SECRETS = (SECRET_A, SECRET_B)


class Operator:
    def __init__(self, http: aiohttp.ClientSession, base: str, key: str, secret: str, answers: list[str]):
        self.http, self.base, self.key, self.secret, self.answers = http, base, key, secret, answers

    async def call(
        self, method: str, path: str, body=None, *, raw: bytes | None = None, headers=None, ts=None
    ):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        signed = signing.headers(self.key, self.secret, ts or int(time.time()), method, path, data)
        async with self.http.request(
            method, self.base + path, data=data or None, headers=headers if headers is not None else signed
        ) as resp:
            text = await resp.text()
            self.answers.append(f"{resp.status} {dict(resp.headers)} {text}")
            return resp.status, json.loads(text)


async def _exercise(a: Operator, b: Operator) -> None:
    """Good and bad requests, webhook calls that succeed and fail, certification runs."""
    for path in ("/api/games/catalog?per_page=5", "/api/game/currencies", "/api/games/lotterix"):
        assert (await a.call("GET", path))[0] == 200
    assert (await a.call("POST", "/api/game/launch", launch_body(session_id="sec-a", player_id="pa")))[
        0
    ] == 200
    for outcome in ("win", "lose", "refund", "rollback"):
        status, _ = await a.call(
            "POST", "/api/sandbox/game/bet", {"session_id": "sec-a", "amount": 1, "outcome": outcome}
        )
        assert status == 200
    assert (
        await a.call(
            "POST", "/api/sandbox/game/bet", {"session_id": "sec-a", "amount": 1, "scenario": "duplicate_win"}
        )
    )[0] == 200
    assert (await a.call("GET", "/api/sandbox/game/balance?session_id=sec-a"))[0] == 200
    assert (await a.call("POST", "/api/lotterix/jackpot/update", {"amount": 50, "currency": "USD"}))[0] == 200
    status, run = await a.call("POST", "/api/certification/run", {"player_id": "cert-a", "currency": "USD"})
    assert status == 200 and run["run"]["status"] == "passed"
    for path in (
        "/api/sandbox/webhooks?per_page=200",
        "/api/sandbox/deliveries",
        "/api/sandbox/stats",
        f"/api/certification/runs/{run['run']['id']}",
        "/api/certification/status",
    ):
        assert (await a.call("GET", path))[0] == 200
    # Refused: every way a signature can fail, and a body or route that is wrong.
    wrong = Operator(a.http, a.base, KEY_A, SECRET_B, a.answers)  # A's key with B's secret
    assert (await wrong.call("GET", "/api/sandbox/stats"))[0] == 401
    assert (await wrong.call("POST", "/api/game/launch", launch_body()))[0] == 401
    assert (await a.call("GET", "/api/sandbox/stats", ts=int(time.time()) - 3600))[0] == 401
    assert (await a.call("GET", "/api/sandbox/stats", headers={"X-API-Key": KEY_A}))[0] == 401
    unknown_key = Operator(a.http, a.base, "ak-unknown", SECRET_A, a.answers)
    assert (await unknown_key.call("GET", "/api/sandbox/stats"))[0] == 401
    assert (await a.call("POST", "/api/game/launch", raw=b'{"session_id": NaN}'))[0] == 400
    assert (await a.call("POST", "/api/game/launch", {"session_id": ""}))[0] == 400
    assert (await a.call("GET", "/api/nope"))[0] == 404
    assert (await a.call("DELETE", "/api/game/launch"))[0] == 405
    # A replay: the same signed request twice.
    raw = json.dumps({"amount": 60, "currency": "EUR"}).encode()
    same = signing.headers(KEY_A, SECRET_A, int(time.time()), "POST", "/api/lotterix/jackpot/update", raw)
    for _ in range(2):
        assert (await a.call("POST", "/api/lotterix/jackpot/update", raw=raw, headers=same))[0] == 200
    # B: a webhook that cannot be reached, so every call fails and says why.
    assert (await b.call("POST", "/api/game/launch", launch_body(session_id="sec-b", player_id="pb")))[
        0
    ] == 200
    assert (await b.call("POST", "/api/sandbox/game/bet", {"session_id": "sec-b", "amount": 1}))[0] == 502
    assert (await b.call("GET", "/api/sandbox/game/balance?session_id=sec-b"))[0] == 502
    assert (await b.call("POST", "/api/certification/run", {"player_id": "cert-b", "currency": "USD"}))[
        0
    ] == 502
    assert (await b.call("GET", "/api/sandbox/webhooks"))[0] == 200


async def test_secrets_are_never_in_the_logs_or_any_answer(tmp_path):
    operators = tmp_path / "operators.json"
    # A port held but never listening: the webhook is refused, and no other server can take the port.
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    nowhere = f"http://127.0.0.1:{dead.getsockname()[1]}/hook"
    operators.write_text(
        json.dumps([{"name": "B", "api_key": KEY_B, "secret_key": SECRET_B, "webhook_url": nowhere}])
    )
    stderr_path = tmp_path / "server.log"
    answers: list[str] = []
    with dead, open(stderr_path, "wb") as stderr:
        proc = serve_process(
            "--port", "0", "--db", str(tmp_path / "sec.db"), "--api-key", KEY_A,
            "--secret-key", SECRET_A, "--operators", str(operators), "--log-format", "json",
            "--webhook-backoff", "0.01", "--webhook-retries", "2",
            stdout=subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
        try:
            base = banner(proc).group(1)  # the port it listens on: no window for another to take it
            async with aiohttp.ClientSession() as http:
                await wait_healthy(http, base, proc)  # a server that could not start fails as such
                await _exercise(
                    Operator(http, base, KEY_A, SECRET_A, answers),
                    Operator(http, base, KEY_B, SECRET_B, answers),
                )
                for path in ("/health", "/openapi.json"):
                    async with http.get(base + path) as resp:
                        answers.append(await resp.text())
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proc.stdout.close()
    logs = stderr_path.read_text()
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    requests = [line for line in lines if line.get("logger") == "netspace_mock.requests"]
    assert len(answers) > 30 and len(requests) > 40  # the log is there, one JSON object a line
    assert {line["status"] for line in requests} >= {200, 400, 401, 404, 405, 502}
    # The grep sees what is there: the API keys are in the webhook log's headers, the secrets nowhere.
    assert any(KEY_A in answer for answer in answers) and any(KEY_B in answer for answer in answers)
    for secret in SECRETS:
        assert secret not in logs
        for answer in answers:
            assert secret not in answer, answer[:500]
    # The replay is visible in the log, and only it.
    replays = [line for line in requests if line.get("replay") is True]
    assert [(r["method"], r["path"], r["status"]) for r in replays] == [
        ("POST", "/api/lotterix/jackpot/update", 200)
    ]


async def test_a_custom_secret_is_not_printed_at_start(tmp_path):
    proc = serve_process(
        "--port", "0", "--db", str(tmp_path / "banner.db"), "--secret-key", SECRET_A, stdout=subprocess.PIPE
    )
    try:
        first = banner(proc)
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, first.group(1))
    finally:
        proc.terminate()
        rest = proc.stdout.read().decode()  # after the first line, to the server's exit
        proc.stdout.close()
        proc.wait(timeout=10)
    printed = first.string + rest
    assert "serving on" in printed and "Secret key  (set; not shown)" in printed
    assert SECRET_A not in printed


# ---- constant-time comparison ---------------------------------------------------------------------


def test_signatures_are_compared_with_hmac_compare_digest_only():
    tree = ast.parse(inspect.getsource(signing))
    matches = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "signature_matches"
    )
    assert "hmac.compare_digest" in {
        ast.unparse(c.func) for c in ast.walk(matches) if isinstance(c, ast.Call)
    }
    verify = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "verify")
    assert "signature_matches" in {ast.unparse(c.func) for c in ast.walk(verify) if isinstance(c, ast.Call)}
    # Nowhere a signature is compared with == or != (which stops at the first differing character).
    for module in (signing, auth, reference_wallet, webhook_client):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                text = ast.unparse(node)
                assert not re.search(r"signature|digest|expected|given\b(?!\))", text, re.I), (
                    module.__name__,
                    text,
                )
    # The wallet and the API verify through signing.verify, not by hand.
    assert "signing.verify" in inspect.getsource(reference_wallet._authenticate)
    assert "signing.verify" in inspect.getsource(auth.authenticate)


def test_every_verification_goes_through_compare_digest(monkeypatch):
    calls = []
    real = signing.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    good = signing.sign("s", "1700000000", "POST", "/api/x", b"{}")
    signing.verify("s", "1700000000", "POST", "/api/x", b"{}", good.upper(), "either")
    with pytest.raises(signing.SignatureError):
        signing.verify("s", "1700000000", "POST", "/api/x", b"{}", "0" * 64, "either")
    # Hex digests as text, the HMAC's and the header's lowered: compare_digest takes ASCII text.
    assert len(calls) >= 2 and all(isinstance(a, str) and isinstance(b, str) for a, b in calls)
    assert all(len(a) == len(b) == 64 for a, b in calls)


# ---- bounded sizes --------------------------------------------------------------------------------

UNBOUNDED_REPEAT = re.compile(r"(?<!\\)[*+]|\{\d+,\}")


def _bounded_pattern(pattern: str) -> bool:
    """Anchored at both ends with only finite repetitions: it bounds the length by itself."""
    return pattern.startswith("^") and pattern.endswith("$") and not UNBOUNDED_REPEAT.search(pattern)


def _unbounded(node, where: str, document: str, seen: frozenset = frozenset()) -> list[str]:
    """Every string without maxLength (or enum, const or a bounding pattern) and every array without
    maxItems in a schema, following $refs across files."""
    if not isinstance(node, dict):
        return []
    found = []
    if "$ref" in node:
        file, _, pointer = node["$ref"].partition("#")
        target_doc = file.removesuffix(".json") if file else document
        if (target_doc, pointer) not in seen:
            target = schemas.documents()[target_doc]
            for part in filter(None, pointer.split("/")):
                target = target[part]
            found += _unbounded(target, where, target_doc, seen | {(target_doc, pointer)})
    types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    if "string" in types and not (
        "maxLength" in node or "enum" in node or "const" in node or _bounded_pattern(node.get("pattern", ""))
    ):
        found.append(f"{where}: string without maxLength")
    if "array" in types and "maxItems" not in node:
        found.append(f"{where}: array without maxItems")
    for name, sub in node.get("properties", {}).items():
        found += _unbounded(sub, f"{where}.{name}", document, seen)
    for key in ("items", "additionalProperties"):
        found += _unbounded(node.get(key), f"{where}[]", document, seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, []):
            found += _unbounded(sub, where, document, seen)
    return found


REQUEST_SCHEMAS = sorted(
    {r.request for r in ROUTES if r.request}
    | {r.query for r in ROUTES if r.query}
    # Any other request the mock reads (the game page's), by the naming of data/schemas/.
    | {name for name in schemas.documents() if name.endswith((".request", ".query"))}
    # What the reference wallet (an endpoint of the mock) accepts.
    | {name for name in schemas.documents() if name.startswith("webhook.") and ".answer." not in name}
)


@pytest.mark.parametrize("name", REQUEST_SCHEMAS)
def test_every_string_and_array_of_a_request_is_bounded(name):
    assert _unbounded(schemas.documents()[name], f"{name}:$", name) == []


def test_the_walk_finds_what_is_unbounded():
    assert _unbounded({"type": "string"}, "$", "x") == ["$: string without maxLength"]
    assert _unbounded({"type": "string", "pattern": "^a+$"}, "$", "x") != []
    assert _unbounded({"type": "string", "pattern": "^[0-9]{4}$"}, "$", "x") == []
    assert _unbounded({"type": "array", "items": {"enum": [1]}}, "$", "x") == ["$: array without maxItems"]


async def test_path_parameters_are_bounded_and_huge_headers_are_not_echoed(client):
    spec = await (await client.client.get("/openapi.json")).json()
    parameters = [
        (path, parameter)
        for path, operations in spec["paths"].items()
        for operation in operations.values()
        for parameter in operation["parameters"]
        if parameter["in"] == "path"
    ]
    assert len(parameters) == 3  # gameId, roundId, runId; query parameters are their schemas' (above)
    for path, parameter in parameters:
        assert _unbounded(parameter["schema"], f"{path} {parameter['name']}", "openapi") == []
    big = "k" * 8000
    resp = await client.client.get(
        "/api/sandbox/stats", headers={"X-API-Key": big, "X-Timestamp": "1" * 4000, "X-Signature": "a" * 4000}
    )
    answer = await resp.json()
    assert resp.status == 401 and len(json.dumps(answer)) < 600


# ---- replays --------------------------------------------------------------------------------------


def test_the_replay_memory_is_bounded_and_forgets_the_oldest():
    detector = replay.ReplayDetector(capacity=100)
    signatures = [signing.sign("s", str(i), "GET", "/api/x") for i in range(250)]
    assert not any(detector.seen(1, s) for s in signatures)
    assert len(detector) == 100
    assert detector.seen(1, signatures[-1].upper())  # recent, in any case: a replay
    assert not detector.seen(1, signatures[0])  # forgotten: taken as new
    assert not detector.seen(2, signatures[-2])  # another operator's key: not a replay of it
    assert detector.replays == 1
    assert replay.REPLAY_MEMORY <= 100_000


async def test_a_replayed_request_is_accepted_and_logged_as_a_replay(client, caplog):
    caplog.set_level(logging.INFO, logger="netspace_mock.requests")
    raw = json.dumps({"amount": 5, "currency": "USD"})
    headers = client.headers("POST", "/api/lotterix/jackpot/update", raw)
    for _ in range(3):
        status, _ = await client.post("/api/lotterix/jackpot/update", raw=raw, headers=headers)
        assert status == 200  # accepted, as the guide allows inside the timestamp window
    await client.ok("POST", "/api/lotterix/jackpot/update", {"amount": 6, "currency": "USD"})
    lines = [r for r in caplog.records if r.name == "netspace_mock.requests"]
    assert [r.replay for r in lines] == [False, True, True, False]
    assert "(replay of an earlier request)" in lines[1].getMessage()
    assert "replay" not in lines[0].getMessage()
    # A refused request is not remembered: the same bad signature twice is no replay.
    refused = {**headers, "X-Signature": "0" * 64}
    for _ in range(2):
        await client.error("GET", "/api/sandbox/stats", headers=refused, status=401, code="UNAUTHORIZED")
    lines = [r for r in caplog.records if r.name == "netspace_mock.requests"]
    assert [getattr(r, "replay", None) for r in lines[-2:]] == [None, None]


def test_the_json_log_carries_the_replay_field():
    from netspace_mock.logs import EXTRA_FIELDS, JsonFormatter

    assert "replay" in EXTRA_FIELDS
    record = logging.LogRecord(
        "netspace_mock.requests", logging.INFO, __file__, 1, "POST /api/x 200", (), None
    )
    record.replay = True
    assert json.loads(JsonFormatter().format(record))["replay"] is True
