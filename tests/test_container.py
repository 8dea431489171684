"""The Dockerfile's shape, and its entrypoint and health-check commands run here as it states them.

Building and running the image itself needs root and podman: `make image-test` (tools/image-test.sh).
"""

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
    """The final stage's ENV, with $PATH expanded as the engine would (here: this machine's PATH)."""
    block = re.search(r"^ENV (.+?)(?=^\w)", DOCKERFILE, re.S | re.M).group(1)
    pairs = dict(pair.split("=", 1) for pair in block.replace("\\\n", " ").split())
    return {name: value.replace("$PATH", os.environ["PATH"]) for name, value in pairs.items()}


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


def test_base_image_is_a_build_argument_defaulting_to_a_small_official_python():
    assert re.search(r"^ARG BASE_IMAGE=python:3\.1\d-slim$", DOCKERFILE, re.M)
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert stages and all(base == "${BASE_IMAGE}" for base in stages)


def test_the_package_is_installed_non_editably_and_compiled_into_a_venv():
    # A Debian base's python refuses a system-wide pip install (PEP 668): the venv works on every base,
    # and `python`/`netspace-mock` of ENTRYPOINT and HEALTHCHECK come from it through PATH.
    install = next(row for row in DOCKERFILE.splitlines() if "bin/pip install" in row)
    assert "--compile" in install and " -e " not in install and "--editable" not in install
    assert "python3 -m venv /opt/netspace-mock" in DOCKERFILE
    assert image_env()["PATH"].startswith("/opt/netspace-mock/bin:")
    assert "COPY --from=build /opt/netspace-mock /opt/netspace-mock" in DOCKERFILE


def test_the_build_context_leaves_out_what_the_image_does_not_need():
    ignored = {
        row.strip()
        for row in (ROOT / ".dockerignore").read_text().splitlines()
        if row.strip() and not row.startswith("#")
    }
    assert {".git", ".venv", "tests", "bench", "docs"} <= ignored
    assert not ignored & {"netspace_mock", "pyproject.toml", "README.md", "*.json", "*.toml"}


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
