"""Operators: the default one from the settings, more from --operators FILE or registration, and an
in-memory directory by API key for the hot path (kept current by every write that changes an operator)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from netspace_mock.errors import InvalidRequest
from netspace_mock.settings import Settings
from netspace_mock.store import Database
from netspace_mock.store import operators as store
from netspace_mock.store.operators import Operator
from netspace_mock.webhooks.targets import Targets

URL_LIMIT = 2048


class OperatorDirectory:
    """Every operator by API key, read once at start and kept current by the writes that change them."""

    def __init__(self) -> None:
        self._by_key: dict[str, Operator] = {}
        self._by_id: dict[int, Operator] = {}
        self.default: Operator | None = None
        self.targets: Targets | None = None

    async def load(self, db: Database, settings: Settings, now: str) -> None:
        """The operators of the settings and the database. A webhook URL of the settings that the mock
        may not call stops the start, saying why."""
        try:
            self.targets = Targets.from_settings(settings)
        except ValueError as exc:
            raise SystemExit(f"netspace-mock: invalid setting: {exc}") from None
        entries = read_operators_file(settings.operators) if settings.operators else []
        for where, url in [("--webhook-url", settings.webhook_url)] + [
            (f"--operators {settings.operators}: entry {i}", e.get("webhook_url"))
            for i, e in enumerate(entries)
        ]:
            if check_webhook_url(url) is not None:
                try:
                    await self.targets.check(url.strip())
                except InvalidRequest as exc:
                    raise SystemExit(f"netspace-mock: {where}: {exc.message}") from None
        self.default = await store.upsert(
            db, "Default operator", settings.api_key, settings.secret_key, settings.webhook_url, now
        )
        for entry in entries:
            await store.upsert(
                db, entry["name"], entry["api_key"], entry["secret_key"], entry.get("webhook_url"), now
            )
        for operator in await store.all_operators(db):
            self.remember(operator)

    def by_api_key(self, api_key: str) -> Operator | None:
        return self._by_key.get(api_key)

    def by_id(self, operator_id: int) -> Operator | None:
        return self._by_id.get(operator_id)

    def all(self) -> list[Operator]:
        return sorted(self._by_id.values(), key=lambda op: op.id)

    def remember(self, operator: Operator) -> None:
        self._by_key[operator.api_key] = operator
        self._by_id[operator.id] = operator
        if self.default is not None and self.default.id == operator.id:
            self.default = operator

    async def register(self, db: Database, name: str, now: str) -> Operator:
        """A new operator with generated credentials (never from the seeded source: they are secrets)."""
        name = check_name(name)
        operator = await store.create(
            db, name, "ak_" + secrets.token_hex(16), "sk_" + secrets.token_hex(32), None, now
        )
        self.remember(operator)
        return operator

    async def set_webhook(self, db: Database, operator: Operator, url: str | None) -> Operator:
        url = check_webhook_url(url)
        if url is not None and self.targets is not None:
            await self.targets.check(url)
        await store.set_webhook(db, operator.id, url)
        return await self._reload(db, operator.id)

    async def request_activation(self, db: Database, operator: Operator, now: str) -> Operator:
        await store.request_activation(db, operator.id, now)
        return await self._reload(db, operator.id)

    async def _reload(self, db: Database, operator_id: int) -> Operator:
        fresh = await store.by_id(db, operator_id)
        assert fresh is not None
        self.remember(fresh)
        return fresh


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidRequest.at("$.name", "an operator name is 1-100 characters")
    return name.strip()


def check_webhook_url(url: str | None) -> str | None:
    """None or '' means the built-in reference wallet; anything else an absolute http(s) URL."""
    if url is None or url.strip() == "":
        return None
    url = url.strip()
    if len(url) > URL_LIMIT or not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise InvalidRequest.at(
            "$.webhook_url",
            "must be an absolute http(s) URL without spaces, at most 2,048 "
            "characters (or empty for the built-in reference wallet)",
        )
    if "://" in url and not url.split("://", 1)[1].split("/", 1)[0]:
        raise InvalidRequest.at("$.webhook_url", "has no host")
    return url


def read_operators_file(path: str) -> list[dict[str, Any]]:
    """--operators FILE: a JSON list of {name, api_key, secret_key, webhook_url?}."""
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"netspace-mock: cannot read --operators {path}: {exc}") from None
    if not isinstance(entries, list):
        raise SystemExit(f"netspace-mock: --operators {path} must hold a JSON list of operators")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry[k] for k in ("name", "api_key", "secret_key")
        ):
            raise SystemExit(
                f"netspace-mock: --operators {path}: entry {index} needs name, api_key and secret_key"
            )
        try:
            check_webhook_url(entry.get("webhook_url"))
        except InvalidRequest as exc:
            raise SystemExit(f"netspace-mock: --operators {path}: entry {index}: {exc.message}") from None
    return entries
