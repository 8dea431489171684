"""The container's entrypoint and health-check commands, run as the Dockerfile states them (no engine here)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> list[str]:
    """The exec-form JSON array of a Dockerfile instruction (HEALTHCHECK: the part after CMD)."""
    line = next(row for row in DOCKERFILE.splitlines() if row.startswith(name + " "))
    return json.loads(line[line.index("[") :])


def image_env() -> dict[str, str]:
    block = re.search(r"^ENV (.+?)(?=^\w)", DOCKERFILE, re.S | re.M).group(1)
    return dict(pair.split("=", 1) for pair in block.replace("\\\n", " ").split())


def resolve(argv: list[str]) -> list[str]:
    """`python` and `netspace-mock` as installed in this environment."""
    scripts = Path(sys.executable).parent
    table = {"python": sys.executable, "netspace-mock": str(scripts / "netspace-mock")}
    return [table.get(argv[0], argv[0]), *argv[1:]]


def test_dockerfile_is_small_non_root_and_configured_by_env():
    lines = [row for row in DOCKERFILE.splitlines() if row.strip() and not row.startswith("#")]
    assert len(lines) <= 25
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.M)
    assert 'VOLUME ["/data"]' in DOCKERFILE and "curl" not in DOCKERFILE
    env = image_env()
    assert env["NETSPACE_MOCK_HOST"] == "0.0.0.0" and env["NETSPACE_MOCK_DB"].startswith("/data/")
    assert instruction("ENTRYPOINT") == ["netspace-mock", "serve"]
    assert instruction("HEALTHCHECK") == ["python", "-m", "netspace_mock.healthcheck"]


@pytest.mark.skipif(shutil.which("true") is None, reason="needs a POSIX system")
def test_entrypoint_serves_and_healthcheck_follows_the_configured_port(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        **image_env(),
        "NETSPACE_MOCK_PORT": str(port),
        "NETSPACE_MOCK_DB": str(tmp_path / "c.db"),
    }
    health = resolve(instruction("HEALTHCHECK"))
    assert subprocess.run(health, env=env, capture_output=True).returncode == 1  # nothing listens yet
    server = subprocess.Popen(
        resolve(instruction("ENTRYPOINT")),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(200):
            if subprocess.run(health, env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the health check never passed")
        other = {**env, "NETSPACE_MOCK_PORT": str(free_port())}
        assert subprocess.run(health, env=other, capture_output=True).returncode == 1
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert server.returncode == 0
    assert f"serving on http://127.0.0.1:{port}" in output and str(tmp_path / "c.db") in output
    assert subprocess.run(health, env=env, capture_output=True).returncode == 1


def test_compose_example_waits_for_the_health_check():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "condition: service_healthy" in compose and "NETSPACE_MOCK_WEBHOOK_URL" in compose
