"""The portal's Requests page (the request journal), and the journal's promise never to show a secret:
after a varied session (launches, bets, free bets, refused signatures, warnings, injected faults, the
game page's calls, the secret itself pasted into a body, a query and a header), no page and no answer
holds the operator's secret key, nor a whole signature."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from aiohttp import web

from netspace_mock.app import create_app
from netspace_mock.sources import Ids
from support import SECRET, Signed, launch_body

WARNING = "X-Netspace-Mock-Warning"
WHOLE_SIGNATURE = re.compile(r"\b[0-9a-f]{64}\b")


@web.middleware
async def warns(request: web.Request, handler):
    """Inside the pipeline, as the integration warnings are added: two lines on a GET sent with a body
    of `{}`, one quoting the request's body."""
    response = await handler(request)
    if request.method == "GET" and request.body_exists:
        response.headers.add(WARNING, "a GET was signed over BODY '{}' instead of the empty string")
        response.headers.add(WARNING, "body as sent: " + (await request.read()).decode()[:100])
    return response


@pytest.fixture
async def warned(aiohttp_client, settings, clock):
    app = create_app(settings, clock=clock, ids=Ids(settings.seed))
    app.middlewares.append(warns)
    test_client = await aiohttp_client(app, server_kwargs={"port": settings.port})
    return Signed(test_client, settings.api_key, settings.secret_key, now=clock.now)


async def varied_session(op: Signed) -> dict:
    launched = await op.ok("POST", "/api/game/launch", launch_body(session_id="s-v1"))
    await op.ok("POST", "/api/sandbox/game/launch", launch_body(session_id="s-v2", player_id="p-2"))
    rnd = (
        await op.ok("POST", "/api/sandbox/game/bet", {"session_id": "s-v1", "amount": 1, "outcome": "win"})
    )["round"]
    await op.ok("POST", "/api/sandbox/game/bet", {"session_id": "s-v2", "amount": 2, "outcome": "refund"})
    await op.ok(
        "POST",
        "/api/v1/freebets/assign",
        {
            "operator_free_bet_id": "promo-v",
            "player_id": "player-1",
            "free_bets": {"amount": 1, "currency": "USD", "expires_at": "2099-01-01T00:00:00Z"},
        },
    )
    # Refused: another secret, a body other than the one signed, a missing header, the secret in a body.
    wrong = Signed(op.client, op.api_key, "not-the-secret", now=op.now)
    await wrong.error("POST", "/api/game/launch", launch_body(), status=401, code="UNAUTHORIZED")
    headers = op.headers("POST", "/api/game/launch", json.dumps(launch_body()))
    leaked = json.dumps(launch_body(session_id="s-leak", note=SECRET))
    await op.error("POST", "/api/game/launch", raw=leaked, headers=headers, status=401, code="UNAUTHORIZED")
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s-v3", note=f"my secret is {SECRET}"))
    await op.error(
        "GET", "/api/game/currencies", headers={"X-API-Key": op.api_key}, status=401, code="UNAUTHORIZED"
    )
    header = op.headers("GET", "/api/game/currencies") | {"User-Agent": f"client {SECRET}"}
    await op.request("GET", "/api/game/currencies", headers=header, expect=200)
    await op.error(
        "GET", f"/api/sandbox/game/balance?session_id={SECRET}", status=404, code="INVALID_SESSION"
    )
    # The secret sent as the signature, and as the API key (a request of nobody, kept in the log only).
    for pasted in ({"X-Signature": SECRET}, {"X-API-Key": SECRET}):
        headers = op.headers("GET", "/api/game/currencies") | pasted
        await op.error("GET", "/api/game/currencies", headers=headers, status=401, code="UNAUTHORIZED")
    # A warning: a GET signed over `{}`, sent with that body.
    signed = op.headers("GET", "/api/game/currencies", "{}")
    await op.request("GET", "/api/game/currencies", raw="{}", headers=signed, expect=200)
    # Faults: an injected 503 and a dropped connection.
    await op.ok(
        "POST", "/api/sandbox/faults", {"route": "/api/games/featured", "kind": "http_503", "count": 1}
    )
    await op.error("GET", "/api/games/featured", status=503, code="SERVICE_UNAVAILABLE")
    await op.ok("POST", "/api/sandbox/faults", {"route": "/api/sandbox/stats", "kind": "drop", "count": 1})
    with pytest.raises(aiohttp.ClientConnectionError):
        await op.sdk.send("GET", "/api/sandbox/stats", b"")
    # The game page's own calls.
    token = launched["game_url"].split("/play/", 1)[1]
    async with op.client.get(f"/play/{token}/state") as resp:
        assert resp.status == 200
    async with op.client.post(f"/play/{token}/round", json={"amount": 1, "numbers": [1, 2, 3, 4, 5]}) as resp:
        assert resp.status == 200
    return rnd


def secret_free(text: str, where: str) -> None:
    at = text.find(SECRET)
    assert at < 0, f"the secret key shows in {where}: {text[max(0, at - 300) : at + 50]}"
    assert not WHOLE_SIGNATURE.search(text), f"a whole signature shows in {where}"


async def test_no_page_and_no_answer_of_the_journal_shows_a_secret(warned, portals, caplog):
    op = warned
    caplog.set_level("INFO", "netspace_mock.journal")
    await varied_session(op)
    strangers = [r for r in caplog.records if r.name == "netspace_mock.journal"]
    assert strangers and all(SECRET not in r.getMessage() for r in strangers)
    answers = []
    page = 1
    while True:
        found = await op.ok("GET", f"/api/sandbox/requests?per_page=7&page={page}")
        answers.append(found)
        if page >= found["pagination"]["total_pages"]:
            break
        page += 1
    everything = [r for a in answers for r in a["requests"]]
    assert len(everything) >= 20 and everything[-1]["path"] == "/api/game/launch"
    # The session was varied: each kind of entry is there.
    assert {r["verdict"] for r in everything} == {"accepted", "refused"}
    assert any(r["warnings"] for r in everything) and any(r["fault"] for r in everything)
    assert any(r["source"] == "game" for r in everything) and any(r["status"] is None for r in everything)
    masked = [r for r in everything if "[secret]" in json.dumps(r)]
    assert len(masked) >= 4  # the body, the refused body and its string to sign, the header, the query
    assert any("not hexadecimal" in r["headers"].get("X-Signature", "") for r in everything)
    for n, answer in enumerate(answers, 1):
        secret_free(json.dumps(answer, ensure_ascii=False), f"answer page {n}")
    portal = portals(op)
    await portal.sign_in()
    filters = ["", "?verdict=refused", "?source=game", "?status=401", "?path=/api/game", "?session_id=s-v1"]
    pages = [f"/portal/requests{f}" for f in filters]
    _, first = await portal.get("/portal/requests")
    total = int(re.search(r'<span class="count">(\d+)</span>', first).group(1))
    pages += [f"/portal/requests?page={n}" for n in range(2, -(-total // 50) + 1)]
    for path in pages:
        _, text = await portal.get(path)
        secret_free(text, path)


async def test_the_requests_page_lists_filters_and_links_to_the_rounds_calls(client, portals):
    rnd = await varied_session(client)
    portal = portals(client)
    await portal.sign_in()
    _, text = await portal.get("/portal/requests")
    assert 'aria-current="page">Requests</a>' in text
    assert "/api/sandbox/game/bet" in text and "HTTP 401" in text and "dropped" in text
    assert f'href="/portal/transactions?round_id={rnd["round_id"]}"' in text  # the round's webhook calls
    assert "signature mismatch" in text and "The string the mock signed" in text
    _, refused = await portal.get("/portal/requests?verdict=refused")
    assert "/api/sandbox/game/bet" not in refused and "HTTP 401" in refused
    _, game = await portal.get("/portal/requests?source=game")
    assert "game page" in game and "/api/game/launch" not in game
    _, by_round = await portal.get(f"/portal/requests?round_id={rnd['round_id']}")
    assert by_round.count("<details") == 1
    _, none = await portal.get("/portal/requests?path=/nothing/here")
    assert "No requests match." in none
    _, bad = await portal.get("/portal/requests?status=abc", status=400)
    assert "HTTP status filter is a number" in bad
    await portal.get("/portal/requests?verdict=maybe", status=400)
