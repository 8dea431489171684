"""The webhook URL through the signed API (`/api/sandbox/webhook`, singular): read, changed, refused
when the mock may not call it, logged, and applied to every call not yet attempted."""

from __future__ import annotations

import logging

from netspace_mock.app import DISPATCHER
from support import launch_body
from wallets import Wallet, serve


async def test_the_url_is_read_and_changed_through_the_api(mock_factory, wallet, caplog):
    op = await mock_factory()
    found = (await op.ok("GET", "/api/sandbox/webhook"))["webhook"]
    assert found["reference_wallet"] is True and found["configured"] is None
    assert found["url"].endswith("/operator/webhook")
    caplog.set_level(logging.INFO, "netspace_mock.webhooks")
    changed = (await op.ok("POST", "/api/sandbox/webhook", {"url": wallet.url}))["webhook"]
    assert changed == {
        "url": wallet.url,
        "configured": wallet.url,
        "reference_wallet": False,
        "previous": found["url"],
    }
    assert any(
        "changed through the API" in r.getMessage() and wallet.url in r.getMessage() for r in caplog.records
    )
    await op.ok("POST", "/api/game/launch", launch_body())
    await op.ok("POST", "/api/sandbox/game/bet", {"session_id": "sess-1", "amount": 1, "outcome": "lose"})
    assert [c["payload"]["action_type"] for c in wallet.calls] == ["bet", "win"]
    # The change is in the journal, as the request that made it.
    found = (await op.ok("GET", "/api/sandbox/requests?path=/api/sandbox/webhook"))["requests"]
    assert [r["method"] for r in found] == ["POST", "GET"]  # not the attempts of /api/sandbox/webhooks
    assert wallet.url in found[0]["body"] and found[0]["status"] == 200
    back = (await op.ok("POST", "/api/sandbox/webhook", {"url": None}))["webhook"]
    assert back["reference_wallet"] is True and back["previous"] == wallet.url


async def test_a_url_the_mock_may_not_call_is_refused_and_nothing_changes(mock_factory, wallet):
    op = await mock_factory(webhook_url=wallet.url)
    refused = (
        "ftp://example.com/hook",
        "http://user:pw@127.0.0.1/hook",
        "http://169.254.169.254/x",
        "https://\u0094-/hook",  # a host IDNA cannot encode
    )
    for url in refused:
        error = await op.error(
            "POST", "/api/sandbox/webhook", {"url": url}, status=400, code="INVALID_REQUEST"
        )
        assert error["details"]["errors"][0]["path"] in ("$.url", "$.webhook_url")
    await op.error("POST", "/api/sandbox/webhook", {}, status=400, code="INVALID_REQUEST")
    assert (await op.ok("GET", "/api/sandbox/webhook"))["webhook"]["url"] == wallet.url


async def test_a_retry_not_yet_attempted_goes_to_the_new_url(mock_factory, wallet, aiohttp_server):
    op = await mock_factory(webhook_url=wallet.url, webhook_backoff=60)
    other = Wallet()
    await serve(aiohttp_server, other, "/second/hook")
    await op.ok("POST", "/api/game/launch", launch_body())
    wallet.fail("win", "http500")
    rnd = (
        await op.ok(
            "POST",
            "/api/sandbox/game/bet",
            {"session_id": "sess-1", "amount": 1, "outcome": "win", "win_amount": 2},
        )
    )["round"]
    assert rnd["win"]["status"] == "pending"  # its retry waits 60 s of sandbox time
    await op.ok("POST", "/api/sandbox/webhook", {"url": other.url})
    await op.ok("POST", "/api/sandbox/clock", {"advance_seconds": 120})
    await op.client.app[DISPATCHER].idle()
    assert [c["payload"]["action_type"] for c in wallet.calls] == ["bet", "win"]
    assert [c["payload"]["action_type"] for c in other.calls] == ["win"]
    detail = (await op.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}"))["round"]
    assert detail["status"] == "settled" and detail["win"]["attempts"] == 2
