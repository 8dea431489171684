"""The examples of examples/ (PHP, Java, the JavaScript quick start) run against the mock, each when its
toolchain exists.

The toolchains run as subprocesses while the mock serves in this process's event loop.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from netspace_mock import settings
from toolchains import outcome

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PHP, JAVAC, JAVA, NODE = (shutil.which(tool) for tool in ("php", "javac", "java", "node"))


def _node_major() -> int:
    if NODE is None:
        return 0
    found = re.match(r"v(\d+)", subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout)
    return int(found.group(1)) if found else 0


needs_php = pytest.mark.skipif(PHP is None, reason="php is not on PATH (apt-get install php-cli to run it)")
needs_java = pytest.mark.skipif(
    JAVAC is None or JAVA is None, reason="javac and java (JDK 17+) are not both on PATH"
)
needs_node = pytest.mark.skipif(_node_major() < 18, reason="node 18+ (the global fetch) is not on PATH")


def mock_env(client, secret: str = "sandbox-secret-key") -> dict[str, str]:
    return {
        "NETSPACE_API_URL": str(client.client.make_url("")),  # with a trailing slash: tolerated
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
    code, out, err = await outcome(JAVAC, "-d", str(classes), str(EXAMPLES / "java" / "SignedCall.java"))
    assert code == 0, f"javac failed:\n{out}\n{err}"
    return classes


@needs_java
async def test_java_example(client, java_classes):
    result = await outcome(JAVA, "-cp", str(java_classes), "SignedCall", env=mock_env(client))
    assert_succeeded(client, *result)


@needs_java
async def test_java_example_exits_non_zero_when_refused(client, java_classes):
    assert_refused(
        *await outcome(JAVA, "-cp", str(java_classes), "SignedCall", env=mock_env(client, "wrong"))
    )


@needs_php
async def test_php_example(client):
    result = await outcome(PHP, str(EXAMPLES / "php" / "signed_call.php"), env=mock_env(client))
    assert_succeeded(client, *result)


@needs_php
async def test_php_example_exits_non_zero_when_refused(client):
    result = await outcome(PHP, str(EXAMPLES / "php" / "signed_call.php"), env=mock_env(client, "wrong"))
    assert_refused(*result)


def js_quick_start() -> str:
    """The JavaScript block of examples/README.md, exactly as a reader copies it."""
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```js\n(.*?)```", readme, re.S)
    return block


@needs_node
async def test_js_quick_start_runs_as_written_on_node(client, tmp_path):
    # As the README says: the SDK saved from the mock as netspace-sdk.cjs, the block as quickstart.mjs.
    async with client.client.get("/sdk/netspace-sdk.js") as resp:
        assert resp.status == 200
        (tmp_path / "netspace-sdk.cjs").write_bytes(await resp.read())
    (tmp_path / "quickstart.mjs").write_text(js_quick_start(), encoding="utf-8")
    code, out, err = await outcome(NODE, "quickstart.mjs", env=mock_env(client), cwd=tmp_path)
    assert code == 0, f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert "lotterix" in out.splitlines()[0]
    base = str(client.client.make_url("")).rstrip("/")
    assert out.splitlines()[1].startswith(f"game_url: {base}/play/")


@needs_node
async def test_js_quick_start_exits_non_zero_when_refused(client, tmp_path):
    async with client.client.get("/sdk/netspace-sdk.js") as resp:
        (tmp_path / "netspace-sdk.cjs").write_bytes(await resp.read())
    (tmp_path / "quickstart.mjs").write_text(js_quick_start(), encoding="utf-8")
    code, out, err = await outcome(NODE, "quickstart.mjs", env=mock_env(client, "wrong"), cwd=tmp_path)
    assert code != 0 and "game_url" not in out
    assert "UNAUTHORIZED" in err or "signature mismatch" in err, err


# The operator side's variables; every other NETSPACE_* name in the docs must be a setting of the mock.
CLIENT_VARIABLES = {"NETSPACE_API_URL", "NETSPACE_API_KEY", "NETSPACE_SECRET_KEY"}
# Read by the test suite only (test_quickstarts.py: where the guide is).
TEST_VARIABLES = {"NETSPACE_API_GUIDE"}


def test_one_set_of_environment_variable_names_across_the_docs_examples_and_compose():
    root = EXAMPLES.parent
    files = [root / "README.md", root / "docker-compose.yml", *sorted((root / "docs").glob("*.md"))]
    files += sorted(p for p in EXAMPLES.rglob("*") if p.is_file())
    known = CLIENT_VARIABLES | TEST_VARIABLES | {settings.env_name(f) for f in settings.fields()}
    known |= {settings.ENV_PREFIX}
    for path in files:
        names = set(re.findall(r"\bNETSPACE_[A-Z_]+\b", path.read_text(encoding="utf-8")))
        assert names <= known, f"{path.relative_to(root)}: {sorted(names - known)}"
    for example in ("php/signed_call.php", "java/SignedCall.java", "README.md"):
        text = (EXAMPLES / example).read_text(encoding="utf-8")
        assert all(name in text for name in CLIENT_VARIABLES), example
