"""The short stress run on the portal's Integration page: started from its form, followed through the
progress endpoint as stress.js follows it, its report shown on the page."""

from __future__ import annotations

import asyncio

import pytest

from portal_client import Portal
from wallets import Wallet, serve


@pytest.fixture
def browser(client, portals):
    return lambda: portals(client)


async def follow(portal: Portal, form: dict) -> tuple[dict, list[dict], str]:
    """Start a run and poll it to its end: the last state, every state seen, and the page after."""
    await portal.get("/portal/integration")
    response, _ = await portal.post("/portal/integration/stress", form)
    assert response.headers["Location"] == "/portal/integration#stress"
    seen = []
    for _ in range(600):
        async with portal.http.get(f"{portal.base}/portal/integration/stress/progress") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("application/json")
            seen.append(await r.json())
        if seen[-1]["status"] != "running":
            break
        await asyncio.sleep(0.05)
    _, page = await portal.get("/portal/integration")
    return seen[-1], seen, page


async def test_a_short_run_against_the_reference_wallet_reconciles(browser):
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/integration")
    assert 'id="stress"' in page and 'name="players" value="cert-player"' in page
    assert '<script src="/portal/static/stress.js" defer>' in page
    state, seen, page = await follow(
        portal, {"players": "cert-player", "currency": "USD", "rounds": "120", "concurrency": "4"}
    )
    assert state["status"] == "passed", state
    assert state["summary"]["rounds"] == 120 and state["summary"]["players_reconciled"] == 1
    rounds = [p["rounds"] for p in state["points"]]
    assert rounds == sorted(rounds) and rounds[-1] == 120  # a point a second, and the last at the end
    assert all(len(a["points"]) <= len(b["points"]) for a, b in zip(seen, seen[1:], strict=False))
    assert (
        "RECONCILED: 120 rounds" in page and 'data-stress-url="/portal/integration/stress/progress"' in page
    )
    _, script = await portal.get("/portal/static/stress.js")
    assert "fetch(url" in script and "createElementNS" in script


async def test_a_wallet_that_loses_updates_fails_the_portal_run(portals, mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, Wallet(["lost_updates"]))
    op = await mock_factory(webhook_url=url)
    portal = portals(op)
    await portal.sign_in()
    _, page = await portal.get("/portal/integration")
    assert 'name="players" value="stress-player-1, stress-player-2' in page
    state, _, page = await follow(
        portal, {"players": "a, b", "currency": "USD", "rounds": "200", "concurrency": "8"}
    )
    assert state["status"] == "failed" and state["summary"]["players_reconciled"] < 2
    assert "NOT RECONCILED" in page and "first parting:" in page


async def test_bad_input_starts_nothing_and_one_run_at_a_time(portals, mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, Wallet(["slow:0.2"]))
    op = await mock_factory(webhook_url=url)
    portal = portals(op)
    await portal.sign_in()
    await portal.get("/portal/integration")
    for form, message in [
        (
            {"players": "a", "currency": "USD", "rounds": "2001"},
            "rounds must be a whole number from 1 to 2000",
        ),
        ({"players": "a", "currency": "XXX"}, "is not a currency of the platform"),
        ({"players": " , ", "currency": "USD"}, "give 1 to 20 player ids"),
        ({"players": "a", "currency": "USD", "concurrency": "17"}, "concurrency must be"),
    ]:
        await portal.post("/portal/integration/stress", form)
        _, page = await portal.get("/portal/integration")
        assert "The stress run was not started: " in page and message in page
    async with portal.http.get(f"{portal.base}/portal/integration/stress/progress") as r:
        assert (await r.json())["status"] == "none"
    await portal.post("/portal/integration/stress", {"players": "a", "currency": "USD", "rounds": "40"})
    await portal.post("/portal/integration/stress", {"players": "a", "currency": "USD", "rounds": "40"})
    _, page = await portal.get("/portal/integration")
    assert "A stress run is already in progress" in page
    assert '<button type="submit" class="button primary" disabled>Start stress run' in page


async def test_the_progress_needs_a_session(browser):
    portal = browser()
    async with portal.http.get(f"{portal.base}/portal/integration/stress/progress") as r:
        assert r.status == 401 and "sign_in" in await r.json()
