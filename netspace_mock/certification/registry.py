"""The registry of certification cases: each registered by a decorator on its function, in the order written.

A case is a coroutine over a Probe decorated with `@case("balance", "Balance", required=True)` (a test)
or `@advisory("latency", "Latency")` (an advisory check). Its docstring is the description operators read
in GET /api/certification/tests, so it is required.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from netspace_mock.certification.probe import Probe

Check = Callable[[Probe], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    """One test or advisory check: what operators see of it, and the coroutine that runs it."""

    id: str
    name: str
    required: bool
    description: str
    run: Check


class Registry:
    """The tests (PROTOCOL §6, each a result of the run) and the advisory checks (warnings, never
    blocking), each list in the order its cases were registered."""

    def __init__(self) -> None:
        self.tests: list[Case] = []
        self.advisories: list[Case] = []

    def case(self, id: str, name: str, *, required: bool) -> Callable[[Check], Check]:
        """Registers the decorated coroutine as a test; `required` tests decide the certification."""
        return self._register(self.tests, id, name, required)

    def advisory(self, id: str, name: str) -> Callable[[Check], Check]:
        """Registers the decorated coroutine as an advisory check: a failure is only a warning."""
        return self._register(self.advisories, id, name, False)

    def test(self, id: str) -> Case | None:
        """The test with this id, if there is one (advisory checks cannot be selected)."""
        return next((c for c in self.tests if c.id == id), None)

    def _register(self, into: list[Case], id: str, name: str, required: bool) -> Callable[[Check], Check]:
        def register(run: Check) -> Check:
            doc = inspect.getdoc(run)
            if not doc:
                raise ValueError(f"certification case {id!r} needs a docstring: it is its description")
            if any(c.id == id for c in self.tests + self.advisories):
                raise ValueError(f"certification case {id!r} is registered twice")
            # A docstring wrapped over lines reads as one sentence.
            into.append(Case(id, name, required, " ".join(doc.split()), run))
            return run

        return register


# Every case operators see: certification/__init__.py imports the modules that fill it.
SUITE = Registry()

case = SUITE.case
advisory = SUITE.advisory
