"""The command line, run as a user runs it: `python -m netspace_mock sign|serve` in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from netspace_mock import __version__, signing
from netspace_mock.cli import main as cli_main
from support import API_KEY, SECRET, banner, clean_env, cli

VECTORS = json.loads((Path(__file__).parent / "data" / "signatures.json").read_text(encoding="utf-8"))
SDK_LAUNCH = next(v for v in VECTORS if v["note"] == "launch as in the SDK quick start")


def parse_sign(stdout: str) -> tuple[dict[str, str], list[str]]:
    head, _, curl = stdout.partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines())
    return headers, shlex.split(curl.strip())


# --- sign ------------------------------------------------------------------------------------------


def test_sign_reproduces_the_sdk_vector(tmp_path):
    v = SDK_LAUNCH
    done = cli("sign", v["method"], v["path"], v["body"], "--timestamp", v["timestamp"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    headers, curl = parse_sign(done.stdout)
    assert headers == {"X-API-Key": API_KEY, "X-Timestamp": v["timestamp"], "X-Signature": v["signature"]}
    signing.verify(
        SECRET, v["timestamp"], v["method"], v["path"], v["body"].encode(), headers["X-Signature"], "either"
    )
    assert curl[:5] == ["curl", "-sS", "-X", "POST", "-H"]
    for name, value in headers.items():
        assert f"{name}: {value}" in curl
    assert curl[curl.index("--data-binary") + 1] == v["body"]
    assert "Content-Type: application/json" in curl
    assert curl[-1] == "http://127.0.0.1:8080/api/game/launch"


def test_sign_with_timestamp_is_deterministic(tmp_path):
    args = ("sign", "GET", "/api/games/catalog?category=lottery&page=1", "--timestamp", "1736937004")
    first, second = cli(*args, cwd=tmp_path), cli(*args, cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    headers, curl = parse_sign(first.stdout)
    # The path alone is signed (the strict form) and the query is sent; --sign-query signs path?query.
    assert headers["X-Signature"] == signing.sign(SECRET, "1736937004", "GET", "/api/games/catalog")
    assert curl[-1] == "http://127.0.0.1:8080/api/games/catalog?category=lottery&page=1"
    assert "--data-binary" not in curl  # a GET has no body
    vector = next(v for v in VECTORS if v["path"].startswith("/api/games/catalog?"))
    with_query = parse_sign(cli(*args, "--sign-query", cwd=tmp_path).stdout)[0]
    assert with_query["X-Signature"] == vector["signature"]


def test_sign_defaults_to_now(tmp_path):
    before = int(time.time())
    done = cli("sign", "get", "/api/game/currencies", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    headers, curl = parse_sign(done.stdout)
    assert before <= int(headers["X-Timestamp"]) <= int(time.time())
    signing.verify(
        SECRET, headers["X-Timestamp"], "GET", "/api/game/currencies", b"", headers["X-Signature"], "path"
    )
    assert curl[3] == "GET"


def test_sign_credentials_from_env_and_flags(tmp_path):
    env = clean_env(NETSPACE_MOCK_API_KEY="env-key", NETSPACE_MOCK_SECRET_KEY="env-secret")
    args = ("sign", "POST", "/api/game/launch-demo", '{"game_id":"lotterix"}', "--timestamp", "1736937000")
    from_env = parse_sign(cli(*args, env=env, cwd=tmp_path).stdout)[0]
    assert from_env["X-API-Key"] == "env-key"
    assert from_env["X-Signature"] == signing.sign(
        "env-secret", "1736937000", "POST", "/api/game/launch-demo", '{"game_id":"lotterix"}'
    )
    flagged = parse_sign(cli(*args, "--secret-key", "flag-secret", env=env, cwd=tmp_path).stdout)[0]
    assert flagged["X-Signature"] == signing.sign(
        "flag-secret", "1736937000", "POST", "/api/game/launch-demo", '{"game_id":"lotterix"}'
    )


def test_sign_reads_the_body_from_stdin(tmp_path):
    body = '{"game_id":"lotterix","note":"ção"}'
    done = cli(
        "sign", "POST", "/api/game/launch-demo", "-", "--timestamp", "1736937000", cwd=tmp_path, stdin=body
    )
    headers, curl = parse_sign(done.stdout)
    assert headers["X-Signature"] == signing.sign(SECRET, "1736937000", "POST", "/api/game/launch-demo", body)
    assert curl[curl.index("--data-binary") + 1] == body


def test_sign_refuses_a_relative_path(tmp_path):
    done = cli("sign", "GET", "api/game/currencies", cwd=tmp_path)
    assert done.returncode == 2
    assert "PATH must start with /" in done.stderr


def test_version(tmp_path):
    done = cli("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, f"netspace-mock {__version__}")


# --- serve -----------------------------------------------------------------------------------------


class Server:
    """`netspace-mock serve` in a subprocess, stopped (SIGTERM, then killed) at the end of the test."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "netspace_mock", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        try:
            found = banner(self.proc)
        except AssertionError as exc:
            self.proc.kill()
            raise AssertionError(f"{exc}; stderr: {self.proc.communicate()[1][-2000:]}") from None
        self.url, self.port = found.group(1), int(found.group(2))

    def wait_healthy(self, limit: float = 10.0) -> dict:
        deadline = time.monotonic() + limit
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as resp:
                    return json.loads(resp.read())
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the server never answered /health"
                assert self.proc.poll() is None, self.proc.stderr.read()
                time.sleep(0.05)

    def request(self, method: str, path: str, body: str = "") -> tuple[int, dict]:
        headers = signing.headers(API_KEY, SECRET, int(time.time()), method, path, body)
        req = urllib.request.Request(
            self.url + path, data=body.encode() or None, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def stop(self, timeout: float = 10.0) -> tuple[int, str, str]:
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def serve(tmp_path):
    started: list[Server] = []

    def start(*args: str, **env: str) -> Server:
        server = Server(*args, env=clean_env(**env), cwd=tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


def test_serve_answers_and_stops_on_sigterm(serve, tmp_path, unused_tcp_port):
    db = tmp_path / "served.db"
    server = serve("--port", str(unused_tcp_port), "--db", str(db))
    assert server.port == unused_tcp_port
    assert server.wait_healthy() == {"status": "ok", "version": __version__}
    body = json.dumps({"session_id": "cli-1", "player_id": "p", "game_id": "lotterix", "currency": "USD"})
    status, answer = server.request("POST", "/api/game/launch", body)
    assert status == 200, answer
    assert answer["game_url"].startswith(f"{server.url}/play/")
    status, answer = server.request("GET", "/api/games/featured")
    assert status == 200 and answer["games"]
    started = time.monotonic()
    code, out, err = server.stop()
    assert code == 0, err
    assert time.monotonic() - started < 5
    assert "shutting down" in out
    assert "Traceback" not in err
    assert db.exists()


def test_a_second_sigterm_ends_a_shutdown_that_waits_and_names_what_was_running(serve, tmp_path):
    # The operator's webhook accepts the connection and never answers: a sandbox bet is in flight, so
    # the shutdown waits for it (up to its grace period). A second SIGTERM does not wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        hook = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        server = serve(
            "--port", "0", "--db", str(tmp_path / "stuck.db"), "--webhook-url", hook, "--webhook-timeout", "60"
        )  # fmt: skip
        server.wait_healthy()
        launch = json.dumps(
            {"session_id": "s-stuck", "player_id": "p", "game_id": "lotterix", "currency": "USD"}
        )
        assert server.request("POST", "/api/game/launch", launch)[0] == 200
        bet = json.dumps({"session_id": "s-stuck", "amount": 0.1})
        in_flight = threading.Thread(
            target=_ignore_errors, args=(server.request, "POST", "/api/sandbox/game/bet", bet)
        )
        in_flight.start()
        time.sleep(0.5)  # the bet is waiting on the webhook
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.proc.poll() is None  # still waiting for the bet
        started = time.monotonic()
        code, out, err = server.stop()
        in_flight.join(10)
    assert code == 2
    assert time.monotonic() - started < 5
    assert "stopping without finishing the shutdown: a second signal came" in err
    assert "still running:" in err
    assert "Traceback" not in err


def _ignore_errors(call, *args):
    with contextlib.suppress(OSError, ValueError):
        call(*args)


def test_serve_on_port_zero_uses_the_port_it_got(serve, tmp_path):
    server = serve("--port", "0", "--db", str(tmp_path / "zero.db"))
    assert server.port != 0
    server.wait_healthy()
    body = json.dumps({"game_id": "lotterix"})
    status, answer = server.request("POST", "/api/game/launch-demo", body)
    assert status == 200
    assert answer["game_url"].startswith(f"{server.url}/play/")
    _, game = server.request("GET", "/api/games/lotterix")
    assert game["game"]["thumbnail_url"] == f"{server.url}/assets/thumbnails/lotterix.svg"
    assert server.stop()[0] == 0


def test_port_from_env_and_flag_overrides_it(serve, tmp_path, unused_tcp_port_factory):
    env_port, flag_port = unused_tcp_port_factory(), unused_tcp_port_factory()
    db = str(tmp_path / "env.db")
    from_env = serve(NETSPACE_MOCK_PORT=str(env_port), NETSPACE_MOCK_DB=db)
    assert from_env.port == env_port
    from_env.wait_healthy()
    assert from_env.stop()[0] == 0
    assert Path(db).exists()

    flagged = serve("--port", str(flag_port), NETSPACE_MOCK_PORT=str(env_port), NETSPACE_MOCK_DB=db)
    assert flagged.port == flag_port
    flagged.wait_healthy()
    assert flagged.stop()[0] == 0

    # A flag wins even over an env value that would not convert: the env is then never read.
    again = serve("--port", str(flag_port), NETSPACE_MOCK_PORT="abc", NETSPACE_MOCK_DB=db)
    assert again.port == flag_port
    assert again.stop()[0] == 0


def _banner_line(server: Server, label: str) -> str:
    """The banner's line of that label, after it. The banner is printed and flushed at once, so its
    lines after the first (which Server has read) are all there already."""
    for _ in range(8):
        line = server.proc.stdout.readline()
        if line.strip().startswith(label):
            return line.split(label, 1)[1].strip()
    raise AssertionError(f"no {label} line in the banner")


def _banner_loop(server: Server) -> str:
    return _banner_line(server, "Event loop")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "/portal (registration open: at most 5 per address an hour)"),
        (("--open-registration", "off"), "/portal (registration closed: --open-registration off)"),
    ],
)
def test_the_banner_says_whether_registration_is_open(serve, tmp_path, args, words):
    server = serve("--port", "0", "--db", str(tmp_path / "banner.db"), *args)
    assert _banner_line(server, "Portal") == server.url + words
    assert server.stop()[0] == 0


def test_the_banner_says_why_registration_is_closed_beyond_loopback():
    from netspace_mock.cli import portal_line
    from netspace_mock.settings import Settings

    line = portal_line(Settings(host="0.0.0.0", port=8080))
    assert line == (
        "  Portal      http://127.0.0.1:8080/portal "
        "(registration closed: not on loopback; --open-registration on opens it)"
    )
    assert "registration open" in portal_line(Settings(host="0.0.0.0", open_registration="on"))


@pytest.mark.parametrize("choice", ["asyncio", "uvloop", "auto"])
def test_serve_runs_on_the_event_loop_it_is_given_and_names_it(serve, tmp_path, choice):
    uvloop = pytest.importorskip("uvloop") if choice != "asyncio" else None
    server = serve("--port", "0", "--db", str(tmp_path / f"{choice}.db"), "--event-loop", choice)
    assert _banner_loop(server) == ("asyncio" if uvloop is None else f"uvloop {uvloop.__version__}")
    server.wait_healthy()
    body = json.dumps({"session_id": "loop-1", "player_id": "p", "game_id": "lotterix", "currency": "USD"})
    assert server.request("POST", "/api/game/launch", body)[0] == 200
    # A sandbox round: the mock calls its reference wallet over HTTP on the same loop, twice.
    status, answer = server.request(
        "POST", "/api/sandbox/game/bet", json.dumps({"session_id": "loop-1", "amount": 1})
    )
    assert status == 200 and answer["round"]["status"] == "settled", answer
    code, out, err = server.stop()
    assert code == 0, err
    assert "Traceback" not in err


def test_without_uvloop_auto_serves_on_asyncio_and_uvloop_is_refused(serve, tmp_path):
    # A `uvloop` that cannot be imported, first on the path: as on a machine where it is not installed.
    missing = tmp_path / "no-uvloop"
    (missing / "uvloop").mkdir(parents=True)
    (missing / "uvloop" / "__init__.py").write_text("raise ImportError('uvloop is not here')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(missing), os.environ.get("PYTHONPATH", "")])}
    server = serve("--port", "0", "--db", str(tmp_path / "auto.db"), **env)
    assert _banner_loop(server) == "asyncio"
    server.wait_healthy()
    assert server.stop()[0] == 0

    done = cli(
        "serve", "--port", "0", "--db", str(tmp_path / "never.db"), "--event-loop", "uvloop",
        env=clean_env(**env), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "event_loop is uvloop, but uvloop is not installed" in done.stderr
    assert "--event-loop asyncio" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "never.db").exists()


def test_invalid_env_port_exits_with_a_clear_message(tmp_path):
    done = cli(
        "serve", "--db", str(tmp_path / "never.db"), env=clean_env(NETSPACE_MOCK_PORT="abc"), cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "netspace-mock: invalid setting: port: expected int, got 'abc'"
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        ((), {"NETSPACE_MOCK_PORT": "70000"}, "invalid setting: port: expected 0-65535, got 70000"),
        (("--port", "abc"), {}, "argument --port: port: expected int, got 'abc'"),
        (("--port", "-1"), {}, "invalid setting: port: expected 0-65535, got -1"),
        (("--signature-path", "query"), {}, "signature_path: expected one of either, path, path_qs"),
        ((), {"NETSPACE_MOCK_TIMESTAMP_TOLERANCE": "5m"}, "timestamp_tolerance: expected int, got '5m'"),
        ((), {"NETSPACE_MOCK_CLOSE_LOST_ROUNDS": "maybe"}, "close_lost_rounds: expected true or false"),
        (
            ("--wallet-test-players", "cert-player"),
            {},
            "wallet_test_players: expected PLAYER:CURRENCY[,PLAYER:CURRENCY...], got 'cert-player'",
        ),
        ((), {"NETSPACE_MOCK_WALLET_TEST_PLAYERS": "a:USD,:EUR"}, "wallet_test_players: expected PLAYER"),
        (("--open-registration", "yes"), {}, "open_registration: expected one of auto, on, off"),
        (
            (),
            {"NETSPACE_MOCK_REGISTRATION_LIMIT": "0"},
            "registration_limit: expected a whole number of 1 or more, got 0",
        ),
    ],
)
def test_invalid_setting_is_refused_before_serving(tmp_path, monkeypatch, capsys, args, env, words):
    """The same checks in-process (faster than a subprocess each): SystemExit with the message."""
    for name in [k for k in os.environ if k.startswith("NETSPACE_MOCK_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        cli_main(["serve", *args, "--db", str(tmp_path / "never.db")])
    shown = capsys.readouterr().err + str(exited.value.code)
    assert exited.value.code == 2  # an error, never 1 ("not certified")
    assert words in shown
    assert "<lambda>" not in shown
    assert not (tmp_path / "never.db").exists()


def test_port_in_use_exits_with_a_clear_message(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("serve", "--port", str(port), "--db", str(tmp_path / "b.db"), cwd=tmp_path)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_strict_says_so_in_the_banner_and_refuses_a_conflicting_flag(serve, tmp_path):
    server = serve("--port", "0", "--db", str(tmp_path / "strict.db"), "--strict")
    assert (
        _banner_line(server, "Checks") == "strict (--strict): what the real platform might refuse is refused"
    )
    assert server.stop()[0] == 0
    done = cli("serve", "--strict", "--signature-path", "either", cwd=tmp_path)
    assert done.returncode == 2
    assert "strict sets signature_path to path, but it is also given as either" in done.stderr
