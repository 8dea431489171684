"""Docs derived from code must not go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from netspace_mock import settings

ROOT = Path(__file__).resolve().parent.parent


def test_configuration_reference_is_fresh():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "docs.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_configuration_reference_lists_every_setting():
    text = (ROOT / "docs" / "configuration.md").read_text()
    for f in settings.fields():
        assert f"`{settings.flag_name(f)}` | `{settings.env_name(f)}`" in text
