"""The package as a user gets it: the sdist and the wheel built, each installed (not editable) into a fresh
virtual environment outside the checkout, then run from another folder: `--version`, `serve`, `certify`
against the built-in wallet, the README's pytest-plugin example as an outsider's test, `python -m`.

An editable install reads the checkout and would hide a file missing from the package; this does not.
pip resolves the dependencies from its cache (or the package index).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from netspace_mock import __version__, signing

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# Copied to build from, so that building writes nothing into the checkout (setuptools writes an egg-info).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.db", "*.db-*", ".peers", "results",
    ".pytest_cache", ".ruff_cache", "screenshots", "node_modules",
)  # fmt: skip
# What the code reads at run time, by the package's own layout: every one must be in both artifacts.
DATA = ("data", "store/migrations", "web/static", "web/templates")
PLUGIN_EXAMPLE_WEBHOOK = "http://127.0.0.1:3000/netspace/webhook"


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing that points Python, pytest or the mock at this checkout."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("NETSPACE_MOCK_")}
    return {**env, **extra}


def run(*argv: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, cwd=cwd, env=user_env(), timeout=timeout
    )
    assert done.returncode == 0, f"{argv} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """`python -m build`: the sdist, then the wheel built from that sdist (so the sdist is proven too)."""
    base = tmp_path_factory.mktemp("dist")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    run(sys.executable, "-m", "build", "--outdir", base / "out", source, cwd=base)
    (wheel,) = (base / "out").glob("netspace_mock-*.whl")
    (sdist,) = (base / "out").glob("netspace_mock-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def data_files() -> set[str]:
    package = ROOT / "netspace_mock"
    return {
        f"netspace_mock/{path.relative_to(package).as_posix()}"
        for folder in DATA
        for path in (package / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_and_the_sdist_hold_the_fixtures_schemas_and_assets(dist):
    expected = data_files()
    assert {"netspace_mock/data/fixtures/games.json", "netspace_mock/data/schemas/error.json"} <= expected
    assert len([n for n in expected if n.startswith("netspace_mock/data/schemas/")]) >= 40
    in_wheel = set(zipfile.ZipFile(dist["wheel"]).namelist())
    assert expected - in_wheel == set()
    assert not [n for n in in_wheel if n.startswith(("fixtures/", "schemas/", "tests/"))]
    # The stand-in SDKs (sdks/) are distributions of their own: the mock's wheel must never carry the
    # Python one's `netspace` package, which would shadow the real SDK.
    assert not [n for n in in_wheel if n.startswith(("netspace/", "sdks/"))]
    with tarfile.open(dist["sdist"]) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert expected - in_sdist == set()


@pytest.fixture(scope="module", params=["wheel", "sdist"])
def installed(request, dist, tmp_path_factory) -> Path:
    """A fresh venv with the artifact (and pytest, for the plugin example) installed; its bin folder."""
    home = tmp_path_factory.mktemp(f"user-{request.param}")
    venv.create(home / "venv", with_pip=True)
    bin_dir = home / "venv" / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", dist[request.param], "pytest", cwd=home)
    return bin_dir


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A folder of the user's, with nothing of the checkout in it."""
    folder = tmp_path / "somewhere-else"
    folder.mkdir()
    return folder


def test_version_and_python_m(installed, elsewhere):
    assert run(installed / "netspace-mock", "--version", cwd=elsewhere).stdout.strip() == (
        f"netspace-mock {__version__}"
    )
    done = run(installed / "python", "-m", "netspace_mock", "--version", cwd=elsewhere)
    assert done.stdout.strip() == f"netspace-mock {__version__}"
    # The installed copy is the one that runs, not this checkout.
    where = run(
        installed / "python", "-c", "import netspace_mock; print(netspace_mock.__file__)", cwd=elsewhere
    )
    assert str(installed.parent) in where.stdout and str(ROOT) not in where.stdout


class Serving:
    """`netspace-mock serve` of the installed package, on a free port, from the user's folder."""

    def __init__(self, bin_dir: Path, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [str(bin_dir / "netspace-mock"), "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=user_env(),
        )
        watchdog = threading.Timer(30, self.proc.kill)  # bounded: a banner that never comes ends the read
        watchdog.start()
        first = self.proc.stdout.readline()
        watchdog.cancel()
        found = re.search(r"serving on (http://\S+)", first)
        assert found, f"no banner: {first!r} {self.proc.communicate()[1] if not first else ''}"
        self.url = found.group(1)

    def call(self, method: str, path: str, body: dict | None = None, signed: bool = True) -> dict:
        data = json.dumps(body).encode() if body is not None else b""
        headers = signing.headers(
            "sandbox-api-key", "sandbox-secret-key", int(time.time()), method, path, data
        )
        request = urllib.request.Request(
            self.url + path, data=data or None, method=method, headers=headers if signed else {}
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200
            return json.loads(resp.read())

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=20)
        return err


def test_serve_and_certify_from_another_folder(installed, elsewhere):
    server = Serving(installed, elsewhere)
    try:
        assert server.call("GET", "/health", signed=False)["status"] == "ok"
        catalog = server.call("GET", "/api/games/catalog")
        assert {g["id"] for g in catalog["games"]} >= {"lotterix"}
        launch = {"session_id": "s1", "player_id": "p1", "game_id": "lotterix", "currency": "USD"}
        assert server.call("POST", "/api/game/launch", launch)["game_url"].startswith(server.url + "/play/")
        bet = server.call(
            "POST",
            "/api/sandbox/game/bet",
            {"session_id": "s1", "amount": 1, "outcome": "win", "win_amount": 2},
        )
        assert bet["round"]["status"] == "settled", bet
        assert server.call("GET", "/schemas/error.json", signed=False)["$id"].endswith("/error.json")
        certify = run(
            installed / "netspace-mock", "certify", "--webhook-url", f"{server.url}/operator/webhook",
            "--player-id", "cert-player", "--currency", "USD", cwd=elsewhere,
        )  # fmt: skip
        assert "CERTIFIED: all 7 required tests passed" in certify.stdout
    finally:
        err = server.stop()
    assert server.proc.returncode == 0 and "Traceback" not in err, err
    assert (elsewhere / "netspace-mock.db").exists()  # its state where the user stands


def plugin_example() -> str:
    """The README's complete pytest-plugin test, as a user copies it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it in your tests", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


async def test_the_readme_plugin_example_passes_as_an_outsiders_test(installed, elsewhere, wallet):
    example = plugin_example()
    assert PLUGIN_EXAMPLE_WEBHOOK in example
    # The example's wallet listens on port 3000; here it is the test's own wallet, on the port it got.
    (elsewhere / "test_my_wallet.py").write_text(example.replace(PLUGIN_EXAMPLE_WEBHOOK, wallet.url))
    proc = await asyncio.create_subprocess_exec(
        str(installed / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_wallet.py",
        cwd=elsewhere, env=user_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, out.decode()
    assert "1 passed" in out.decode()
    assert [c["payload"]["action_type"] for c in wallet.calls] == ["balance", "bet", "win", "balance"]
