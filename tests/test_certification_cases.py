"""The certification registry: a new check is one decorated function, and the suite operators see is
the protocol's table, in its order, each case described by its docstring."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from netspace_mock.certification import runner
from netspace_mock.certification.probe import Probe, Target
from netspace_mock.certification.registry import SUITE, Registry
from netspace_mock.certification.signatures import FORGERIES
from netspace_mock.certification.steps import Failed, balance_of
from netspace_mock.sources import Clock, Ids
from netspace_mock.webhooks.client import WebhookClient
from support import ADVISORIES, API_KEY, SECRET
from wallets import OperatorWallet, serve

ROOT = Path(__file__).parents[1]


def protocol_table() -> list[tuple[str, bool]]:
    """(test, required) for each row of the certification table in docs/protocol.md, in its order."""
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = text.split("\n## 8. Certification\n", 1)[1].split("\n## ", 1)[0]
    return [(m[1], m[2] == "yes") for m in re.finditer(r"^\| `(\w+)` \| (yes|no) \|", section, re.M)]


def test_the_suite_is_the_protocols_table_in_its_order():
    assert len(protocol_table()) == 8
    assert [(c.id, c.required) for c in SUITE.tests] == protocol_table()
    assert [c.id for c in SUITE.advisories] == ADVISORIES and not any(c.required for c in SUITE.advisories)
    cases = SUITE.tests + SUITE.advisories
    assert len({c.id for c in cases}) == len({c.name for c in cases}) == len(cases)
    for c in cases:
        assert c.description == " ".join(c.run.__doc__.split()) and c.description.endswith("."), c.id
    assert runner.catalogue() == [
        {"id": c.id, "name": c.name, "required": c.required, "description": c.description}
        for c in SUITE.tests
    ]


async def test_a_new_check_is_one_function(aiohttp_server):
    suite = Registry()

    @suite.case("holds_ten", "Holds ten", required=True)
    async def holds_ten(p: Probe) -> None:
        """The test player's balance is
        at least 10.00."""
        await balance_of(p, at_least=Decimal(10))

    @suite.case("holds_a_million", "Holds a million", required=False)
    async def holds_a_million(p: Probe) -> None:
        """The test player's balance is at least 1000000.00."""
        await balance_of(p, at_least=Decimal(1000000))

    @suite.advisory("greets", "Greets")
    async def greets(p: Probe) -> None:
        """The wallet says hello."""
        raise Failed("the wallet said nothing")

    assert runner.catalogue(suite) == [
        {
            "id": "holds_ten",
            "name": "Holds ten",
            "required": True,
            "description": "The test player's balance is at least 10.00.",
        },
        {
            "id": "holds_a_million",
            "name": "Holds a million",
            "required": False,
            "description": "The test player's balance is at least 1000000.00.",
        },
    ]
    assert runner.unknown_tests(["holds_ten", "greets", "bet"], suite) == ["greets", "bet"]
    url = await serve(aiohttp_server, OperatorWallet())
    clock = Clock()
    target = Target(url, API_KEY, SECRET, "cert-player", "USD", "cert_session")
    async with aiohttp.ClientSession() as session:
        run = await runner.run(
            target, WebhookClient(session, clock, 5.0), Ids(7), clock, "run_t", suite=suite
        )
    assert [(r["test"], r["status"]) for r in run["results"]] == [
        ("holds_ten", "passed"),
        ("holds_a_million", "failed"),
    ]
    assert run["results"][1]["message"] == (
        "the test player's balance is 100.00 USD; this test needs at least 1000000.00 USD"
    )
    assert [(a["test"], a["status"], a["message"]) for a in run["advisories"]] == [
        ("greets", "warning", "the wallet said nothing")
    ]
    assert run["status"] == "passed" and runner.certified(run)
    assert "holds_ten" not in {c.id for c in SUITE.tests + SUITE.advisories}


def test_a_case_needs_a_docstring_and_its_own_id():
    suite = Registry()
    with pytest.raises(ValueError, match="'silent' needs a docstring"):

        @suite.case("silent", "Silent", required=False)
        async def silent(p: Probe) -> None:
            pass

    @suite.case("twice", "Twice", required=False)
    async def first(p: Probe) -> None:
        """The first."""

    with pytest.raises(ValueError, match="'twice' is registered twice"):

        @suite.advisory("twice", "Twice again")
        async def second(p: Probe) -> None:
            """The second."""

    assert [c.id for c in suite.tests] == ["twice"] and suite.advisories == []


def test_the_suite_does_not_depend_on_the_platform():
    """certification/ runs from the CLI without a database: it imports no domain/, api/, web/ or store/."""
    found = []
    for path in sorted((ROOT / "netspace_mock" / "certification").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found += [
                f"{path.name}: {n}"
                for n in names
                if re.match(r"netspace_mock\.(domain|api|web|wallet|store)(\.|$)", n)
            ]
    assert found == []


def test_certification_md_lists_every_case_and_forgery():
    """docs/certification.md describes every test (a heading), every advisory check and every forgery of the
    authentication test (a table row each)."""
    text = (ROOT / "docs" / "certification.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### `(\w+)`", text, re.M)
    assert headings == [c.id for c in SUITE.tests]
    section = text.split("\n## Advisory checks\n", 1)[1]
    assert re.findall(r"^\| `(\w+)` \|", section, re.M) == [c.id for c in SUITE.advisories]
    rows = " ".join(
        re.findall(r"^\| (`[^|]+`) \|", text.split("### `authentication`")[1].split("###")[0], re.M)
    )
    assert [f.name for f in FORGERIES if f"`{f.name}`" not in rows] == []
