"""A first run as the README tells it: serve, the banner's hint, certify against the built-in wallet,
and every error of the command line as one line with exit code 2 (1 means only "not certified")."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from netspace_mock.cli import command_name
from support import GIVEN_ONLY, clean_env, cli

SCRIPT = Path(sys.executable).parent / "netspace-mock"  # the console script of this environment
needs_script = pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT}")


class Banner:
    """`serve` started by `argv`; its banner read up to the hint, stopped at the end of the test."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*argv, "serve", "--port", "0", "--db", str(cwd / "mock.db")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
        )
        self.lines: list[str] = []
        watchdog = threading.Timer(10, self.proc.kill)  # bounded: a banner that never comes ends the read
        watchdog.start()
        try:
            while not self.lines or not self.lines[-1].startswith("  Try:"):
                line = self.proc.stdout.readline()
                if not line:
                    _, err = self.proc.communicate()
                    raise AssertionError(f"no hint in the banner: {self.lines} {err}")
                self.lines.append(line.rstrip("\n"))
            if "Secret key  (set; not shown)" in "\n".join(self.lines):
                self.lines.append(self.proc.stdout.readline().rstrip("\n"))  # the line on the secret
        finally:
            watchdog.cancel()
        self.url = re.search(r"serving on (\S+)", self.lines[0]).group(1)

    @property
    def hint(self) -> list[str]:
        """The hint's command, as a shell would split it."""
        line = next(line for line in self.lines if line.startswith("  Try:"))
        return shlex.split(line.removeprefix("  Try:"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()


@pytest.fixture
def banner(tmp_path):
    started: list[Banner] = []

    def start(argv: list[str], cwd: Path = tmp_path, **env: str) -> Banner:
        server = Banner(argv, cwd, clean_env(**env))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def run_hint(hint: list[str], cwd: Path, **env: str) -> tuple[int, dict]:
    """Run the printed `sign` command where the user stands, then send the request its curl line shows."""
    done = subprocess.run(hint, capture_output=True, text=True, cwd=cwd, env=clean_env(**env), timeout=30)
    assert done.returncode == 0, done.stderr
    curl = shlex.split(done.stdout.partition("\n\n")[2])
    headers = dict(curl[i + 1].split(": ", 1) for i, word in enumerate(curl) if word == "-H")
    request = urllib.request.Request(curl[-1], headers=headers, method=curl[curl.index("-X") + 1])
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# --- the banner's hint ----------------------------------------------------------------------------


@needs_script
def test_the_hint_names_the_command_by_the_path_it_was_started_by(banner, tmp_path):
    relative = os.path.relpath(SCRIPT, tmp_path)  # as `make run` starts .venv/bin/netspace-mock
    path_without_it = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != SCRIPT.parent
    )
    server = banner([relative], PATH=path_without_it)
    port = server.url.rsplit(":", 1)[1]
    assert server.hint == [relative, "sign", "--port", port, "GET", "/api/games/featured"]
    status, answer = run_hint(server.hint, tmp_path, PATH=path_without_it)
    assert status == 200 and answer["success"] is True, answer


def test_started_with_python_m_the_hint_is_python_m(banner, tmp_path):
    server = banner([sys.executable, "-m", "netspace_mock"])
    assert server.hint[:3] in (["python", "-m", "netspace_mock"], [sys.executable, "-m", "netspace_mock"])
    hint = [sys.executable, *server.hint[1:]]  # the same interpreter, whatever PATH's python is
    status, answer = run_hint(hint, tmp_path)
    assert status == 200 and answer["games"], answer


def test_a_custom_secret_is_not_printed_and_the_hint_says_how_to_pass_it(banner, tmp_path):
    server = banner(
        [sys.executable, "-m", "netspace_mock"],
        NETSPACE_MOCK_SECRET_KEY="s3cret-of-mine",
        NETSPACE_MOCK_API_KEY="op-1",
    )
    shown = "\n".join(server.lines)
    assert "s3cret-of-mine" not in shown
    assert "--api-key op-1" in shown
    assert (
        server.lines[-1].strip()
        == "with your secret key: add --secret-key KEY, or set NETSPACE_MOCK_SECRET_KEY"
    )
    hint = [sys.executable, *server.hint[1:]]
    status, answer = run_hint(hint, tmp_path)
    assert (status, answer["error"]["code"]) == (401, "UNAUTHORIZED")  # as printed, it lacks the secret
    status, answer = run_hint(hint, tmp_path, NETSPACE_MOCK_SECRET_KEY="s3cret-of-mine")
    assert status == 200, answer
    status, answer = run_hint([*hint[:-2], "--secret-key", "s3cret-of-mine", *hint[-2:]], tmp_path)
    assert status == 200, answer


def test_command_name_is_the_bare_name_when_path_finds_that_program(tmp_path, monkeypatch):
    program = tmp_path / "bin" / "netspace-mock"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(program.parent))
    assert command_name(str(program), sys.executable) == "netspace-mock"
    other = tmp_path / "elsewhere" / "netspace-mock"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    assert command_name(str(other), sys.executable) == str(other)  # PATH finds another one
    assert command_name("./my dir/netspace-mock", sys.executable) == "'./my dir/netspace-mock'"


# --- sign -------------------------------------------------------------------------------------------


def test_sign_help_speaks_of_the_server_it_signs_for(tmp_path):
    done = cli("sign", "--help", cwd=tmp_path, env=clean_env(COLUMNS="200"))
    assert done.returncode == 0
    text = done.stdout
    assert "address to listen on" not in text and "port to listen on" not in text
    assert "host of the running mock the request is for" in text
    assert "port of the running mock the request is for" in text


def test_sign_warns_when_the_path_lacks_the_api_prefix(tmp_path):
    done = cli("sign", "GET", "/games/featured", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.strip() == (
        "netspace-mock sign: warning: /games/featured has no /api prefix; the platform's routes and "
        "their signatures include it (e.g. /api/games/featured)"
    )
    assert done.stdout.strip().endswith("http://127.0.0.1:8080/games/featured")  # still signed as asked
    for path in ("/api/games/featured", "/api/sandbox/game/balance?session_id=s1"):
        done = cli("sign", "GET", path, cwd=tmp_path)
        assert (done.returncode, done.stderr) == (0, "")


# --- certify against the built-in wallet, on the first try -----------------------------------------


def test_certify_against_a_fresh_mocks_built_in_wallet_passes_first_time(banner, tmp_path):
    server = banner([sys.executable, "-m", "netspace_mock"])
    done = cli(
        "certify", "--webhook-url", f"{server.url}/operator/webhook", "--player-id", "cert-player",
        "--currency", "USD", "--json", str(tmp_path / "run.json"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CERTIFIED: all 7 required tests passed" in done.stdout
    run = json.loads((tmp_path / "run.json").read_text())
    assert [r["test"] for r in run["results"] + run["advisories"] if r["status"] != "passed"] == GIVEN_ONLY
    assert {r["status"] for r in run["advisories"] if r["test"] in GIVEN_ONLY} == {"skipped"}


# --- every error: one line, exit code 2 ---------------------------------------------------------------


def one_line_error(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert words in done.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:99999/hook", "is not a valid URL: Port out of range 0-65535"),
        ("http://[::1/hook", "is not a valid URL: Invalid IPv6 URL"),
        ("http:///hook", "names no host"),
        ("ftp://127.0.0.1/hook", "--webhook-url must be an http(s) URL"),
    ],
)
def test_certify_with_a_malformed_webhook_url_exits_2(tmp_path, url, words):
    done = cli("certify", "--webhook-url", url, "--player-id", "p", "--currency", "USD", cwd=tmp_path)
    one_line_error(done, words)


def test_certify_errors_exit_2_never_1(banner, tmp_path):
    server = banner([sys.executable, "-m", "netspace_mock"])
    hook = f"{server.url}/operator/webhook"
    base = ["certify", "--webhook-url", hook, "--player-id", "cert-player", "--currency", "USD"]
    done = cli(
        *base, "--tests", "balance", "--junit", str(tmp_path / "no" / "such" / "dir.xml"), cwd=tmp_path
    )
    one_line_error(done, f"cannot write the --junit file {tmp_path / 'no' / 'such' / 'dir.xml'}")
    done = cli(*base, cwd=tmp_path, env=clean_env(NETSPACE_MOCK_WEBHOOK_TIMEOUT="soon"))
    one_line_error(done, "invalid setting: webhook_timeout: expected float, got 'soon'")
    server.stop()
    done = cli(*base, cwd=tmp_path)
    one_line_error(done, "the webhook is unreachable")


def test_serve_on_a_file_that_is_not_a_database_exits_2(tmp_path):
    (tmp_path / "notes.db").write_text("not SQLite\n")
    done = cli("serve", "--port", "0", "--db", str(tmp_path / "notes.db"), cwd=tmp_path)
    one_line_error(done, f"cannot open the database {tmp_path / 'notes.db'}: file is not a database")
    assert (tmp_path / "notes.db").read_text() == "not SQLite\n"


def test_an_unexpected_error_is_one_line_and_exit_2(tmp_path):
    # A body on standard input that is not text: nothing checks for it, the catch-all reports it.
    done = subprocess.run(
        [sys.executable, "-m", "netspace_mock", "sign", "POST", "/api/game/launch", "-"],
        input=b"\xff\xfe{}",
        capture_output=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=30,
    )
    done = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())
    one_line_error(done, "netspace-mock sign: unexpected error: Unicode")
