"""create_app(settings): the platform's lifetime (database, catalog, operators), middlewares and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from netspace_mock.api.pipeline import PLATFORM, pipeline
from netspace_mock.api.routes import setup_routes
from netspace_mock.domain.catalog import Catalog
from netspace_mock.domain.operators import OperatorDirectory
from netspace_mock.domain.platform import Platform
from netspace_mock.paths import fixture
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids, iso
from netspace_mock.store import Database, games


def create_app(settings: Settings, *, clock: Clock | None = None, ids: Ids | None = None) -> web.Application:
    app = web.Application(middlewares=[pipeline], client_max_size=settings.max_body_bytes)
    clock = clock or Clock()
    ids = ids or Ids(settings.seed)

    async def platform_context(app: web.Application) -> AsyncIterator[None]:
        db = Database(settings.db)
        await db.open()
        try:
            if await games.count(db) == 0:
                await games.load(db, fixture("games"))
            operators = OperatorDirectory()
            await operators.load(db, settings, iso(clock.now()))
            catalog = Catalog(await games.all_games(db), settings.base_url)
            app[PLATFORM] = Platform(
                settings=settings, db=db, clock=clock, ids=ids, catalog=catalog, operators=operators
            )
            yield
        finally:
            await db.close()

    app.cleanup_ctx.append(platform_context)
    setup_routes(app)
    return app
