"""The Partners Portal at /portal: its routing table, its static files and its background runs.

Pages are server-rendered HTML; the portal signs operators in with their API key and secret key
(see auth.py) and shows each one only its own data.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from aiohttp import web

from netspace_mock.serving import add
from netspace_mock.web.portal import (
    account,
    certification,
    dashboard,
    integration,
    pages,
    players,
    registration,
    reports,
    requests,
    settings_page,
    stress_run,
    transactions,
)
from netspace_mock.web.portal.pages import NO_FORM, POLL, PUBLIC, SIGNED_IN
from netspace_mock.web.portal.visit import Problem, Visit

STATIC_TYPES = {".css": "text/css", ".js": "application/javascript", ".svg": "image/svg+xml"}

# fmt: off
ROUTES = [
    # method, path, handler, who may call it
    ("GET", "/portal", account.home, PUBLIC),
    ("GET", "/portal/", account.home, PUBLIC),
    ("GET", "/portal/sign-in", account.sign_in_page, PUBLIC),
    ("POST", "/portal/sign-in", account.sign_in, PUBLIC),
    ("POST", "/portal/sign-out", account.sign_out, SIGNED_IN),
    ("GET", "/portal/register", registration.page, PUBLIC),
    ("POST", "/portal/register", registration.register, PUBLIC),
    ("GET", "/portal/register/credentials", registration.credentials, PUBLIC),
    ("GET", "/portal/dashboard", dashboard.dashboard, SIGNED_IN),
    ("GET", "/portal/integration", integration.page, SIGNED_IN),
    ("POST", "/portal/integration/webhook", integration.set_webhook, SIGNED_IN),
    ("POST", "/portal/integration/balance-test", integration.balance_test, SIGNED_IN),
    ("POST", "/portal/integration/activation", integration.request_activation, SIGNED_IN),
    ("POST", "/portal/integration/certification", integration.start_certification, SIGNED_IN),
    ("GET", "/portal/integration/certification/{run_id}/progress", certification.progress, POLL),
    ("POST", "/portal/integration/stress", stress_run.start, SIGNED_IN),
    ("GET", "/portal/integration/stress/progress", stress_run.progress, POLL),
    ("GET", "/portal/players", players.page, SIGNED_IN),
    ("GET", "/portal/transactions", transactions.page, SIGNED_IN),
    ("POST", "/portal/transactions/resend", transactions.resend, SIGNED_IN),
    ("GET", "/portal/requests", requests.page, SIGNED_IN),
    ("GET", "/portal/reports", reports.page, SIGNED_IN),
    ("GET", "/portal/reports.csv", reports.export, SIGNED_IN),
    ("GET", "/portal/settings", settings_page.page, SIGNED_IN),
]
# fmt: on
PATTERNS = [
    (re.compile("^" + re.sub(r"{\w+}", "[^/]+", path) + "$"), method) for method, path, _, _ in ROUTES
]


@cache
def static_file(name: str) -> bytes | None:
    """A file of web/static/portal, read once; None for anything else."""
    if not re.fullmatch(r"[a-z0-9-]+\.(css|js|svg)", name):
        return None
    entry = resources.files("netspace_mock.web").joinpath(f"static/portal/{name}")
    return entry.read_bytes() if entry.is_file() else None


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    body = static_file(name)
    if body is None:
        return web.Response(text=f"The portal has no file named {name[:80]!r}.", status=404)
    content_type = STATIC_TYPES[name[name.rindex(".") :]]
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return web.Response(body=body, content_type=content_type, headers=headers)


async def unknown(visit: Visit) -> web.Response:
    """Anything else under /portal: a page saying so (405 when the path exists for another method)."""
    path = visit.request.path
    allowed = sorted({m for pattern, m in PATTERNS if pattern.match(path)})
    if allowed:
        raise Problem(
            405,
            "Method not allowed",
            f"{path[:200]} accepts {' and '.join(allowed)} only.",
            {"Allow": ", ".join(allowed)},
        )
    raise Problem(404, "Page not found", f"The portal has no page at {path[:200]}.")


def setup(app: web.Application) -> None:
    """Registers the portal's routes; the catch-all last, so every /portal answer is a portal page."""
    for method, path, handle, access in ROUTES:
        add(app, method, path, pages.handler(handle, access), head=False)
    add(app, "GET", "/portal/static/{name}", static)
    add(app, "*", "/portal/{rest:.*}", pages.handler(unknown, NO_FORM))
    app[certification.RUNS] = {}
    app.on_shutdown.append(certification.stop_runs)
    stress_run.setup(app)
