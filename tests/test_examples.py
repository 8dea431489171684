"""The signed-call examples in examples/ (PHP, Java) run against the mock, each when its toolchain exists.

The toolchains run as subprocesses while the mock serves in this process's event loop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PHP, JAVAC, JAVA = shutil.which("php"), shutil.which("javac"), shutil.which("java")

needs_php = pytest.mark.skipif(PHP is None, reason="php is not on PATH (apt-get install php-cli to run it)")
needs_java = pytest.mark.skipif(
    JAVAC is None or JAVA is None, reason="javac and java (JDK 17+) are not both on PATH"
)


async def run(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"{argv[0]} ran longer than {timeout} s") from None
    return proc.returncode, out.decode(), err.decode()


def mock_env(client, secret: str = "sandbox-secret-key") -> dict[str, str]:
    return {
        "NETSPACE_MOCK_URL": str(client.client.make_url("")),  # with a trailing slash: tolerated
        "NETSPACE_API_KEY": "sandbox-api-key",
        "NETSPACE_SECRET_KEY": secret,
    }


def assert_succeeded(client, code: int, out: str, err: str) -> None:
    assert code == 0, f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    lines = out.splitlines()
    assert "GET /api/games/featured -> 200" in lines
    assert "POST /api/game/launch -> 200" in lines
    base = str(client.client.make_url("")).rstrip("/")
    game_url = next(line for line in lines if line.startswith("game_url: "))
    assert game_url.removeprefix("game_url: ").startswith(base + "/play/")


def assert_refused(code: int, out: str, err: str) -> None:
    assert code != 0, out
    assert "GET /api/games/featured -> 401" in out.splitlines()
    assert "UNAUTHORIZED" in err and "signature mismatch" in err


@pytest.fixture
async def java_classes(tmp_path) -> Path:
    classes = tmp_path / "classes"
    code, out, err = await run(JAVAC, "-d", str(classes), str(EXAMPLES / "java" / "SignedCall.java"))
    assert code == 0, f"javac failed:\n{out}\n{err}"
    return classes


@needs_java
async def test_java_example(client, java_classes):
    result = await run(JAVA, "-cp", str(java_classes), "SignedCall", env=mock_env(client))
    assert_succeeded(client, *result)


@needs_java
async def test_java_example_exits_non_zero_when_refused(client, java_classes):
    assert_refused(*await run(JAVA, "-cp", str(java_classes), "SignedCall", env=mock_env(client, "wrong")))


@needs_php
async def test_php_example(client):
    result = await run(PHP, str(EXAMPLES / "php" / "signed_call.php"), env=mock_env(client))
    assert_succeeded(client, *result)


@needs_php
async def test_php_example_exits_non_zero_when_refused(client):
    result = await run(PHP, str(EXAMPLES / "php" / "signed_call.php"), env=mock_env(client, "wrong"))
    assert_refused(*result)
