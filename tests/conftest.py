"""A fresh app on a temporary SQLite file per test, reached through a signing, schema-checking client."""

from __future__ import annotations

import pytest

from netspace_mock.app import create_app
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids
from support import Signed


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path, unused_tcp_port) -> Settings:
    return Settings(db=str(tmp_path / "mock.db"), port=unused_tcp_port, seed=1234)


@pytest.fixture
async def client(aiohttp_client, settings, clock):
    app = create_app(settings, clock=clock, ids=Ids(settings.seed))
    test_client = await aiohttp_client(app, server_kwargs={"port": settings.port})
    return Signed(test_client, settings.api_key, settings.secret_key, now=clock.now)


@pytest.fixture
def make_client(aiohttp_client, settings, clock, unused_tcp_port_factory):
    """Like `client`, for an app whose settings differ: `await make_client(signature_path="path")`.

    Each app gets its own port; it shares the test's DB file unless `db=` is given."""

    async def start(**changes) -> Signed:
        changes.setdefault("port", unused_tcp_port_factory())
        changed = settings.replace(**changes)
        app = create_app(changed, clock=clock, ids=Ids(changed.seed))
        test_client = await aiohttp_client(app, server_kwargs={"port": changed.port})
        return Signed(test_client, changed.api_key, changed.secret_key, now=clock.now)

    return start


@pytest.fixture
def platform(client):
    from netspace_mock.serving import PLATFORM

    return client.client.app[PLATFORM]


pytest_plugins = ["wallets", "portal_client"]
