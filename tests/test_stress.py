"""`netspace-mock stress`: the plan, the ledger's reconciliation (a table), runs against the reference
wallet and the tests' Wallet (honest, losing updates, slow), and the command's exit codes and files."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest

from netspace_mock.app import create_app
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids
from netspace_mock.stress import plan as plans
from netspace_mock.stress.command import play
from netspace_mock.stress.ledger import Entry, Observed, check, reconcile
from netspace_mock.stress.plan import Mix
from netspace_mock.stress.record import Config
from netspace_mock.stress.runner import Pace
from support import API_KEY, SECRET
from wallets import Wallet, serve

D = Decimal
FAULTS = "bet_timeout=5,duplicate_win=5,retry_win=5,interleave=30"


def config(url: str, rounds: int = 200, players: int = 10, **changes) -> Config:
    settings = Settings(api_key=API_KEY, secret_key=SECRET, webhook_backoff=0.01, webhook_timeout=2.0)
    base = dict(
        url=url,
        api_key=API_KEY,
        secret=SECRET,
        currency="USD",
        players=tuple(f"stress-player-{n}" for n in range(1, players + 1)),
        rounds=rounds,
        duration=None,
        concurrency=8,
        rate=None,
        mix=Mix.parse(FAULTS),
        seed=42,
        settings=settings,
    )
    base.update(changes)
    return Config(**base)


# ------------------------------------------------------------------------------------------- the plan


def test_a_seed_plays_the_same_plan_and_another_seed_another():
    players = ["a", "b", "c"]
    mix = Mix.parse(FAULTS)
    first = list(plans.turns(7, players, "USD", mix, 300))
    assert first == list(plans.turns(7, players, "USD", mix, 300))
    assert first != list(plans.turns(8, players, "USD", mix, 300))
    rounds = [r for t in first for r in t.rounds]
    assert len(rounds) == 300 and [r.index for r in rounds] == list(range(300))
    assert all(len({r.player_id for r in t.rounds}) == 1 for t in first)
    assert any(len(t.rounds) == 2 and [r.session for r in t.rounds] == [1, 2] for t in first)
    # A win scenario is never drawn for a round that sends no win.
    assert not [
        r
        for r in rounds
        if r.scenario in ("duplicate_win", "retry_win") and r.outcome in ("refund", "rollback")
    ]


def test_stakes_follow_the_currency():
    jpy = [r for t in plans.turns(1, ["a"], "JPY", Mix(), 50) for r in t.rounds]
    assert all(r.amount == r.amount.to_integral_value() and 10 <= r.amount <= 500 for r in jpy)
    usd = [r for t in plans.turns(1, ["a"], "USD", Mix(), 50) for r in t.rounds]
    assert all(D("0.10") <= r.amount <= D("5.00") and r.amount.as_tuple().exponent == -2 for r in usd)


@pytest.mark.parametrize(
    "text, message",
    [
        ("win", "expected NAME=SHARE"),
        ("jackpot=5", "expected NAME=SHARE"),
        ("win=x", "is not a number"),
        ("win=101", "between 0 and 100"),
        ("win=0,lose=0,refund=0,rollback=0", "at least one"),
        ("bet_timeout=60,retry_win=50", "at most 100"),
    ],
)
def test_a_bad_mix_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        Mix.parse(text)


# ------------------------------------------------------------------------------------------ the ledger


def entry(key, value, starts, settles, final=None, action="bet"):
    return Entry(
        key,
        "p",
        action,
        f"t{key}",
        f"r{key}",
        D(value),
        D(value if final is None else final),
        starts,
        settles,
    )


def seen(balance, sent, answered, key=None, also=None):
    return Observed(
        "p", "bet", None if key is None else f"t{key}", None, sent, answered, D(balance), key, also
    )


START = D("100")
# (entries, the answer, reconciles): events are numbered in the order the driver saw them.
LEDGER = [
    # one bet of 5, answered 95: right; 96: a cent-level error is caught as any other.
    ([entry(1, "-5", 1, 2)], seen("95", 1, 2, 1), True),
    ([entry(1, "-5", 1, 2)], seen("96", 1, 2, 1), False),
    # a settled bet then a win of 3 answered on its own.
    ([entry(1, "-5", 1, 2), entry(2, "3", 3, 4, action="win")], seen("98", 3, 4, 2), True),
    ([entry(1, "-5", 1, 2), entry(2, "3", 3, 4, action="win")], seen("95", 3, 4, 2), False),
    # another round's bet in flight while this win was: either side of it is right, nothing else.
    ([entry(1, "-5", 1, 6), entry(2, "3", 2, 3, action="win")], seen("103", 2, 3, 2), True),
    ([entry(1, "-5", 1, 6), entry(2, "3", 2, 3, action="win")], seen("98", 2, 3, 2), True),
    ([entry(1, "-5", 1, 6), entry(2, "3", 2, 3, action="win")], seen("100", 2, 3, 2), False),
    # a bet whose answer was lost (final 0 once its rollback settles at 6): before it, either way.
    ([entry(1, "-5", 1, 6, final="0"), entry(2, "3", 3, 4, action="win")], seen("98", 3, 4, 2), True),
    ([entry(1, "-5", 1, 6, final="0"), entry(2, "3", 3, 4, action="win")], seen("103", 3, 4, 2), True),
    # after the rollback settled, the bet is gone either way.
    ([entry(1, "-5", 1, 6, final="0"), entry(2, "3", 7, 8, action="win")], seen("103", 7, 8, 2), True),
    ([entry(1, "-5", 1, 6, final="0"), entry(2, "3", 7, 8, action="win")], seen("98", 7, 8, 2), False),
    # the rollback's own answer: the bet reverted.
    ([entry(1, "-5", 1, 6, final="0")], seen("100", 5, 6, 1), True),
    # a repeated win answering the balance its first answer gave, after another bet: allowed by `also`.
    ([entry(1, "3", 1, 2, action="win"), entry(2, "-1", 3, 4)], seen("102", 5, 6, 1, also=D("103")), True),
    ([entry(1, "3", 1, 2, action="win"), entry(2, "-1", 3, 4)], seen("103", 5, 6, 1, also=D("103")), True),
    # a win never delivered: it may or may not be in the final balance.
    ([entry(1, "3", 1, None, action="win")], seen("100", 5, 6), True),
    ([entry(1, "3", 1, None, action="win")], seen("103", 5, 6), True),
    ([entry(1, "3", 1, None, action="win")], seen("106", 5, 6), False),
    # the final balance: every settled entry.
    ([entry(1, "-5", 1, 2), entry(2, "7", 3, 4, action="win")], seen("102", 9, 10), True),
    ([entry(1, "-5", 1, 2), entry(2, "7", 3, 4, action="win")], seen("95", 9, 10), False),
]


@pytest.mark.parametrize("entries, observed, reconciles", LEDGER)
def test_the_ledger_allows_exactly_the_balances_some_order_explains(entries, observed, reconciles):
    assert check(START, entries, observed).ok is reconciles


def test_reconcile_names_the_first_answer_where_the_wallet_parts():
    entries = [entry(1, "-5", 1, 2), entry(2, "3", 3, 4, action="win"), entry(3, "-2", 5, 6)]
    answers = [seen("95", 1, 2, 1), seen("97", 3, 4, 2), seen("95", 5, 6, 3)]
    result = reconcile("p", START, entries, answers, seen("95", 7, 8))
    assert not result.reconciled and result.expected == D("96")
    assert result.first_discrepancy.observed.transaction_id == "t2"
    assert result.first_discrepancy.expected == D("98")
    good = [seen("95", 1, 2, 1), seen("98", 3, 4, 2), seen("96", 5, 6, 3)]
    assert reconcile("p", START, entries, good, seen("96", 7, 8)).reconciled


# ------------------------------------------------------------------------------------------ the runs


async def reference_wallet(aiohttp_server, tmp_path, players: int = 10) -> str:
    """The mock's reference wallet on port 0, its stress players created as test players."""
    listed = ",".join(f"stress-player-{n}:USD" for n in range(1, players + 1))
    settings = Settings(db=str(tmp_path / "wallet.db"), seed=5, wallet_test_players=listed, port=0)
    server = await aiohttp_server(create_app(settings, clock=Clock(), ids=Ids(5)))
    return str(server.make_url("/operator/webhook"))


def check_reconciled(report: dict) -> None:
    assert report["errors"]["by_kind"] == [] or not report["errors"]["mishandled"], report["errors"]
    assert report["reconciliation"]["reconciled"], report["reconciliation"]["discrepancies"]
    assert report["passed"]


async def test_500_rounds_with_faults_reconcile_against_the_reference_wallet(aiohttp_server, tmp_path):
    url = await reference_wallet(aiohttp_server, tmp_path)
    report = await play(config(url, rounds=500))
    check_reconciled(report)
    assert report["rounds"]["played"] == 500
    faults = report["rounds"]["faults"]
    assert {"bet_timeout", "duplicate_win", "retry_win", "interleave"} <= set(faults)
    assert report["rounds"]["by_status"]["rolled_back"] >= faults["bet_timeout"]


@pytest.mark.slow
async def test_10000_rounds_with_faults_reconcile_to_the_cent(aiohttp_server, tmp_path):
    url = await reference_wallet(aiohttp_server, tmp_path, players=20)
    report = await play(config(url, rounds=10_000, players=20, concurrency=16))
    check_reconciled(report)
    assert report["rounds"]["played"] == 10_000
    assert report["reconciliation"]["players_reconciled"] == 20
    assert min(report["rounds"]["faults"].values()) > 100


async def test_the_traffic_follows_the_delivery_policy(aiohttp_server):
    wallet = Wallet()
    url = await serve(aiohttp_server, wallet)
    report = await play(config(url, rounds=300, mix=Mix.parse(FAULTS + ",interleave=60")))
    check_reconciled(report)
    assert wallet.problems == [] and wallet.max_overlap == 1  # calls of one round never overlap
    bets = Counter(p["transaction_id"] for p in wallet.of("bet"))
    assert set(bets.values()) == {1}  # a bet is never sent twice
    rolled_back = {p["transaction_id"] for p in wallet.of("rollback")}
    assert len(rolled_back) >= report["rounds"]["faults"]["bet_timeout"] and rolled_back <= set(bets)
    wins = Counter(p["transaction_id"] for p in wallet.of("win"))
    repeated = report["rounds"]["faults"]["duplicate_win"] + report["rounds"]["faults"]["retry_win"]
    assert sum(n - 1 for n in wins.values()) == repeated
    # The same win again is the same bytes.
    raws: dict[str, set[bytes]] = {}
    for call in wallet.calls:
        if call["payload"]["action_type"] == "win":
            raws.setdefault(call["payload"]["transaction_id"], set()).add(call["raw"])
    assert all(len(bodies) == 1 for bodies in raws.values())


async def test_a_wallet_answering_500_to_a_bet_gets_a_rollback_and_the_run_fails(aiohttp_server):
    wallet = Wallet()
    url = await serve(aiohttp_server, wallet)
    wallet.fail("bet", "http500")
    wallet.fail("win", "http500")
    report = await play(config(url, rounds=50, mix=Mix.parse("bet_timeout=0,duplicate_win=0,retry_win=0")))
    assert report["reconciliation"]["reconciled"]  # nothing was booked twice or lost
    kinds = {k["kind"]: k for k in report["errors"]["by_kind"]}
    assert kinds["bet transport_error"]["mishandled"] and kinds["win transport_error"]["count"] == 1
    assert not report["passed"]
    failed_bet = next(
        c["payload"]["transaction_id"] for c in wallet.calls if c["payload"]["action_type"] == "bet"
    )
    assert failed_bet in {p["transaction_id"] for p in wallet.of("rollback")}


async def test_a_wallet_that_loses_updates_is_caught_with_the_transaction_where_it_parts(aiohttp_server):
    wallet = Wallet(["lost_updates"])
    url = await serve(aiohttp_server, wallet)
    report = await play(config(url, rounds=200, players=4, mix=Mix.parse("interleave=100")))
    assert not report["passed"] and not report["reconciliation"]["reconciled"]
    off = report["reconciliation"]["discrepancies"][0]
    key = (off["player_id"], "USD")
    assert off["answered_balance"] == wallet.balances[key] != off["expected_balance"]
    first = off["first_discrepancy"]
    assert first["transaction_id"] and first["answered_balance"] != first["expected_balance"]
    assert first["action"] in ("bet", "win", "refund", "rollback")


async def test_a_slow_wallet_shows_in_every_percentile(aiohttp_server):
    wallet = Wallet(["slow:0.05"])
    url = await serve(aiohttp_server, wallet)
    report = await play(config(url, rounds=40, mix=Mix.parse("bet_timeout=0,duplicate_win=0,retry_win=0")))
    check_reconciled(report)
    for action, figures in report["calls"]["latency_ms"].items():
        assert figures["p50"] >= 50 and figures["p99"] >= 50, (action, figures)


# ------------------------------------------------------------------------------------------ the command


async def stress_cli(*args: str) -> tuple[int, str, str]:
    """The command in a process of its own, while this test's loop goes on serving the wallet."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "netspace_mock",
        "stress",
        "--api-key",
        API_KEY,
        "--secret-key",
        SECRET,
        "--webhook-backoff",
        "0.01",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


async def test_the_command_exits_0_with_its_json_and_junit(aiohttp_server, tmp_path):
    url = await serve(aiohttp_server, Wallet())
    files = ["--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml")]
    code, out, err = await stress_cli(
        "--webhook-url", url, "--rounds", "60", "--players", "3", "--seed", "9", *files
    )
    assert code == 0, out + err
    assert "RECONCILED: 60 rounds" in out and "--seed 9 plays it again" in out
    assert "rounds 60/60 " in err  # the progress line, at the end in a log that is not a terminal
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["seed"] == 9 and report["passed"] is True and report["rounds"]["played"] == 60
    assert {"bet", "win", "balance"} <= set(report["calls"]["latency_ms"])
    assert set(report["calls"]["latency_ms"]["bet"]) == {"count", "p50", "p90", "p99", "p99.9", "max"}
    assert [p["player_id"] for p in report["reconciliation"]["players"]] == [
        f"stress-player-{n}" for n in (1, 2, 3)
    ]
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert (
        suite.get("name") == "netspace-stress" and suite.get("tests") == "4" and suite.get("failures") == "0"
    )
    again = tmp_path / "again.json"
    code, _, _ = await stress_cli(
        "--webhook-url", url, "--rounds", "60", "--players", "3", "--seed", "9", "--json", str(again)
    )
    assert code == 0 and json.loads(again.read_text())["plan_digest"] == report["plan_digest"]


async def test_the_command_exits_1_when_a_cent_is_off(aiohttp_server, tmp_path):
    url = await serve(aiohttp_server, Wallet(["lost_updates"]))
    junit = tmp_path / "r.xml"
    code, out, err = await stress_cli(
        "--webhook-url",
        url,
        "--rounds",
        "100",
        "--players",
        "2",
        "--mix",
        "interleave=100",
        "--junit",
        str(junit),
    )
    assert code == 1, out + err
    assert "NOT RECONCILED" in out and "first parting:" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert int(suite.get("failures")) >= 1
    assert suite.find("testcase/failure").get("type") == "Discrepancy"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--currency", "XXX"], "unknown currency"),
        (["--rounds", "0"], "--rounds must be between"),
        (["--rounds", "100001"], "--rounds must be between"),
        (["--duration", "601"], "--duration must be"),
        (["--concurrency", "0"], "--concurrency must be"),
        (["--mix", "win=x"], "is not a number"),
        (["--players", "0"], "--players must be"),
    ],
)
async def test_the_command_exits_2_on_a_usage_error(args, message):
    code, _, err = await stress_cli("--webhook-url", "http://127.0.0.1:9/hook", *args)
    assert code == 2 and message in err


async def test_the_command_calls_only_hosts_the_mock_would_call():
    code, _, err = await stress_cli("--webhook-url", "http://169.254.169.254/latest", "--rounds", "1")
    assert code == 2 and "link-local" in err
    code, _, err = await stress_cli("--webhook-url", "http://93.184.215.14/hook", "--rounds", "1")
    assert code == 2 and "webhook_allowed_hosts" in err


async def test_the_command_exits_2_when_the_wallet_does_not_know_the_players(aiohttp_server, tmp_path):
    url = await serve(aiohttp_server, Wallet(players={"someone-else": "USD"}))
    code, _, err = await stress_cli("--webhook-url", url, "--rounds", "5")
    assert code == 2 and "PLAYER_NOT_FOUND" in err
    code, _, err = await stress_cli("--webhook-url", "http://127.0.0.1:9/hook", "--rounds", "5")
    assert code == 2 and "unreachable" in err


async def test_players_come_from_a_file(aiohttp_server, tmp_path):
    wallet = Wallet()
    url = await serve(aiohttp_server, wallet)
    (tmp_path / "players.txt").write_text("# our test players\nalice\nbob\n\n")
    code, out, err = await stress_cli(
        "--webhook-url", url, "--rounds", "20", "--players-file", str(tmp_path / "players.txt")
    )
    assert code == 0, out + err
    assert {p["player_id"] for p in wallet.of("bet")} == {"alice", "bob"}


async def test_duplicate_transaction_to_a_win_counts_as_delivered(aiohttp_server):
    wallet = Wallet()
    url = await serve(aiohttp_server, wallet)
    wallet.fail("win", *["duplicate"] * 30)  # booked, then answered DUPLICATE_TRANSACTION
    no_faults = Mix.parse("refund=0,rollback=0,bet_timeout=0,duplicate_win=0,retry_win=0,interleave=0")
    report = await play(config(url, rounds=30, players=3, mix=no_faults))
    check_reconciled(report)
    assert len(wallet.of("win")) == 30  # none retried
    kinds = {k["kind"]: k for k in report["errors"]["by_kind"]}
    assert kinds["win business_error DUPLICATE_TRANSACTION"] == {
        "kind": "win business_error DUPLICATE_TRANSACTION",
        "count": 30,
        "mishandled": False,
        "example": "duplicate transaction",
    }


async def test_a_duration_bounds_the_run(aiohttp_server):
    url = await serve(aiohttp_server, Wallet(["slow:0.02"]))
    report = await play(config(url, rounds=100_000, duration=0.3, concurrency=2))
    check_reconciled(report)
    assert 0 < report["rounds"]["played"] < 100_000


async def test_a_rate_spaces_the_rounds_starts():
    pace = Pace(1000.0)
    await pace.wait()
    first = pace.next
    for _ in range(4):
        await pace.wait()
    assert pace.next >= first + 4 / 1000 - 1e-9  # never faster than the rate (later when the loop is busy)
    unpaced = Pace(None)
    await unpaced.wait()
    assert unpaced.next == 0.0
