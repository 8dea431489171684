"""What the tests of the quick starts and the stand-in SDKs share: where the toolchains are (and the skip
markers for when they are not), a subprocess run that must succeed, and the environment the quick starts
get (the base URL only).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SDKS = ROOT / "sdks"
API_KEY, SECRET_KEY = "your-api-key", "your-secret-key"  # the guide's quick starts' own

PHP, COMPOSER, JAVAC, JAVA, NODE = (shutil.which(t) for t in ("php", "composer", "javac", "java", "node"))


def _node_major() -> int:
    if NODE is None:
        return 0
    found = re.match(r"v(\d+)", subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout)
    return int(found.group(1)) if found else 0


needs_node = pytest.mark.skipif(_node_major() < 18, reason="node 18+ (the global fetch) is not on PATH")
needs_php = pytest.mark.skipif(PHP is None, reason="php is not on PATH (apt-get install php-cli to run it)")
needs_composer = pytest.mark.skipif(
    PHP is None or COMPOSER is None, reason="php and composer are not both on PATH (apt-get install composer)"
)
needs_java = pytest.mark.skipif(
    JAVAC is None or JAVA is None, reason="javac and java (JDK 17+) are not both on PATH"
)


async def outcome(
    *argv, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """Run a command to its end with this process's environment plus `env`: exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        *map(str, argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"{argv[0]} ran longer than {timeout} s") from None
    return proc.returncode, out.decode(), err.decode()


async def run(*argv, env: dict[str, str], cwd: Path | None = None, timeout: float = 120) -> str:
    """The same, for a command that must exit 0: its output."""
    code, out, err = await outcome(*argv, env=env, cwd=cwd, timeout=timeout)
    assert code == 0, f"{argv} exited {code}\nstdout:\n{out}\n{err}"
    return out


def only_the_base_url(mock) -> dict[str, str]:
    # With a trailing slash, as a copied address often has: the SDKs tolerate it.
    return {"NETSPACE_API_URL": str(mock.client.make_url(""))}
