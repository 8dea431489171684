"""The routing table: every /api route of the guide, its handler and its schemas. Only a table."""

from __future__ import annotations

from aiohttp import web

from netspace_mock.api import catalog, certification, controls, free_bets, game, jackpot, meta, sandbox
from netspace_mock.api.call import Route
from netspace_mock.api.pipeline import endpoint
from netspace_mock.serving import add

# fmt: off
ROUTES: list[Route] = [
    # method, path, handler, summary, request schema, response schema
    Route("POST", "/api/game/launch", game.launch, "Launch a real-money game session",
          "game.launch.request", "game.launch.response", tag="game"),
    Route("POST", "/api/game/launch-demo", game.launch_demo, "Launch a demo session with a virtual balance",
          "game.launch-demo.request", "game.launch-demo.response", tag="game"),
    Route("GET", "/api/game/currencies", game.currencies, "List supported currencies",
          response="game.currencies.response", tag="game", static=True),
    Route("GET", "/api/games/catalog", catalog.catalog, "Games catalog with filters",
          response="games.catalog.response", query="games.catalog.query", tag="catalog", static=True),
    Route("GET", "/api/games/categories", catalog.categories, "List game categories",
          response="games.categories.response", tag="catalog", static=True),
    Route("GET", "/api/games/featured", catalog.featured, "Featured games",
          response="games.featured.response", tag="catalog", static=True),
    Route("GET", "/api/games/{gameId}", catalog.game, "Game details",
          response="games.detail.response", tag="catalog"),
    Route("POST", "/api/v1/freebets/assign", free_bets.assign, "Assign a free bet to a player",
          "freebets.assign.request", "freebets.response", tag="freebets"),
    Route("POST", "/api/v1/freebets/status", free_bets.status, "Free bet status",
          "freebets.status.request", "freebets.response", tag="freebets"),
    Route("POST", "/api/v1/freebets/cancel", free_bets.cancel, "Cancel a free bet",
          "freebets.cancel.request", "freebets.response", tag="freebets"),
    Route("POST", "/api/lotterix/jackpot/update", jackpot.update, "Set the Lotterix jackpot of a currency",
          "jackpot.update.request", "jackpot.update.response", tag="jackpot"),
    Route("POST", "/api/sandbox/game/launch", game.sandbox_launch, "Launch a game in the sandbox",
          "game.launch.request", "game.launch.response", tag="sandbox"),
    Route("GET", "/api/sandbox/game/balance", sandbox.balance, "Sandbox player balance, asked of the webhook",
          response="sandbox.balance.response", query="sandbox.balance.query", tag="sandbox"),
    Route("POST", "/api/sandbox/game/bet", sandbox.bet, "Play one round: bet, outcome, win/refund/rollback",
          "sandbox.bet.request", "sandbox.bet.response", tag="sandbox"),
    Route("GET", "/api/sandbox/stats", sandbox.stats, "Sandbox statistics",
          response="sandbox.stats.response", tag="sandbox"),
    Route("POST", "/api/sandbox/reset", sandbox.reset, "Reset the operator's sandbox data",
          response="sandbox.reset.response", tag="sandbox"),
    Route("GET", "/api/sandbox/rounds/{roundId}", sandbox.round_detail, "One round with its deliveries",
          response="sandbox.round.response", tag="inspection"),
    Route("GET", "/api/sandbox/webhooks", sandbox.webhook_attempts, "Webhook calls made (attempts), filtered",
          response="sandbox.webhooks.response", query="sandbox.webhooks.query", tag="inspection",
          description="Every call the platform made to your webhook (plural: the attempts). Your "
          "webhook's URL itself is GET/POST /api/sandbox/webhook (singular)."),
    Route("GET", "/api/sandbox/requests", controls.requests, "The request journal: your API requests, filtered",
          response="sandbox.requests.response", query="sandbox.requests.query", tag="inspection",
          description="Every request you sent to /api (and the game page's calls on your sessions), "
          "newest first: headers without secrets, body, verdict of the signature check, warnings, "
          "injected fault, status, latency and the ids it touched."),
    Route("GET", "/api/sandbox/deliveries", sandbox.deliveries, "Outbox deliveries, filtered",
          response="sandbox.deliveries.response", query="sandbox.deliveries.query", tag="inspection"),
    Route("POST", "/api/sandbox/deliveries/resend", sandbox.resend, "Give a failed delivery one more attempt",
          "sandbox.resend.request", "sandbox.round.response", tag="inspection"),
    Route("GET", "/api/sandbox/clock", sandbox.clock, "Your sandbox clock",
          response="sandbox.clock.response", tag="test controls"),
    Route("POST", "/api/sandbox/clock", sandbox.advance_clock, "Advance your sandbox clock",
          "sandbox.clock.request", "sandbox.clock.response", tag="test controls"),
    Route("GET", "/api/sandbox/webhook", controls.webhook, "Your webhook's URL",
          response="sandbox.webhook.response", tag="test controls",
          description="Where the platform sends your balance, bet, win, refund and rollback calls "
          "(singular: the URL). The calls made so far are GET /api/sandbox/webhooks (plural)."),
    Route("POST", "/api/sandbox/webhook", controls.set_webhook, "Change your webhook's URL",
          "sandbox.webhook.request", "sandbox.webhook.response", tag="test controls",
          description="Sets the URL of your webhook (null or empty: the built-in reference wallet). "
          "Every call not yet attempted goes to the new URL, retries included."),
    Route("GET", "/api/sandbox/faults", controls.fault_rules, "Your injected fault rules",
          response="sandbox.faults.response", tag="test controls"),
    Route("POST", "/api/sandbox/faults", controls.add_fault, "Inject a fault into your own API requests",
          "sandbox.faults.request", "sandbox.faults.response", tag="test controls",
          description="Adds a rule: requests whose path matches `route` (a glob) meet a latency, an "
          "HTTP 500, 503 or 429 (with Retry-After) or a dropped connection, with a probability or on "
          "the first `count` of them. Only authenticated requests; never /api/sandbox/faults or "
          "/api/sandbox/reset. Cleared by DELETE /api/sandbox/faults or a reset."),
    Route("DELETE", "/api/sandbox/faults", controls.clear_faults, "Clear your injected fault rules",
          response="sandbox.faults.response", tag="test controls"),
    Route("GET", "/api/certification/tests", certification.tests, "List certification tests",
          response="certification.tests.response", tag="certification"),
    Route("POST", "/api/certification/run", certification.run, "Run the certification tests against the webhook",
          "certification.run.request", "certification.run.response", tag="certification"),
    Route("GET", "/api/certification/status", certification.status, "Certification status",
          response="certification.status.response", tag="certification"),
    Route("GET", "/api/certification/runs/{runId}", certification.run_detail, "One certification run",
          response="certification.run.response", tag="certification"),
]
# fmt: on


def setup(app: web.Application) -> None:
    """The API's routes (the guide's and the mock's own) and what describes them."""
    for route in ROUTES:
        add(app, route.method, route.path, endpoint(route), head=False)
    add(app, "GET", "/health", meta.health)
    add(app, "GET", "/openapi.json", meta.openapi(ROUTES))
    add(app, "GET", "/schemas/{name}.json", meta.schema)
    add(app, "GET", "/assets/thumbnails/{game_id}.svg", meta.thumbnail)
