"""The terminal verbs, run as a user runs them: `python -m netspace_mock VERB` in a subprocess, against a
mock served by `netspace-mock serve --port 0 --strict` in another (so a verb sending a lenient form is
refused, not only warned), and the test's wallet on port 0 where a test scripts the webhook's answers."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys

import pytest

from netspace_mock.client import AsyncNetspaceSDK, NetspaceError
from support import API_KEY, BANNER, SECRET, clean_env, free_port

LIMIT = 60  # seconds any one subprocess may take: never hang the suite


class Mock:
    """`netspace-mock serve --port 0` with its own database; `url` from its banner."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc, self.url = proc, url

    def client(self, api_key: str = API_KEY, secret: str = SECRET) -> AsyncNetspaceSDK:
        return AsyncNetspaceSDK(api_key, secret, self.url)


@pytest.fixture
async def serve(tmp_path):
    started: list[asyncio.subprocess.Process] = []

    async def start(*args: str, **env: str) -> Mock:
        banner = tmp_path / f"banner-{len(started)}.txt"
        with banner.open("w") as out:
            port = () if "NETSPACE_MOCK_PORT" in env else ("--port", "0")
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "netspace_mock", "serve", *port,
                "--db", str(tmp_path / f"mock-{len(started)}.db"), "--strict", *args,
                stdout=out, stderr=asyncio.subprocess.DEVNULL, env=clean_env(**env),
            )  # fmt: skip
        started.append(proc)
        for _ in range(200):  # 10 s at most
            found = BANNER.search(banner.read_text())
            if found:
                return Mock(proc, found.group(1))
            assert proc.returncode is None, "serve exited"
            await asyncio.sleep(0.05)
        raise AssertionError("serve printed no banner within 10 s")

    yield start
    for proc in started:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 15)


async def verb(mock: Mock | None, *args: str, **env: str) -> tuple[int, str, str]:
    """One verb to its end: exit code, stdout, stderr. NETSPACE_API_URL names the mock unless env says."""
    if mock is not None:
        env.setdefault("NETSPACE_API_URL", mock.url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "netspace_mock", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=clean_env(**env),
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), LIMIT)
    return proc.returncode, out.decode(), err.decode()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


async def needs(mock: Mock, path: str) -> None:
    """Skip unless the mock has this route (another part of the API, not in every build)."""
    async with mock.client() as client:
        try:
            await client.request("GET", path)
        except NetspaceError as exc:
            if (exc.status, exc.code) == (404, "NOT_FOUND") and "no route" in exc.message:
                pytest.skip(f"needs GET {path}")


# --- play, rounds show -----------------------------------------------------------------------------


async def test_play_launches_the_session_once_and_prints_each_rounds_deliveries(serve):
    mock = await serve()
    code, out, err = await verb(
        mock, "play", "--session", "s1", "--player", "p1", "--rounds", "2", "--outcome", "win",
        "--win-amount", "2.5",
    )  # fmt: skip
    assert code == 0, err
    assert "launched session s1 for player p1 (lotterix, USD)" in err
    heads = [line for line in out.splitlines() if " round round_" in line]
    assert len(heads) == 2 and heads[0].startswith("[1/2] ") and heads[1].startswith("[2/2] ")
    assert all("settled" in h and "outcome win 2.5" in h and "player p1" in h for h in heads)
    assert len(re.findall(r"^  bet:txn_\w+ +1 +acknowledged +1 ", out, re.M)) == 2
    assert len(re.findall(r"^  win:txn_\w+ +2\.5 +acknowledged +1 ", out, re.M)) == 2

    # The session exists now: played as it is (its player stays p1), nothing launched.
    code, out, err = await verb(mock, "play", "--session", "s1", "--player", "other", "--json")
    assert code == 0, err
    assert "launched" not in err
    (rnd,) = json_lines(out)
    assert (rnd["player_id"], rnd["session_id"]) == ("p1", "s1")
    async with mock.client() as client:
        assert (await client.get_round(rnd["round_id"]))["round"]["status"] == rnd["status"]


async def test_play_runs_a_fault_scenario_and_rounds_show_prints_its_attempts(serve):
    mock = await serve()
    code, out, err = await verb(mock, "play", "--scenario", "bet_timeout", "--json")
    assert code == 0, err
    (rnd,) = json_lines(out)
    assert rnd["scenario"]["name"] == "bet_timeout" and rnd["status"] == "rolled_back"

    code, out, err = await verb(mock, "rounds", "show", rnd["round_id"], "--json")
    assert code == 0, err
    (shown,) = json_lines(out)
    assert shown["round"]["round_id"] == rnd["round_id"]
    assert [(a["action_type"], a["attempt"]) for a in shown["attempts"]] == [("bet", 1), ("rollback", 1)]

    code, out, err = await verb(mock, "rounds", "show", rnd["round_id"])
    assert code == 0, err
    assert out.startswith(f"round {rnd['round_id']}  rolled_back  ")
    assert "scenario bet_timeout (applied)" in out
    txn = rnd["bet"]["transaction_id"]
    assert f"  bet:{txn}" in out and f"  rollback:{txn}" in out
    assert "webhook attempts (2):" in out
    assert re.search(r"^  \d+ +\S+ +rollback +1 +200 +ok ", out, re.M)


async def test_usage_and_api_errors_have_their_exit_codes(serve):
    mock = await serve()
    code, out, err = await verb(mock, "rounds", "show", "round_nope")
    assert (code, out) == (1, "")
    assert err.strip() == "netspace-mock rounds show: NOT_FOUND (HTTP 404): round 'round_nope' does not exist"
    code, _, err = await verb(mock, "play", "--scenario", "meteor")
    assert code == 2 and "invalid choice: 'meteor'" in err
    code, _, err = await verb(mock, "play", "--amount", "-1")
    assert code == 2 and "expected an amount above 0" in err
    code, _, err = await verb(mock, "play", "--outcome", "refund", "--scenario", "retry_win")
    assert (
        code == 1
        and "INVALID_REQUEST (HTTP 400): $.scenario: retry_win needs a round that sends a win" in err
    )
    assert "Traceback" not in err


# --- connection: the same settings and variables as serve and sign -------------------------------


async def test_credentials_and_url_come_from_flags_and_the_variables_serve_reads(serve):
    port = free_port()
    mock = await serve("--api-key", "k-1", "--secret-key", "s-1", NETSPACE_MOCK_PORT=str(port))
    assert mock.url == f"http://127.0.0.1:{port}"
    # No NETSPACE_API_URL: the URL is the one NETSPACE_MOCK_PORT gives serve; the keys from the variables.
    same = {
        "NETSPACE_MOCK_PORT": str(port),
        "NETSPACE_MOCK_API_KEY": "k-1",
        "NETSPACE_MOCK_SECRET_KEY": "s-1",
    }
    code, out, err = await verb(None, "play", "--json", **same)
    assert code == 0, err
    assert json_lines(out)[0]["status"] == "settled"
    # A flag wins over its variable.
    code, _, err = await verb(None, "play", "--secret-key", "wrong", **same)
    assert code == 1 and "UNAUTHORIZED (HTTP 401)" in err
    code, _, err = await verb(None, "play", "--url", mock.url, "--api-key", "k-1", "--secret-key", "s-1")
    assert code == 0, err
    # The sandbox operator's defaults are not this mock's keys.
    code, _, err = await verb(mock, "play")
    assert code == 1 and "UNAUTHORIZED" in err


async def test_no_mock_at_the_url_is_exit_code_2_in_one_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = await verb(None, "rounds", "show", "r1", "--url", url)
    assert (code, out) == (2, "")
    assert err.startswith(f"netspace-mock rounds show: cannot reach the mock at {url}: ")
    assert len(err.strip().splitlines()) == 1


# --- resend ----------------------------------------------------------------------------------------


async def test_resend_gives_a_failed_win_one_more_attempt_by_delivery_id_or_transaction_id(serve, wallet):
    mock = await serve("--webhook-url", wallet.url, "--webhook-retries", "1")
    wallet.fail("win", "http500", "http500")
    code, out, err = await verb(
        mock, "play", "--rounds", "2", "--outcome", "win", "--win-amount", "2", "--json"
    )
    assert code == 0, err
    first, second = json_lines(out)
    assert first["win"]["status"] == second["win"]["status"] == "failed"

    code, out, err = await verb(mock, "resend", f"win:{first['win']['transaction_id']}")
    assert code == 0, err
    assert out.startswith(f"resent win:{first['win']['transaction_id']}:\nround {first['round_id']}  settled")
    assert re.search(rf"^  win:{first['win']['transaction_id']} +2 +acknowledged +2 ", out, re.M)

    code, out, err = await verb(
        mock, "resend", second["win"]["transaction_id"], "--json"
    )  # bare: one win has it
    assert code == 0, err
    assert json_lines(out)[0]["round"]["win"]["status"] == "acknowledged"
    assert [p["transaction_id"] for p in wallet.of("win")].count(second["win"]["transaction_id"]) == 2

    code, _, err = await verb(mock, "resend", f"win:{first['win']['transaction_id']}")
    assert code == 1 and "only a failed delivery can be resent; this one is acknowledged" in err
    code, _, err = await verb(mock, "resend", "txn_nope")
    assert code == 1 and "no win, refund or rollback delivery has transaction_id 'txn_nope'" in err
    code, _, err = await verb(mock, "resend", "win:")
    assert code == 2 and "no transaction id after win:" in err


# --- reset, freebets, jackpot ----------------------------------------------------------------------


async def test_reset_deletes_the_rounds_it_lists(serve):
    mock = await serve()
    code, out, _ = await verb(mock, "play", "--json")
    rnd = json_lines(out)[0]
    code, out, err = await verb(mock, "reset")
    assert code == 0, err
    assert re.match(r"reset: \d+ rows deleted", out)
    assert re.search(r"^rounds +1$", out, re.M)
    code, out, err = await verb(mock, "reset", "--json")
    assert code == 0 and json_lines(out)[0]["reset"]["rounds"] == 0
    code, _, err = await verb(mock, "rounds", "show", rnd["round_id"])
    assert code == 1 and "NOT_FOUND" in err


async def test_freebets_assign_status_cancel_and_jackpot_set(serve):
    mock = await serve()
    assert (await verb(mock, "play", "--player", "fb-player"))[0] == 0  # launches the player
    code, out, err = await verb(
        mock, "freebets", "assign", "--player", "fb-player", "--amount", "5", "--currency", "usd",
        "--expires-in", "2h", "--id", "op-fb-1", "--json",
    )  # fmt: skip
    assert code == 0, err
    fb = json_lines(out)[0]["free_bet"]
    assert (fb["operator_free_bet_id"], fb["amount"], fb["currency"], fb["status"]) == (
        "op-fb-1",
        5,
        "USD",
        "active",
    )
    async with mock.client() as client:
        now = (await client.get_clock())["clock"]["now"]
    assert fb["expires_at"][:13] > now[:13]  # two hours on, to the hour

    code, out, err = await verb(mock, "freebets", "status", fb["netspace_free_bet_id"])
    assert code == 0, err
    assert re.search(rf"^free bet +{fb['netspace_free_bet_id']}$", out, re.M)
    assert re.search(r"^status +active$", out, re.M) and "assigned" in out

    code, out, err = await verb(
        mock, "freebets", "cancel", fb["netspace_free_bet_id"], "--reason", "test over"
    )
    assert code == 0, err
    assert re.search(r"^status +cancelled$", out, re.M) and re.search(
        r"^cancel reason +test over$", out, re.M
    )
    code, _, err = await verb(mock, "freebets", "status", "fb_ns_nope")
    assert code == 1 and "NOT_FOUND" in err

    code, out, err = await verb(mock, "jackpot", "set", "5000", "usd")
    assert code == 0, err
    assert out.startswith("lotterix jackpot  5000 USD  (updated ")
    code, out, err = await verb(mock, "jackpot", "set", "12.5", "EUR", "--json")
    assert json_lines(out)[0]["jackpot"]["amount"] == 12.5
    code, _, err = await verb(mock, "jackpot", "set", "5", "XXX")
    assert code == 1 and "INVALID_REQUEST" in err
    code, _, err = await verb(mock, "jackpot", "set", "0", "USD")
    assert code == 2


# --- tail ------------------------------------------------------------------------------------------


class Tail:
    """`netspace-mock tail ARGS` running, its lines read as they come, ended with SIGINT."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    @classmethod
    async def start(cls, mock: Mock, *args: str) -> Tail:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "netspace_mock", "tail", *args, "--interval", "0.1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=clean_env(NETSPACE_API_URL=mock.url),
        )  # fmt: skip
        # Following once it says so: the cursor is set, whatever happens next is printed.
        said = await asyncio.wait_for(proc.stderr.readline(), LIMIT)
        assert b"following" in said, said
        return cls(proc)

    async def until(self, count: int) -> list[str]:
        """The first `count` lines it prints."""
        while len(self.lines) < count:
            line = await asyncio.wait_for(self.proc.stdout.readline(), LIMIT)
            assert line, f"tail ended early: {(await self.proc.stderr.read()).decode()}"
            self.lines.append(line.decode().rstrip("\n"))
        return self.lines[:count]

    async def interrupt(self) -> tuple[int, list[str], str]:
        self.proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(self.proc.communicate(), LIMIT)
        return self.proc.returncode, self.lines + out.decode().splitlines(), err.decode()


async def play_round(mock: Mock, session: str = "tail-s", **bet) -> dict:
    """A round played through the API, as the operator's backend would."""
    async with mock.client() as client:
        await client.sandbox_launch(
            session_id=session, player_id="tail-p", game_id="lotterix", currency="USD"
        )
        return (await client.sandbox_bet(session_id=session, amount=1, **bet))["round"]


async def test_tail_follows_a_round_and_ends_on_ctrl_c_with_code_0(serve):
    mock = await serve()
    await play_round(mock, "before")  # before tail starts: not shown
    tail = await Tail.start(mock)
    rnd = await play_round(mock, outcome="win", win_amount=3)
    bet, win = await tail.until(2)
    for line, action in ((bet, "bet"), (win, "win")):
        assert re.match(rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{{3}}  webhook  {action} +#1  200  ok ", line)
        assert f"round {rnd['round_id']}" in line and f"txn {rnd[action]['transaction_id']}" in line
    await play_round(mock, outcome="lose")
    await tail.until(4)
    code, lines, err = await tail.interrupt()
    assert code == 0, err
    assert "Traceback" not in err
    assert len(lines) == 4  # each attempt once, none from before the start
    assert [re.search(r"webhook  (\w+)", line).group(1) for line in lines] == ["bet", "win", "bet", "win"]


async def test_tail_json_lines_filters_and_last(serve, wallet):
    mock = await serve("--webhook-url", wallet.url, "--webhook-backoff", "0.1")
    first = await play_round(mock, outcome="win", win_amount=2)
    tail = await Tail.start(mock, "--json", "--action", "win", "--last", "1")
    wallet.fail("win", "http500")  # the next win fails once and is retried
    second = await play_round(mock, outcome="win", win_amount=2)
    shown = [json.loads(line)["webhook_attempt"] for line in await tail.until(3)]
    code, lines, err = await tail.interrupt()
    assert code == 0, err
    assert len(lines) == 3
    assert [(a["round_id"], a["attempt"], a["outcome"]) for a in shown] == [
        (first["round_id"], 1, "ok"),  # --last 1: the latest win before the start
        (second["round_id"], 1, "transport_error"),
        (second["round_id"], 2, "ok"),
    ]
    assert shown[1]["response"]["status"] == 500 and shown[1]["action_type"] == "win"


async def test_tail_waits_out_a_restart_of_the_mock_and_goes_on(serve, tmp_path):
    port = str(free_port())
    db = str(tmp_path / "kept.db")
    mock = await serve("--db", db, NETSPACE_MOCK_PORT=port)
    tail = await Tail.start(mock)
    await play_round(mock, outcome="lose")
    await tail.until(2)
    mock.proc.terminate()
    assert await asyncio.wait_for(mock.proc.wait(), LIMIT) == 0
    said = await asyncio.wait_for(tail.proc.stderr.readline(), LIMIT)
    assert b"the mock does not answer" in said and b"still trying" in said
    again = await serve("--db", db, NETSPACE_MOCK_PORT=port)  # the same port and database
    rnd = await play_round(again, outcome="lose")
    lines = await tail.until(4)
    assert f"round {rnd['round_id']}" in lines[2] and f"round {rnd['round_id']}" in lines[3]
    code, lines, err = await tail.interrupt()
    assert code == 0, err
    assert "the mock answers again" in err
    assert len(lines) == 4


async def test_tail_requests_follows_the_request_journal(serve):
    mock = await serve()
    await needs(mock, "/api/sandbox/requests")
    tail = await Tail.start(mock, "--requests", "--json")
    await play_round(mock)
    entries = [json.loads(line)["request"] for line in await tail.until(2)]
    code, lines, err = await tail.interrupt()
    assert code == 0, err
    assert [(e["method"], e["path"].partition("?")[0], e["status"]) for e in entries] == [
        ("POST", "/api/sandbox/game/launch", 200),
        ("POST", "/api/sandbox/game/bet", 200),
    ]
    assert not any("/api/sandbox/requests" in line for line in lines)  # its own polls are left out
    assert len({json.loads(line)["request"]["id"] for line in lines}) == len(lines)


# --- webhook set / show ----------------------------------------------------------------------------


async def test_webhook_set_points_the_operator_at_a_url_and_show_prints_it(serve, wallet):
    mock = await serve()
    await needs(mock, "/api/sandbox/webhook")
    code, out, err = await verb(mock, "webhook", "show")
    assert code == 0, err
    assert out.startswith("webhook  ")  # unset (the reference wallet answers), however the API says it
    code, out, err = await verb(mock, "webhook", "set", wallet.url)
    assert code == 0, err
    assert out.strip() == f"webhook  {wallet.url}"
    code, out, _ = await verb(mock, "webhook", "show", "--json")
    assert json_lines(out) == [{"webhook_url": wallet.url, "calls_go_to": wallet.url}]
    assert (await verb(mock, "play"))[0] == 0
    assert [p["action_type"] for p in wallet.of("bet")] == ["bet"]
    code, _, err = await verb(mock, "webhook", "set", "ftp://example.invalid/hook")
    assert code == 1 and "netspace-mock webhook set: " in err  # refused, as the API words it


def test_every_verb_has_help(tmp_path):
    from support import cli

    done = cli("--help", cwd=tmp_path)
    for name in ("tail", "play", "rounds", "resend", "reset", "webhook", "freebets", "jackpot"):
        assert name in done.stdout
    for args in (("rounds", "show"), ("webhook", "set"), ("freebets", "assign"), ("jackpot", "set")):
        done = cli(*args, "--help", cwd=tmp_path)
        assert done.returncode == 0 and "--url" in done.stdout and "NETSPACE_API_URL" in done.stdout
