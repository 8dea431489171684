"""What a handler receives: the platform, the authenticated operator and the validated input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from netspace_mock.domain.platform import Platform
from netspace_mock.store.operators import Operator


@dataclass
class Call:
    platform: Platform
    operator: Operator | None
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Awaitable[Any]]  # the answer's fields, a dict


@dataclass(frozen=True)
class Route:
    """One row of the routing table; the OpenAPI document is generated from these rows."""

    method: str
    path: str
    handler: Handler
    summary: str
    request: str | None = None  # schema of the JSON body
    response: str | None = None  # schema of the success answer
    query: str | None = None  # schema of the query string
    tag: str = "platform"
    # The answer depends on the query string alone (not on the operator, the body or the time): it is
    # encoded once per distinct query string and sent as it is after that (the catalog never changes
    # while the mock serves).
    static: bool = False
    description: str | None = None  # the OpenAPI operation's description, beyond its summary
