"""The package's layers (docs/architecture.md): imports run one way, and no module imports itself back
through others, at the top of a file or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "netspace_mock"

# Which top-level parts of the package each part must never import.
FORBIDDEN = {
    "store": {
        "domain",
        "api",
        "web",
        "wallet",
        "serving",
        "webhooks",
        "certification",
        "app",
        "cli",
        "server",
        "stress",
    },
    "domain": {"api", "web", "wallet", "serving", "app", "cli", "server", "stress"},
    "certification": {"domain", "store", "api", "web", "wallet", "serving", "app", "stress"},
    "webhooks": {"domain", "certification", "api", "web", "wallet", "serving", "app", "stress"},
    # The stress driver plays the engine's rounds (domain/rounds) over webhooks/client.py, like a CLI
    # command: it needs no server, no database and nothing of the HTTP sides.
    "stress": {"api", "web", "wallet", "serving", "app", "cli", "server"},
    "api": {"web", "wallet", "app", "cli", "server"},
    "web": {"api", "wallet", "app", "cli", "server"},
    "wallet": {"api", "web", "app", "cli", "server"},
    "serving": {"api", "web", "wallet", "app"},
    # The terminal verbs reach the mock over its API only, as an operator's backend does.
    "terminal": {
        "store",
        "domain",
        "api",
        "web",
        "wallet",
        "serving",
        "webhooks",
        "certification",
        "app",
        "server",
    },
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports, anywhere in its text."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name, targets = module_name(path), set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        found[name] = {t for t in targets if t.split(".")[0] == "netspace_mock"}
    return {name: {t for t in targets if t in found} for name, targets in found.items()}


def part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_no_part_imports_what_lies_above_it():
    broken = [
        f"{name} imports {target}"
        for name, targets in imports().items()
        for target in targets
        if part(target) in FORBIDDEN.get(part(name), set())
    ]
    assert broken == []


def test_no_import_cycle():
    graph = imports()
    cycles, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycles.append(" -> ".join(path[path.index(name) :] + [name]))
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            if target != name and not name.startswith(target + "."):  # a package's own __init__
                visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert cycles == []


def test_the_checks_see_what_they_check():
    graph = imports()
    assert "netspace_mock.store.db" in graph["netspace_mock.store.rounds"]
    assert "netspace_mock.serving" in graph["netspace_mock.wallet.webhook"]
    assert len(graph) > 100
