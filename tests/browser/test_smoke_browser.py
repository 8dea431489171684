"""The browser set-up itself: headless Chromium opens a page the mock serves, with no network."""

from __future__ import annotations


async def test_chromium_opens_the_openapi_document(client, page, screenshot):
    url = str(client.client.make_url("/health"))
    response = await page.goto(url)
    assert response.status == 200
    assert '"status":"ok"' in await page.content()
    assert (await screenshot(page, "smoke-health")).stat().st_size > 0
