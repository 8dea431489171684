"""The Integration page's short stress run in a real headless Chromium: started from its form, its live
chart drawn while it runs (from the portal's own progress endpoint, nothing else fetched, no console
error), then the report shown (docs/screenshots/portal-stress.png with NETSPACE_MOCK_SCREENSHOTS=1)."""

from __future__ import annotations

import pytest

from support import API_KEY, SECRET
from wallets import Wallet, serve

pytestmark = pytest.mark.browser


async def test_a_stress_run_draws_its_chart_then_its_report(page, screenshot, mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, Wallet(["slow:0.01"]))
    op = await mock_factory(webhook_url=url)
    origin = str(op.client.make_url("")).rstrip("/")
    outside, errors = [], []

    async def only_the_mock(route):
        if route.request.url.startswith(origin + "/"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.context.route("**/*", only_the_mock)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(origin + "/portal/sign-in")
    await page.fill("#api_key", API_KEY)
    await page.fill("#secret_key", SECRET)
    await page.click("button[type=submit]")
    await page.wait_for_selector("h1:has-text('Dashboard')")
    await page.click("nav >> text=Integration")
    await page.fill("#stress input[name=players]", "ana, ben, cleo")
    await page.fill("#stress input[name=rounds]", "300")
    await page.click("text=Start stress run")
    await page.wait_for_selector("#stress .stress-chart svg polyline.rate", timeout=20_000)
    await page.wait_for_selector("#stress .stress-report", timeout=40_000)
    await page.wait_for_selector("#stress .stress-chart svg polyline.p99")
    report = await page.text_content("#stress .stress-report")
    assert "RECONCILED: 300 rounds" in report and "3 of 3 players reconcile" in report
    assert "300 rounds at" in await page.text_content("#stress .stress-status")
    await screenshot(page, "portal-stress")
    assert outside == [] and errors == []
