"""The portal's Requests page in a real headless Chromium: the journal of a short session, a refused
request opened to its diagnosis, a filter, and the link from a bet to its round's webhook calls in
Transactions. The page asks nothing of any other host and logs no error
(docs/screenshots/portal-requests.png with NETSPACE_MOCK_SCREENSHOTS=1)."""

from __future__ import annotations

import json

import pytest

from pages import keep_to_the_mock, sign_in
from support import API_KEY, SECRET, Signed, launch_body

pytestmark = pytest.mark.browser


async def test_the_requests_page(page, screenshot, client):
    origin = str(client.client.make_url("")).rstrip("/")
    watch = await keep_to_the_mock(page, origin)

    await client.ok("POST", "/api/game/launch", launch_body(session_id="s-browser"))
    rnd = (await client.ok("POST", "/api/sandbox/game/bet", {"session_id": "s-browser", "amount": 2}))[
        "round"
    ]
    wrong = Signed(client.client, API_KEY, "not-the-secret", now=client.now)
    sent = json.dumps({"session_id": "s-browser", "amount": 1})
    await wrong.error("POST", "/api/sandbox/game/bet", raw=sent, status=401, code="UNAUTHORIZED")
    await client.ok(
        "POST", "/api/sandbox/faults", {"route": "/api/games/featured", "kind": "http_503", "count": 1}
    )
    await client.error("GET", "/api/games/featured", status=503, code="SERVICE_UNAVAILABLE")

    await sign_in(page, origin)
    await page.click("nav >> text=Requests")
    await page.wait_for_selector("h1:has-text('Requests')")
    rows = page.locator("details.request")
    assert await rows.count() >= 5
    assert await page.is_visible("details.request:has-text('fault injected')")

    # The refused request opens to the check that failed and the string the mock signed.
    refused = page.locator("details.request.refused").first
    await refused.locator("summary").click()
    await page.wait_for_selector("details.request.refused[open] >> text=The string the mock signed")
    shown = await refused.inner_text()
    assert "signature mismatch" in shown and sent in shown and SECRET not in shown
    await screenshot(page, "portal-requests")

    # A filter, then from the bet to its round's webhook calls.
    await page.select_option("select[name=verdict]", "accepted")
    await page.fill("input[name=session_id]", "s-browser")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_selector("details.request")
    assert await page.locator("details.request.refused").count() == 0
    paths = await page.locator("details.request > summary").all_inner_texts()
    assert len(paths) == 2 and "/api/sandbox/game/bet" in paths[0] and "/api/game/launch" in paths[1]
    await page.locator("details.request").first.locator("summary").click()
    await page.click(f"details.request[open] >> a:has-text('{rnd['round_id']}')")
    await page.wait_for_selector("h1:has-text('Transactions')")
    assert f"round_id={rnd['round_id']}" in page.url
    assert await page.locator("details.attempt").count() == 2  # the bet and the win of that round
    assert watch.outside == [] and watch.errors == []
