"""The certification suite judges wallets right: the reference wallet passes everything, and each
deliberately defective wallet fails exactly the test its defect breaks — through the API and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest
from wallet_flaws import ADVISORY_FLAWS, FLAWS

from netspace_mock import schemas
from netspace_mock.certification.signatures import FORGERIES
from support import ADVISORIES, API_KEY, GIVEN_ONLY, SECRET, launch_body
from wallets import OTHER_PLAYER, SESSION, OperatorWallet, serve

REQUIRED = ["authentication", "balance", "bet", "win", "insufficient_balance", "idempotency", "rollback"]
# The test each defect must fail (more may fail as a consequence); refund is optional.
BREAKS = {
    "no_signature_check": "authentication",
    "ignores_timestamp": "authentication",
    "accepts_future_timestamps": "authentication",
    "accepts_old_timestamps": "authentication",
    "accepts_signature_prefixes": "authentication",
    "ignores_api_key": "authentication",
    "signs_without_timestamp": "authentication",
    "signs_body_only": "authentication",
    "timestamp_as_float": "authentication",
    "answers_balance_before:bet": "bet",
    "answers_balance_before:win": "win",
    "answers_cents:balance": "bet",
    "answers_cents:bet": "bet",
    "answers_cents:rollback": "rollback",
    "answers_cents:refund": "refund",
    "negative_balance": "insufficient_balance",
    "books_duplicates": "idempotency",
    "win_credits_nothing": "win",
    "rollback_does_nothing": "rollback",
    "rollback_unknown_errors": "rollback",
    "refund_does_nothing": "refund",
    "balance_as_string": "balance",
    "times_out": "balance",
}

# Each defective wallet; times_out waits out the mock's timeout at every call, seconds by design.
DEFECTS = [pytest.param(f, marks=pytest.mark.slow) if f == "times_out" else f for f in FLAWS]


def statuses(run: dict) -> dict[str, str]:
    return {r["test"]: r["status"] for r in run["results"]}


def warnings(run: dict) -> set[str]:
    return {a["test"] for a in run["advisories"] if a["status"] == "warning"}


# What a run is given for every advisory check to run: the session OperatorWallet issued, its second player.
GIVEN = {
    "player_id": "cert-player",
    "currency": "USD",
    "session_id": SESSION,
    "other_player_id": OTHER_PLAYER,
}
REFUSALS = {f.name for f in FORGERIES}


async def test_catalogue_of_tests(client):
    tests = (await client.ok("GET", "/api/certification/tests"))["tests"]
    assert [t["id"] for t in tests] == [*REQUIRED, "refund"]
    assert [t["id"] for t in tests if t["required"]] == REQUIRED


async def test_reference_wallet_passes_everything(client):
    status = await client.ok("GET", "/api/certification/status")
    assert status["certified"] is False and status["last_run"] is None
    run = (await client.ok("POST", "/api/certification/run", {"player_id": "cert-ref", "currency": "USD"}))[
        "run"
    ]
    assert run["status"] == "passed"
    assert set(statuses(run).values()) == {"passed"}
    assert {a["test"]: a["status"] for a in run["advisories"]} == {
        a: "skipped" if a in GIVEN_ONLY else "passed" for a in ADVISORIES
    }
    skipped = {a["test"]: a["message"] for a in run["advisories"] if a["status"] == "skipped"}
    assert (
        "--session-id" in skipped["unknown_session"]
        and "--other-player-id" in skipped["shared_transaction_id"]
    )
    for result in run["results"]:
        assert result["steps"], result["test"]
        for step in result["steps"]:
            assert step["passed"], step
            if step["name"] in REFUSALS:
                assert step["response"]["status"] == 401
            else:
                assert (
                    step["response"]["status"] == 200 and len(step["request"]["headers"]["X-Signature"]) == 64
                )
    # Safety: the net change it caused is reported and is small.
    assert abs(run["net_balance_change"]) <= 2
    status = await client.ok("GET", "/api/certification/status")
    assert (
        status["certified"] is True
        and status["required_failed"] == []
        and status["required_passed"] == REQUIRED
    )
    again = (await client.ok("GET", f"/api/certification/runs/{run['id']}"))["run"]
    assert again["id"] == run["id"] and again["status"] == "passed"


async def test_reference_wallet_passes_every_advisory_given_a_session_and_a_second_player(client):
    await client.ok("POST", "/api/game/launch", launch_body(session_id="sess-ref", player_id="cert-ref"))
    body = {
        "player_id": "cert-ref",
        "currency": "USD",
        "session_id": "sess-ref",
        "other_player_id": "cert-ref-2",
    }
    run = (await client.ok("POST", "/api/certification/run", body))["run"]
    assert run["status"] == "passed" and set(statuses(run).values()) == {"passed"}
    assert {a["test"]: a["status"] for a in run["advisories"]} == {a: "passed" for a in ADVISORIES}
    for result in run["results"] + run["advisories"]:
        assert all(step["passed"] for step in result["steps"]), result


async def test_certified_follows_the_latest_run(client):
    await client.ok("POST", "/api/certification/run", {"player_id": "cert-ref", "currency": "EUR"})
    assert (await client.ok("GET", "/api/certification/status"))["certified"] is True
    partial = (
        await client.ok(
            "POST",
            "/api/certification/run",
            {"player_id": "cert-ref", "currency": "EUR", "tests": ["bet", "refund"]},
        )
    )["run"]
    assert statuses(partial)["authentication"] == "skipped" and partial["status"] == "passed"
    status = await client.ok("GET", "/api/certification/status")
    assert status["certified"] is False and "authentication" in status["required_failed"]


async def test_run_rejects_unknown_tests_and_bad_bodies(client):
    err = await client.error(
        "POST",
        "/api/certification/run",
        {"player_id": "p", "currency": "USD", "tests": ["x"]},
        status=400,
        code="INVALID_REQUEST",
    )
    assert "unknown test 'x'" in err["message"]
    await client.error(
        "POST", "/api/certification/run", {"player_id": "p"}, status=400, code="INVALID_REQUEST"
    )
    await client.error(
        "POST",
        "/api/certification/run",
        {"player_id": "p", "currency": "XXX"},
        status=400,
        code="INVALID_REQUEST",
    )


async def test_unreachable_webhook_is_a_webhook_error(mock_factory, unused_tcp_port):
    op = await mock_factory(webhook_url=f"http://127.0.0.1:{unused_tcp_port}/nothing-here")
    err = await op.error(
        "POST",
        "/api/certification/run",
        {"player_id": "p", "currency": "USD"},
        status=502,
        code="WEBHOOK_ERROR",
    )
    assert "could not be reached" in err["message"]


@pytest.mark.parametrize("flaw", DEFECTS)
async def test_api_judges_each_defective_wallet(flaw, mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet(flaw))
    op = await mock_factory(webhook_url=url, webhook_timeout=0.3)
    run = (await op.ok("POST", "/api/certification/run", {"player_id": "cert-player", "currency": "USD"}))[
        "run"
    ]
    assert statuses(run)[BREAKS[flaw]] == "failed", run
    if BREAKS[flaw] == "refund":
        assert run["status"] == "passed" and all(statuses(run)[t] == "passed" for t in REQUIRED)
        assert (await op.ok("GET", "/api/certification/status"))["certified"] is True
    else:
        assert run["status"] == "failed"
        assert (await op.ok("GET", "/api/certification/status"))["certified"] is False
    failed = next(r for r in run["results"] if r["test"] == BREAKS[flaw])
    assert failed["message"] and any(not s["passed"] for s in failed["steps"])


VERDICT = {f.name: f.accepted for f in FORGERIES}


@pytest.mark.parametrize(
    ("flaw", "wrong"),
    [
        ("no_signature_check", list(VERDICT)),
        (
            "ignores_timestamp",
            ["timestamp 10 minutes old", "timestamp 10 minutes in the future", "X-Timestamp not a number"],
        ),
        ("accepts_future_timestamps", ["timestamp 10 minutes in the future"]),
        ("accepts_old_timestamps", ["timestamp 10 minutes old"]),
        ("accepts_signature_prefixes", ["empty signature", "truncated signature"]),
        ("ignores_api_key", ["wrong API key", "missing X-API-Key"]),
        ("timestamp_as_float", ["X-Timestamp not a number"]),
    ],
)
async def test_authentication_gives_each_wrongly_accepted_request_its_verdict(
    flaw, wrong, mock_factory, aiohttp_server
):
    url = await serve(aiohttp_server, OperatorWallet(flaw))
    op = await mock_factory(webhook_url=url)
    body = {"player_id": "cert-player", "currency": "USD", "tests": ["authentication"]}
    auth = (await op.ok("POST", "/api/certification/run", body))["run"]["results"][0]
    assert [s["name"] for s in auth["steps"]] == ["correctly signed balance", *VERDICT]
    assert [s["name"] for s in auth["steps"] if not s["passed"]] == wrong
    assert [s["message"] for s in auth["steps"] if not s["passed"]] == [VERDICT[w] for w in wrong]
    verdicts = "; ".join(VERDICT[w] for w in wrong)
    assert auth["message"] == (
        verdicts if len(wrong) == 1 else f"the wallet got {len(wrong)} requests wrong: {verdicts}"
    )
    if flaw == "accepts_future_timestamps":
        assert auth["message"].startswith(
            "accepted a request whose X-Timestamp was 10 minutes in the future: a captured request could be "
            "replayed later"
        )


@pytest.mark.parametrize(
    ("flaw", "accepted", "diagnosis"),
    [
        (
            "signs_without_timestamp",
            "signature without X-Timestamp",
            "over METHOD + PATH + BODY, without X-Timestamp",
        ),
        ("signs_body_only", "signature over the body alone", "over the body alone"),
    ],
)
async def test_a_wallet_signing_the_wrong_string_is_told_which_it_signs(
    flaw, accepted, diagnosis, mock_factory, aiohttp_server
):
    url = await serve(aiohttp_server, OperatorWallet(flaw))
    op = await mock_factory(webhook_url=url)
    body = {"player_id": "cert-player", "currency": "USD", "tests": ["authentication"]}
    auth = (await op.ok("POST", "/api/certification/run", body))["run"]["results"][0]
    assert [s["name"] for s in auth["steps"] if not s["passed"]] == ["correctly signed balance", accepted]
    assert auth["message"].startswith(
        "a correctly signed call was refused: UNAUTHORIZED (HTTP 401); accepted a signature " + diagnosis
    )
    assert "the string to sign is TIMESTAMP + METHOD + PATH + BODY" in auth["message"]


@pytest.mark.parametrize(
    ("flaw", "message"),
    [
        (
            "answers_balance_before:bet",
            "bet of 1.00: answered the balance before the bet (100.00 USD); the answer must carry the balance "
            "after it (99.00 USD)",
        ),
        (
            "answers_balance_before:win",
            "win of 2.00 on that round: answered the balance before the win (99.00 USD); the answer must carry "
            "the balance after it (101.00 USD)",
        ),
        (
            "answers_cents:balance",
            "bet of 1.00 moved the balance from 10000.00 USD to 9900.00 USD; expected 9999.00 USD (-1.00 USD): "
            "the wallet counts in cents; amounts are in the currency's units",
        ),
        (
            "answers_cents:bet",
            "bet of 1.00: answered balance 9900 for 99.00 USD: the balance must be in the currency's units, "
            "not in cents",
        ),
        (
            "answers_cents:rollback",
            "rollback of that bet: answered balance 10000 for 100.00 USD: the balance must be in the currency's "
            "units, not in cents",
        ),
        (
            "answers_cents:refund",
            "refund of that bet: answered balance 10000 for 100.00 USD: the balance must be in the currency's "
            "units, not in cents",
        ),
    ],
)
async def test_the_balance_a_transaction_answers_is_the_balance_after_it(
    flaw, message, mock_factory, aiohttp_server
):
    url = await serve(aiohttp_server, OperatorWallet(flaw))
    op = await mock_factory(webhook_url=url)
    test = BREAKS[flaw]
    body = {"player_id": "cert-player", "currency": "USD", "tests": [test]}
    results = (await op.ok("POST", "/api/certification/run", body))["run"]["results"]
    result = next(r for r in results if r["test"] == test)
    assert result["status"] == "failed" and result["message"] == message
    failing = [s for s in result["steps"] if not s["passed"]]
    assert len(failing) == 1 and failing[0]["response"]["body"]["success"] is True


async def test_correct_wallet_passes_every_test_and_advisory(mock_factory, aiohttp_server):
    wallet = OperatorWallet(sessions=(SESSION,))
    url = await serve(aiohttp_server, wallet)
    op = await mock_factory(webhook_url=url)
    run = (await op.ok("POST", "/api/certification/run", GIVEN))["run"]
    assert run["status"] == "passed" and set(statuses(run).values()) == {"passed"}
    assert {a["test"]: a["status"] for a in run["advisories"]} == {a: "passed" for a in ADVISORIES}
    for result in run["results"] + run["advisories"]:
        assert all(step["passed"] for step in result["steps"]), result
    # What the mock got wrong on purpose: the refusals' signatures, the negative amount's schema.
    assert [
        p for p in wallet.problems if not p.startswith("bad signature") and "greater than 0" not in p
    ] == []


# What each advisory warning says, in part (the fix, mostly).
ADVICE = {
    "debits_free_bets": "when is_free_bet is true, do not deduct",
    "any_session": "which your wallet never issued, was accepted: check that a bet's session_id is one you issued",
    "refund_after_win_pays": "the round paid twice, the stake back and the win",
    "rollback_after_win_pays": "the stake came back and the win stayed",
    "books_sub_unit_amounts": "a bet of 1.005 USD, finer than the currency's unit, was accepted: USD has 2 decimals",
    "int32_cents": "never as floats or 32-bit integers",
    "truncates_ids": "the wallet cuts ids short and took the second for a repeat of the first",
    "ascii_ids": "ids are up to 128 characters of any Unicode text but control characters",
    "per_player_idempotency": "transaction ids are unique per operator, not per player",
    "bare_http_errors": "refusals that are not the error envelope: balance of a player the wallet never had: HTTP 404",
    "case_sensitive_signature": "refused a correct X-Signature written in upper-case hex",
    "narrow_window": "4 minutes old (UNAUTHORIZED (HTTP 401)) and 4 minutes ahead",
}
# The advisories a flaw warns in besides its own: an unknown player's bare 404 is no PLAYER_NOT_FOUND either.
ALSO = {"bare_http_errors": {"unknown_player"}}


@pytest.mark.parametrize("flaw", list(ADVISORY_FLAWS))
async def test_each_advisory_defect_is_a_warning_that_says_the_fix(flaw, mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet(flaw, sessions=(SESSION,)))
    op = await mock_factory(webhook_url=url)
    run = (await op.ok("POST", "/api/certification/run", GIVEN))["run"]
    assert run["status"] == "passed" and set(statuses(run).values()) == {"passed"}  # advisories never block
    assert warnings(run) == {ADVISORY_FLAWS[flaw], *ALSO.get(flaw, ())}
    advisory = {a["test"]: a for a in run["advisories"]}[ADVISORY_FLAWS[flaw]]
    assert ADVICE[flaw] in advisory["message"], advisory["message"]
    assert any(not s["passed"] for s in advisory["steps"])


async def test_verdicts_speak_the_operators_language(mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet("books_duplicates"))
    op = await mock_factory(webhook_url=url)
    run = (
        await op.ok(
            "POST",
            "/api/certification/run",
            {"player_id": "cert-player", "currency": "USD", "tests": ["idempotency"]},
        )
    )["run"]
    message = next(r for r in run["results"] if r["test"] == "idempotency")["message"]
    assert message == (
        "one bet of 1.00 USD sent twice moved the balance to 98.00 USD instead of 99.00 USD: "
        "the wallet booked the duplicate"
    )


def certify(url: str, *extra: str, timeout: float = 5.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "netspace_mock",
            "certify",
            "--webhook-url",
            url,
            "--api-key",
            API_KEY,
            "--secret-key",
            SECRET,
            "--player-id",
            "cert-player",
            "--currency",
            "USD",
            "--webhook-timeout",
            str(timeout),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _certify_async(url: str, *extra: str, timeout: float = 5.0) -> subprocess.CompletedProcess:
    import asyncio

    return await asyncio.to_thread(certify, url, *extra, timeout=timeout)


@pytest.mark.parametrize("flaw", DEFECTS)
async def test_cli_judges_each_defective_wallet(flaw, aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet(flaw))
    done = await _certify_async(url, "--no-advisories", timeout=0.3)
    expected_exit = 0 if BREAKS[flaw] == "refund" else 1
    assert done.returncode == expected_exit, done.stdout + done.stderr
    line = next(row for row in done.stdout.splitlines() if row.strip().split()[1:2] == [BREAKS[flaw]])
    assert line.strip().startswith("FAIL"), done.stdout


async def test_cli_writes_json_and_junit(aiohttp_server, tmp_path):
    url = await serve(aiohttp_server, OperatorWallet("refund_does_nothing"))
    json_file, junit_file = tmp_path / "run.json", tmp_path / "junit.xml"
    done = await _certify_async(url, "--json", str(json_file), "--junit", str(junit_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CERTIFIED" in done.stdout and "net balance change" in done.stdout
    run = json.loads(json_file.read_text())
    assert schemas.problems("certification.run", run) == []
    root = ET.parse(junit_file).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == [*REQUIRED, "refund"]
    assert suite.get("tests") == "8" and suite.get("failures") == "1"
    assert cases["refund"].find("failure") is not None and cases["bet"].find("failure") is None
    assert all(c.get("classname") and c.get("time") for c in cases.values())
    assert "unknown_player" in suite.find("system-out").text


async def test_cli_runs_every_advisory_given_a_session_and_a_second_player(aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet(sessions=(SESSION,)))
    done = await _certify_async(url, "--session-id", SESSION, "--other-player-id", OTHER_PLAYER)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row.split()[1]: row.split()[0] for row in done.stdout.splitlines() if row.startswith("  ")}
    assert {a: rows[a] for a in ADVISORIES} == {a: "PASS" for a in ADVISORIES}
    assert "advisory warnings" not in done.stdout
    done = await _certify_async(url, "--tests", "balance")
    rows = {row.split()[1]: row.split()[0] for row in done.stdout.splitlines() if row.startswith("  ")}
    assert [a for a in ADVISORIES if rows[a] == "SKIP"] == GIVEN_ONLY


async def test_cli_usage_errors_and_unreachable_exit_2(unused_tcp_port):
    done = await _certify_async(f"http://127.0.0.1:{unused_tcp_port}/x")
    assert done.returncode == 2 and "unreachable" in done.stderr
    done = await _certify_async("http://127.0.0.1:1/x", "--tests", "bet,nope")
    assert done.returncode == 2 and "unknown test(s) nope" in done.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "netspace_mock", "certify"], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "--webhook-url" in missing.stderr
