"""The Platform: what every domain operation needs (database, clock, ids, catalog, settings, launch tokens,
the sessions as committed, the request journal and the injected faults) in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netspace_mock.domain.catalog import Catalog
from netspace_mock.domain.faults import Faults
from netspace_mock.domain.integration_warnings import IntegrationWarnings
from netspace_mock.domain.journal import Journal
from netspace_mock.domain.launch_tokens import LaunchTokens
from netspace_mock.domain.locks import KeyedLocks
from netspace_mock.domain.operators import OperatorDirectory
from netspace_mock.domain.session_cache import SessionCache
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids, iso
from netspace_mock.store import Database
from netspace_mock.webhooks.client import WebhookClient


@dataclass
class Platform:
    settings: Settings
    db: Database
    clock: Clock
    ids: Ids
    catalog: Catalog
    operators: OperatorDirectory
    tokens: LaunchTokens
    webhooks: WebhookClient
    wake_dispatcher: Callable[[], None]
    journal: Journal  # the request journal's writer (domain.journal)
    faults: Faults  # the operators' injected faults (domain.faults)
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    sessions: SessionCache = field(default_factory=SessionCache)  # as committed (domain.session_cache)
    # Counted as requests come, written every few seconds (domain.integration_warnings).
    integration_warnings: IntegrationWarnings = field(default_factory=IntegrationWarnings)

    def now_iso(self) -> str:
        return iso(self.clock.now())
