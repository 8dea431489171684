"""The project's clients send only canonical requests: against a --strict mock every call passes and
the operator's integration warnings stay empty; the same request signed the lenient way warns."""

from __future__ import annotations

from netspace_mock.api.integration_warnings import HEADER
from netspace_mock.client import AsyncNetspaceSDK
from support import API_KEY, SECRET, recorded_warnings


async def test_the_python_client_passes_strict_and_draws_no_warning(make_client):
    mock = await make_client(strict=True)
    sdk = AsyncNetspaceSDK(API_KEY, SECRET, str(mock.client.make_url("")).rstrip("/"))
    try:
        assert (await sdk.get_currencies())["success"] is True  # a GET without a body
        assert (await sdk.get_games(category="slots", per_page=2, page=1))["success"] is True
        await sdk.sandbox_launch(session_id="s-1", player_id="p-1", game_id="lotterix", currency="USD")
        fb = await sdk.assign_free_bet(
            "promo-1", "p-1", 10.0, "USD", "2031-01-01T00:00:00Z", game_id="lotterix"
        )
        assert fb["success"] is True
        assert (await sdk.update_jackpot(10.0, "USD"))["success"] is True
        assert (await sdk.sandbox_bet("s-1", 2))["success"] is True
    finally:
        await sdk.close()
    assert await recorded_warnings(mock) == []
    journal = (await mock.ok("GET", "/api/sandbox/requests?per_page=500"))["requests"]
    assert {"/api/games/catalog", "/api/lotterix/jackpot/update", "/api/v1/freebets/assign"} <= {
        r["path"] for r in journal
    }


async def test_the_same_amount_signed_the_lenient_way_warns(client):
    body = b'{"amount":10.0,"currency":"USD"}'  # JSON.stringify would write 10
    headers = client.headers("POST", "/api/lotterix/jackpot/update", body)
    headers["Content-Type"] = "application/json"
    async with client.client.post("/api/lotterix/jackpot/update", data=body, headers=headers) as resp:
        assert resp.headers.getall(HEADER, [])
    assert await recorded_warnings(client) != []
