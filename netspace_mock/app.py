"""create_app(settings): the platform's lifetime (database, catalog, operators, webhook client and
dispatcher), the middleware and the routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from netspace_mock.api import routes
from netspace_mock.api.pipeline import ANSWERS, REPLAYS, STATIC_KEPT, pipeline
from netspace_mock.api.replay import ReplayDetector
from netspace_mock.domain import free_bets, integration_warnings, launch_tokens
from netspace_mock.domain.catalog import Catalog
from netspace_mock.domain.faults import Faults
from netspace_mock.domain.journal import Journal
from netspace_mock.domain.operators import OperatorDirectory
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds import engine, recovery
from netspace_mock.lru import LRU
from netspace_mock.paths import fixture
from netspace_mock.serving import PLATFORM, add
from netspace_mock.settings import Settings
from netspace_mock.sources import Clock, Ids, iso
from netspace_mock.store import Database, games, keys
from netspace_mock.store import sandbox as sandbox_store
from netspace_mock.store.journal import Bounds as JournalBounds
from netspace_mock.wallet import webhook as wallet
from netspace_mock.web import assets, portal
from netspace_mock.web import game as game_page
from netspace_mock.webhooks import targets
from netspace_mock.webhooks.client import WebhookClient
from netspace_mock.webhooks.dispatcher import Dispatcher

DISPATCHER = web.AppKey("dispatcher", Dispatcher)
RESUME_DELAY = 0.1
log = logging.getLogger("netspace_mock")


def create_app(settings: Settings, *, clock: Clock | None = None, ids: Ids | None = None) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[pipeline])
    app[REPLAYS] = ReplayDetector()
    app[ANSWERS] = LRU(STATIC_KEPT)
    clock = clock or Clock()
    ids = ids or Ids(settings.seed)

    async def platform_context(app: web.Application) -> AsyncIterator[None]:
        """The Platform, built complete: its database, catalog, operators, webhook client and dispatcher."""
        db = Database(settings.db)
        await db.open()
        ids.start(await db.next_boot())
        try:
            if await games.count(db) == 0:
                await games.load(db, fixture("games"))
            operators = OperatorDirectory()
            await operators.load(db, settings, iso(clock.now()))
            for operator_id, ahead in (await sandbox_store.clocks(db)).items():
                clock.set_ahead(operator_id, ahead)
            catalog = Catalog(await games.all_games(db), settings.base_url)
            faults = Faults(db, ids)
            await faults.load()
            journal = Journal(
                db,
                JournalBounds(
                    settings.journal_retention, settings.journal_body_bytes, settings.journal_storage_bytes
                ),
            )
            token_key = await keys.get_or_make(
                db, launch_tokens.NAME, lambda: ids.key(launch_tokens.NAME, launch_tokens.KEY_BYTES)
            )
            # Every call's URL and resolved addresses are checked against webhook_allowed_hosts.
            policy = operators.targets.policy
            connector = aiohttp.TCPConnector(
                limit=256, limit_per_host=128, resolver=targets.GuardedResolver(policy)
            )
            async with aiohttp.ClientSession(
                connector=connector, middlewares=(targets.client_middleware(policy),)
            ) as session:
                # The dispatcher advances rounds of the platform it wakes up for.
                dispatcher = Dispatcher(db, clock, lambda op, rid: engine.advance(platform, op, rid))
                platform = Platform(
                    settings=settings,
                    db=db,
                    clock=clock,
                    ids=ids,
                    catalog=catalog,
                    operators=operators,
                    tokens=launch_tokens.LaunchTokens(token_key),
                    webhooks=WebhookClient(
                        session, clock, settings.webhook_timeout, settings.webhook_concurrency
                    ),
                    wake_dispatcher=dispatcher.wake,
                    journal=journal,
                    faults=faults,
                )
                app[PLATFORM], app[DISPATCHER] = platform, dispatcher
                journal.start()
                try:
                    yield
                finally:
                    await journal.close()  # what the last requests added, before the database closes
        finally:
            await db.close()

    async def dispatcher_context(app: web.Application) -> AsyncIterator[None]:
        platform, dispatcher = app[PLATFORM], app[DISPATCHER]
        await recovery.recover(platform)
        # The first tick waits a moment, so the server accepts requests (the reference wallet lives on
        # this server); a call that still finds it closed is retried like any other transport error.
        task = asyncio.create_task(dispatcher.run(first_delay=RESUME_DELAY))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await dispatcher.stop()

    async def sweeper_context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_sweep_forever(app[PLATFORM]))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def warnings_context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_write_warnings_forever(app[PLATFORM]))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await _write_warnings(app[PLATFORM])  # the counts of the last seconds, before the database closes

    app.cleanup_ctx.extend([platform_context, dispatcher_context, sweeper_context, warnings_context])
    # The three HTTP sides, each unaware of the others: the API, the pages, the reference wallet.
    routes.setup(app)
    add(app, "GET", "/sdk/netspace-sdk.js", assets.sdk)
    game_page.setup(app)
    portal.setup(app)
    add(app, "POST", "/operator/webhook", wallet.handle)
    return app


async def _sweep_forever(platform: Platform) -> None:
    """Expire free bets in the background too, so their status changes even when nobody reads them."""
    while True:
        await asyncio.sleep(platform.settings.sweep_interval)
        try:
            await free_bets.sweep(platform)
        except Exception:
            log.exception("free bet sweep failed; trying again in %s s", platform.settings.sweep_interval)


async def _write_warnings(platform: Platform) -> None:
    try:
        await platform.integration_warnings.flush(platform.db)
    except Exception:
        log.exception("writing the integration warnings' counts failed; they are kept for the next try")


async def _write_warnings_forever(platform: Platform) -> None:
    """Write the integration warnings counted in memory every few seconds (domain.integration_warnings)."""
    while True:
        await asyncio.sleep(integration_warnings.FLUSH_INTERVAL)
        await _write_warnings(platform)
