"""Operators: the default one from the settings, and an in-memory directory by API key for the hot path."""

from __future__ import annotations

from netspace_mock.settings import Settings
from netspace_mock.store import Database
from netspace_mock.store import operators as store
from netspace_mock.store.operators import Operator


class OperatorDirectory:
    """Every operator by API key, read once at start and kept current by the writes that change them."""

    def __init__(self) -> None:
        self._by_key: dict[str, Operator] = {}
        self.default: Operator | None = None

    async def load(self, db: Database, settings: Settings, now: str) -> None:
        self.default = await store.upsert(
            db, "Default operator", settings.api_key, settings.secret_key, settings.webhook_url, now
        )
        self._by_key = {op.api_key: op for op in await store.all_operators(db)}

    def by_api_key(self, api_key: str) -> Operator | None:
        return self._by_key.get(api_key)

    def by_id(self, operator_id: int) -> Operator | None:
        return next((op for op in self._by_key.values() if op.id == operator_id), None)

    def remember(self, operator: Operator) -> None:
        self._by_key[operator.api_key] = operator
