"""The Platform: what every domain operation needs (database, clock, ids, catalog, settings) in one place."""

from __future__ import annotations

from dataclasses import dataclass

from netspace_mock.domain.catalog import Catalog
from netspace_mock.domain.operators import OperatorDirectory
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids, iso
from netspace_mock.store import Database


@dataclass
class Platform:
    settings: Settings
    db: Database
    clock: Clock
    ids: Ids
    catalog: Catalog
    operators: OperatorDirectory

    def now_iso(self) -> str:
        return iso(self.clock.now())
