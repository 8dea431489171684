"""The guide's four quick starts (JavaScript, PHP, Python, Java) run as written against a live mock.

Each lives in examples/quickstarts/ inside the little host it is written for (a page, a web handler), with
the guide's code between two marker lines; the copy check compares that code with the guide's text when the
guide is found beside the checkout. The mock is started with the keys the quick starts print
(`your-api-key`, `your-secret-key`), and each quick start gets only NETSPACE_API_URL. The toolchains run as
subprocesses while the mock serves in this process's event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import aiohttp
import pytest

from support import recorded_warnings
from toolchains import (
    API_KEY,
    COMPOSER,
    JAVA,
    JAVAC,
    NODE,
    PHP,
    ROOT,
    SDKS,
    SECRET_KEY,
    needs_composer,
    needs_java,
    needs_node,
    needs_php,
    only_the_base_url,
    run,
)

QUICKSTARTS = ROOT / "examples" / "quickstarts"
# The guide beside the checkout (as the signature vectors are), or where NETSPACE_API_GUIDE says.
GUIDE = Path(os.environ.get("NETSPACE_API_GUIDE") or ROOT.parent / "shared" / "netspace-api-guide.txt")
HOSTS = {
    "javascript": QUICKSTARTS / "javascript" / "quickstart.mjs",
    "php": QUICKSTARTS / "php" / "index.php",
    "python": QUICKSTARTS / "python" / "quickstart.py",
    "java": QUICKSTARTS / "java" / "QuickStart.java",
}
BEGIN, END = "---- the guide's quick start, as printed ----", "---- end of the guide's quick start ----"


def guide_quick_starts() -> dict[str, str]:
    """The guide's four quick-start blocks, in its order: JavaScript, PHP, Python, Java."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"\nQuick Start\n\n(.*?)\n\n(?=Installation|SDK Features)", text, re.S)
    assert len(blocks) == 4, f"{GUIDE}: {len(blocks)} quick starts found"
    return dict(zip(["javascript", "php", "python", "java"], blocks, strict=True))


def quick_start_in(host: Path) -> str:
    """The code between the marker lines of a host file, with the indentation of its function removed."""
    lines = host.read_text(encoding="utf-8").splitlines()
    (begin,) = [i for i, line in enumerate(lines) if line.strip().endswith(BEGIN)]
    (end,) = [i for i, line in enumerate(lines) if line.strip().endswith(END)]
    return textwrap.dedent("\n".join(lines[begin + 1 : end]))


@pytest.mark.parametrize("language", HOSTS)
def test_each_host_holds_one_quick_start_with_the_quick_starts_keys(language):
    code = quick_start_in(HOSTS[language])
    assert f"'{API_KEY}'" in code or f'"{API_KEY}"' in code
    assert "session-123" in code and "lotterix" in code
    # The base URL is not in the code: the SDK reads it from the environment.
    assert "NETSPACE_API_URL" not in code and "127.0.0.1:8080" not in code


@pytest.mark.parametrize("language", HOSTS)
def test_each_copy_is_the_guides_text(language):
    if not GUIDE.exists():
        pytest.skip(f"the guide is not beside this checkout ({GUIDE}); NETSPACE_API_GUIDE may point at it")
    assert quick_start_in(HOSTS[language]) == guide_quick_starts()[language]


# ---- running them -----------------------------------------------------------------------------


@pytest.fixture
async def mock(make_client):
    """A live mock on its own port that knows the quick starts' keys, strict (every lenient form refused)."""
    return await make_client(api_key=API_KEY, secret_key=SECRET_KEY, strict=True)


async def assert_launched(mock, game_url: str) -> None:
    """The quick start launched session-123 of player-456, and its game_url is a page the mock serves."""
    base = str(mock.client.make_url("")).rstrip("/")
    assert game_url.startswith(base + "/play/"), game_url
    async with mock.client.get(game_url.removeprefix(base)) as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        assert "lotterix" in (await resp.text()).lower()
    # The session is the quick start's: its player is player-456, so another player is refused.
    body = {
        "session_id": "session-123",
        "player_id": "someone-else",
        "game_id": "lotterix",
        "currency": "USD",
    }
    _, answer = await mock.post("/api/game/launch", body)
    assert answer["error"]["code"] == "INVALID_SESSION", answer
    body["player_id"] = "player-456"
    await mock.post("/api/game/launch", body, expect=200)
    assert await recorded_warnings(mock) == []


def location(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("302 Location: ")]
    return line.removeprefix("302 Location: ")


@needs_node
async def test_javascript_quick_start(mock):
    out = await run(NODE, HOSTS["javascript"], env=only_the_base_url(mock))
    (line,) = [line for line in out.splitlines() if line.startswith("iframe: ")]
    await assert_launched(mock, line.removeprefix("iframe: "))


async def serve_php(page: Path, env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """`php -S` serving the quick start's page, once it says it has started."""
    proc = await asyncio.create_subprocess_exec(
        PHP, "-S", f"127.0.0.1:{port}", page.name,
        cwd=page.parent, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    seen = []
    while not any("started" in line for line in seen):
        line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
        assert line, f"php -S ended: {''.join(seen)}"
        seen.append(line)
    return proc


async def run_php_page(mock, page: Path, port: int) -> str:
    """Serve the page, ask it as a browser would; its redirect's target."""
    server = await serve_php(page, only_the_base_url(mock), port)
    try:
        async with (
            aiohttp.ClientSession() as browser,
            browser.get(f"http://127.0.0.1:{port}/", allow_redirects=False) as resp,
        ):
            text = await resp.text()
            assert resp.status == 302, f"{resp.status}: {text[:2000]}"
            return resp.headers["Location"]
    finally:
        server.kill()
        await server.wait()


@needs_php
async def test_php_quick_start_with_the_sdks_own_autoloader(mock, unused_tcp_port):
    # No vendor/ beside the checkout's page: it requires sdks/php/autoload.php.
    assert not (HOSTS["php"].parent / "vendor").exists()
    await assert_launched(mock, await run_php_page(mock, HOSTS["php"], unused_tcp_port))


@needs_composer
async def test_php_quick_start_installed_with_composer_require(mock, tmp_path, unused_tcp_port):
    # A project of the user's: the example's composer.json (this checkout's sdks/php as a path repository,
    # Packagist off), then the guide's own line, `composer require netspace/sdk`.
    project = tmp_path / "project"
    project.mkdir()
    manifest = json.loads((HOSTS["php"].parent / "composer.json").read_text(encoding="utf-8"))
    manifest["repositories"][0]["url"] = str(SDKS / "php")
    del manifest["require"]
    (project / "composer.json").write_text(json.dumps(manifest, indent=4), encoding="utf-8")
    shutil.copy(HOSTS["php"], project / "index.php")
    composer_env = {
        "COMPOSER_HOME": str(tmp_path / "composer-home"),
        "COMPOSER_ALLOW_SUPERUSER": "1",
        "COMPOSER_NO_INTERACTION": "1",
        "COMPOSER_DISABLE_NETWORK": "1",
    }
    await run(COMPOSER, "require", "--no-progress", "netspace/sdk", env=composer_env, cwd=project)
    installed = json.loads((project / "vendor" / "composer" / "installed.json").read_text(encoding="utf-8"))
    assert [(p["name"], p["version"]) for p in installed["packages"]] == [("netspace/sdk", "1.0.0")]
    await assert_launched(mock, await run_php_page(mock, project / "index.php", unused_tcp_port))


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory) -> Path:
    """The stand-in SDK and the quick start's host, compiled."""
    classes = tmp_path_factory.mktemp("java") / "classes"
    sources = [*sorted((SDKS / "java" / "src").rglob("*.java")), HOSTS["java"]]
    done = subprocess.run([JAVAC, "-d", classes, *sources], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"javac failed:\n{done.stdout}\n{done.stderr}"
    return classes


@needs_java
async def test_java_quick_start(mock, java_classes):
    out = await run(JAVA, "-cp", java_classes, "QuickStart", env=only_the_base_url(mock))
    await assert_launched(mock, location(out))


def test_the_mocks_own_environment_has_no_netspace_module():
    # The stand-in SDK is a distribution of its own (sdks/python): the mock's install never provides
    # `netspace`, so it cannot shadow the real SDK where both are installed.
    done = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; print(u.find_spec('netspace'))"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "None"


async def test_python_quick_start_with_the_sdk_on_the_path(mock, tmp_path):
    env = {**only_the_base_url(mock), "PYTHONPATH": str(SDKS / "python")}
    out = await run(sys.executable, HOSTS["python"], env=env, cwd=tmp_path)
    await assert_launched(mock, location(out))


@pytest.mark.slow
async def test_python_quick_start_with_the_sdk_installed_by_pip(mock, tmp_path):
    # A fresh venv, `pip install` of a copy of sdks/python (a build writes into its source folder).
    source = tmp_path / "netspace-sdk-standin"
    shutil.copytree(
        SDKS / "python", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    clean = {"PYTHONPATH": "", "VIRTUAL_ENV": ""}
    await run(python, "-m", "pip", "install", "--quiet", source, env=clean, cwd=tmp_path, timeout=600)
    listed = await run(
        python, "-m", "pip", "show", "--files", "netspace-sdk-standin", env=clean, cwd=tmp_path
    )
    assert "netspace/__init__.py" in listed
    out = await run(python, HOSTS["python"], env={**clean, **only_the_base_url(mock)}, cwd=tmp_path)
    await assert_launched(mock, location(out))
