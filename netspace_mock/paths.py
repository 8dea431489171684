"""The data files that ship inside the package (data/fixtures, data/schemas, data/translations), read through
importlib.resources."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

DATA = resources.files("netspace_mock") / "data"
FIXTURES = DATA / "fixtures"
SCHEMAS = DATA / "schemas"


@cache
def fixture(name: str) -> Any:
    return json.loads(FIXTURES.joinpath(f"{name}.json").read_text(encoding="utf-8"))


def schema_files() -> list[Traversable]:
    """Every JSON Schema file, by name."""
    return sorted(
        (entry for entry in SCHEMAS.iterdir() if entry.name.endswith(".json")), key=lambda e: e.name
    )
