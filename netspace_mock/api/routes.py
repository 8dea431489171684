"""The routing table: every /api route of the guide, its handler and its schemas. Only a table."""

from __future__ import annotations

from aiohttp import web

from netspace_mock.api import catalog, game, meta
from netspace_mock.api.call import Call, Route
from netspace_mock.api.pipeline import endpoint
from netspace_mock.errors import NotImplementedYet


def not_built(feature: str):
    async def handler(call: Call) -> dict:
        raise NotImplementedYet(f"{feature} is not implemented in this version of netspace-mock yet")

    handler.__name__ = "not_built"
    return handler


ROUTES: list[Route] = [
    Route(
        "POST",
        "/api/game/launch",
        game.launch,
        "Launch a real-money game session",
        "game.launch.request",
        "game.launch.response",
        tag="game",
    ),
    Route(
        "POST",
        "/api/game/launch-demo",
        game.launch_demo,
        "Launch a demo session with a virtual balance",
        "game.launch-demo.request",
        "game.launch-demo.response",
        tag="game",
    ),
    Route(
        "GET",
        "/api/game/currencies",
        game.currencies,
        "List supported currencies",
        response="game.currencies.response",
        tag="game",
    ),
    Route(
        "GET",
        "/api/games/catalog",
        catalog.catalog,
        "Games catalog with filters",
        response="games.catalog.response",
        query="games.catalog.query",
        tag="catalog",
    ),
    Route(
        "GET",
        "/api/games/categories",
        catalog.categories,
        "List game categories",
        response="games.categories.response",
        tag="catalog",
    ),
    Route(
        "GET",
        "/api/games/featured",
        catalog.featured,
        "Featured games",
        response="games.featured.response",
        tag="catalog",
    ),
    Route(
        "GET",
        "/api/games/{gameId}",
        catalog.game,
        "Game details",
        response="games.detail.response",
        tag="catalog",
    ),
    Route("POST", "/api/v1/freebets/assign", not_built("free bets"), "Assign a free bet", tag="freebets"),
    Route("POST", "/api/v1/freebets/status", not_built("free bets"), "Free bet status", tag="freebets"),
    Route("POST", "/api/v1/freebets/cancel", not_built("free bets"), "Cancel a free bet", tag="freebets"),
    Route(
        "POST",
        "/api/lotterix/jackpot/update",
        not_built("the Lotterix jackpot"),
        "Update the jackpot",
        tag="jackpot",
    ),
    Route(
        "POST",
        "/api/sandbox/game/launch",
        game.sandbox_launch,
        "Launch a game in the sandbox",
        "game.launch.request",
        "game.launch.response",
        tag="sandbox",
    ),
    Route(
        "GET", "/api/sandbox/game/balance", not_built("sandbox play"), "Sandbox player balance", tag="sandbox"
    ),
    Route("POST", "/api/sandbox/game/bet", not_built("sandbox play"), "Simulate a bet", tag="sandbox"),
    Route("GET", "/api/sandbox/stats", not_built("sandbox statistics"), "Sandbox statistics", tag="sandbox"),
    Route("POST", "/api/sandbox/reset", not_built("sandbox reset"), "Reset sandbox data", tag="sandbox"),
    Route(
        "GET",
        "/api/certification/tests",
        not_built("certification"),
        "List certification tests",
        tag="certification",
    ),
    Route(
        "POST",
        "/api/certification/run",
        not_built("certification"),
        "Run certification tests",
        tag="certification",
    ),
    Route(
        "GET",
        "/api/certification/status",
        not_built("certification"),
        "Certification status",
        tag="certification",
    ),
]


def setup_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, endpoint(route))
    app.router.add_get("/health", meta.health)
    app.router.add_get("/openapi.json", meta.openapi)
    app.router.add_get("/schemas/{name}.json", meta.schema)
    app.router.add_get("/assets/thumbnails/{game_id}.svg", meta.thumbnail)
    app.router.add_get("/play/{token}", meta.play_not_built)
