"""The certification suite judges wallets right: the reference wallet passes everything, and each
deliberately defective wallet fails exactly the test its defect breaks — through the API and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from netspace_mock import schemas
from support import ADVISORIES, API_KEY, SECRET
from wallets import FLAWS, OperatorWallet, serve

REQUIRED = ["authentication", "balance", "bet", "win", "insufficient_balance", "idempotency", "rollback"]
# The test each defect must fail (more may fail as a consequence); refund is optional.
BREAKS = {
    "no_signature_check": "authentication",
    "ignores_timestamp": "authentication",
    "accepts_future_timestamps": "authentication",
    "accepts_signature_prefixes": "authentication",
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
    assert {a["test"]: a["status"] for a in run["advisories"]} == {a: "passed" for a in ADVISORIES}
    refusals = {
        "bad signature",
        "empty signature",
        "truncated signature",
        "signature over another body",
        "signed with another secret",
        "timestamp 10 minutes old",
        "timestamp 10 minutes in the future",
        "wrong API key",
        "missing X-Signature",
        "missing X-Timestamp",
        "missing X-API-Key",
    }
    for result in run["results"]:
        assert result["steps"], result["test"]
        for step in result["steps"]:
            assert step["passed"], step
            if step["name"] in refusals:
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
    if flaw == "refund_does_nothing":
        assert run["status"] == "passed" and all(statuses(run)[t] == "passed" for t in REQUIRED)
        assert (await op.ok("GET", "/api/certification/status"))["certified"] is True
    else:
        assert run["status"] == "failed"
        assert (await op.ok("GET", "/api/certification/status"))["certified"] is False
    failed = next(r for r in run["results"] if r["test"] == BREAKS[flaw])
    assert failed["message"] and any(not s["passed"] for s in failed["steps"])


@pytest.mark.parametrize(
    ("flaw", "accepted"),
    [
        ("accepts_future_timestamps", ["timestamp 10 minutes in the future"]),
        ("accepts_signature_prefixes", ["empty signature", "truncated signature"]),
    ],
)
async def test_authentication_names_the_calls_a_wallet_wrongly_accepts(
    flaw, accepted, mock_factory, aiohttp_server
):
    url = await serve(aiohttp_server, OperatorWallet(flaw))
    op = await mock_factory(webhook_url=url)
    run = (await op.ok("POST", "/api/certification/run", {"player_id": "cert-player", "currency": "USD"}))[
        "run"
    ]
    auth = next(r for r in run["results"] if r["test"] == "authentication")
    assert [s["name"] for s in auth["steps"] if not s["passed"]] == accepted
    assert auth["message"] == "the wallet accepted calls it must refuse: " + ", ".join(accepted)


async def test_correct_wallet_passes_all_advisories(mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet())
    op = await mock_factory(webhook_url=url)
    run = (await op.ok("POST", "/api/certification/run", {"player_id": "cert-player", "currency": "USD"}))[
        "run"
    ]
    assert run["status"] == "passed" and {a["status"] for a in run["advisories"]} == {"passed"}


async def test_debiting_a_free_bet_stake_is_an_advisory_warning(mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet("debits_free_bets"))
    op = await mock_factory(webhook_url=url)
    run = (await op.ok("POST", "/api/certification/run", {"player_id": "cert-player", "currency": "USD"}))[
        "run"
    ]
    assert run["status"] == "passed"  # advisories never block
    advisory = {a["test"]: a for a in run["advisories"]}["free_bet"]
    assert (
        advisory["status"] == "warning" and "when is_free_bet is true, do not deduct" in advisory["message"]
    )


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
    expected_exit = 0 if flaw == "refund_does_nothing" else 1
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


async def test_cli_usage_errors_and_unreachable_exit_2(unused_tcp_port):
    done = await _certify_async(f"http://127.0.0.1:{unused_tcp_port}/x")
    assert done.returncode == 2 and "unreachable" in done.stderr
    done = await _certify_async("http://127.0.0.1:1/x", "--tests", "bet,nope")
    assert done.returncode == 2 and "unknown test(s) nope" in done.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "netspace_mock", "certify"], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "--webhook-url" in missing.stderr
