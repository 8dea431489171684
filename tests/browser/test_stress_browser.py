"""The Integration page's short stress run in a real headless Chromium: started from its form, its live
chart drawn while it runs (from the portal's own progress endpoint, nothing else fetched, no console
error), then the report shown (docs/screenshots/portal-stress.png with NETSPACE_MOCK_SCREENSHOTS=1)."""

from __future__ import annotations

import pytest

from pages import keep_to_the_mock, sign_in
from wallets import Wallet, serve

pytestmark = pytest.mark.browser


async def test_a_stress_run_draws_its_chart_then_its_report(page, screenshot, mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, Wallet(["slow:0.01"]))
    op = await mock_factory(webhook_url=url)
    origin = str(op.client.make_url("")).rstrip("/")
    watch = await keep_to_the_mock(page, origin)
    await sign_in(page, origin)
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
    assert watch.outside == [] and watch.errors == []
