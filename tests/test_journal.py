"""The request journal through the API: what a request leaves there (headers without secrets, body,
verdict, ids, status), its filters, the game page's calls under the session's operator, the ring of
requests nobody owns, and its bounds."""

from __future__ import annotations

import json

from netspace_mock.serving import PLATFORM
from support import KEY_B, SECRET_B, Signed, launch_body, operators_file, stringified


async def journal(client: Signed, **filters) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    answer = await client.ok("GET", "/api/sandbox/requests" + (f"?{query}" if query else ""))
    return answer["requests"]


async def test_a_request_is_recorded_with_its_headers_body_ids_and_status(client):
    launched = launch_body(session_id="s-j1")
    await client.ok("POST", "/api/game/launch", launched)
    rnd = (await client.ok("POST", "/api/sandbox/game/bet", {"session_id": "s-j1", "amount": 1}))["round"]
    found = await journal(client)
    # Newest first, and a client sees its own previous request at once.
    assert [r["path"] for r in found] == ["/api/sandbox/game/bet", "/api/game/launch"]
    bet, launch = found
    assert launch["method"] == "POST" and launch["source"] == "api" and launch["status"] == 200
    assert json.loads(launch["body"]) == launched and launch["body_bytes"] == len(stringified(launched))
    assert launch["verdict"] == "accepted" and launch["refusal"] is None and launch["fault"] is None
    assert launch["session_id"] == "s-j1" and launch["round_id"] is None
    assert bet["session_id"] == "s-j1" and bet["round_id"] == rnd["round_id"]
    headers = launch["headers"]
    assert headers["X-API-Key"] == client.api_key and headers["X-Timestamp"].isdigit()
    assert len(headers["X-Signature"]) == 13 and headers["X-Signature"].endswith("…")
    assert launch["latency_ms"] >= 0
    # The journal's own GET is there the next time.
    assert (await journal(client))[0]["path"] == "/api/sandbox/requests"


async def test_a_refused_signature_keeps_the_diagnosis_and_the_string_to_sign(client):
    body = json.dumps({"session_id": "s", "amount": 1})
    headers = client.headers("POST", "/api/sandbox/game/bet", json.dumps({"session_id": "s", "amount": 2}))
    await client.error(
        "POST", "/api/sandbox/game/bet", raw=body, headers=headers, status=401, code="UNAUTHORIZED"
    )
    headers = client.headers("GET", "/api/game/currencies")
    del headers["X-Timestamp"]
    await client.error("GET", "/api/game/currencies", headers=headers, status=401, code="UNAUTHORIZED")
    found = await journal(client, verdict="refused")
    assert [r["path"] for r in found] == ["/api/game/currencies", "/api/sandbox/game/bet"]
    missing, mismatch = found
    assert "missing header X-Timestamp" in missing["refusal"]["message"]
    assert mismatch["status"] == 401 and mismatch["error_code"] == "UNAUTHORIZED"
    assert mismatch["refusal"]["message"].startswith("signature mismatch: ")
    assert mismatch["refusal"]["string_to_sign"].endswith("POST/api/sandbox/game/bet" + body)
    assert mismatch["body"] == body and mismatch["session_id"] == "s"  # named by the body refused
    # Accepted: only the journal's own reads.
    assert {r["path"] for r in await journal(client, verdict="accepted")} == {"/api/sandbox/requests"}


async def test_the_filters_narrow_the_journal(client):
    await client.ok("POST", "/api/game/launch", launch_body(session_id="s-f1"))
    await client.ok("POST", "/api/game/launch", launch_body(session_id="s-f2"))
    rnd = (await client.ok("POST", "/api/sandbox/game/bet", {"session_id": "s-f2", "amount": 1}))["round"]
    await client.error("GET", "/api/games/nope", status=404, code="NOT_FOUND")
    fb = await client.ok(
        "POST",
        "/api/v1/freebets/assign",
        {
            "operator_free_bet_id": "promo-1",
            "player_id": "player-1",
            "free_bets": {"amount": 1, "currency": "USD", "expires_at": "2099-01-01T00:00:00Z"},
        },
    )
    fb_id = fb["free_bet"]["netspace_free_bet_id"]
    await client.ok("POST", "/api/v1/freebets/status", {"netspace_free_bet_id": fb_id})
    assert [r["path"] for r in await journal(client, status=404)] == ["/api/games/nope"]
    assert [r["round_id"] for r in await journal(client, round_id=rnd["round_id"])] == [rnd["round_id"]]
    assert [r["path"] for r in await journal(client, session_id="s-f2")] == [
        "/api/sandbox/game/bet",
        "/api/game/launch",
    ]
    assert [r["path"] for r in await journal(client, netspace_free_bet_id=fb_id)] == [
        "/api/v1/freebets/status",
        "/api/v1/freebets/assign",
    ]
    assert {r["path"] for r in await journal(client, path="/api/v1/")} == {
        "/api/v1/freebets/status",
        "/api/v1/freebets/assign",
    }
    assert await journal(client, since="2999-01-01T00:00:00Z") == []
    assert len(await journal(client, since="2000-01-01T00:00:00Z")) >= 6
    page = await client.ok("GET", "/api/sandbox/requests?per_page=2&page=2")
    assert len(page["requests"]) == 2 and page["pagination"]["total"] >= 7
    await client.error("GET", "/api/sandbox/requests?since=yesterday", status=400, code="INVALID_REQUEST")


async def test_the_game_pages_calls_go_to_the_sessions_operator(client):
    launched = await client.ok("POST", "/api/game/launch", launch_body(session_id="s-g1"))
    play = launched["game_url"].split("/play/", 1)[1]
    http = client.client
    async with http.get(f"/play/{play}/state") as resp:
        assert resp.status == 200
    async with http.post(f"/play/{play}/round", json={"amount": 1, "numbers": [1, 2, 3, 4, 5]}) as resp:
        played = await resp.json()
        assert resp.status == 200
    found = await journal(client, source="game")
    assert [r["method"] for r in found] == ["POST", "GET"]
    assert all(r["session_id"] == "s-g1" and r["headers"].get("X-API-Key") is None for r in found)
    assert found[0]["round_id"] == played["round"]["round_id"] and found[0]["status"] == 200
    assert "play/" in found[0]["path"] and json.loads(found[0]["body"])["amount"] == 1
    async with http.get("/play/not-a-token/state") as resp:  # no session: nobody's journal
        assert resp.status == 404
    assert len(await journal(client, source="game")) == 2


async def test_an_unknown_api_key_belongs_to_no_operator(client, tmp_path, make_client, caplog):
    both = await make_client(operators=operators_file(tmp_path))
    other = Signed(both.client, KEY_B, SECRET_B, now=both.now)
    stranger = Signed(both.client, "nobody-key-123", "whatever", now=both.now)
    caplog.set_level("INFO", "netspace_mock.journal")
    await stranger.error("GET", "/api/game/currencies", status=401, code="UNAUTHORIZED")
    assert await journal(both) == [] or all(r["path"] == "/api/sandbox/requests" for r in await journal(both))
    assert all(r["headers"].get("X-API-Key") != "nobody-key-123" for r in await journal(other))
    ring = list(both.client.app[PLATFORM].journal.strangers)
    assert ring[-1]["path"] == "/api/game/currencies" and ring[-1]["api_key"] == "nobody-k…"
    assert any("request of no operator" in r.getMessage() for r in caplog.records)


async def test_each_operator_sees_only_its_own_requests(tmp_path, make_client):
    a = await make_client(operators=operators_file(tmp_path))
    b = Signed(a.client, KEY_B, SECRET_B, now=a.now)
    await a.ok("POST", "/api/game/launch", launch_body(session_id="s-a"))
    await b.ok("POST", "/api/game/launch", launch_body(session_id="s-b"))
    assert {r["session_id"] for r in await journal(a) if r["session_id"]} == {"s-a"}
    assert {r["session_id"] for r in await journal(b) if r["session_id"]} == {"s-b"}


async def test_retention_keeps_the_newest_rows_and_the_newest_bodies(make_client):
    op = await make_client(journal_retention=20, journal_body_bytes=100, journal_storage_bytes=500)
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s-r"))
    long = "x" * 300
    for n in range(40):
        await op.ok("POST", "/api/game/launch", launch_body(session_id=f"s-{n}", note=long))
    platform = op.client.app[PLATFORM]
    await platform.journal.flush()
    rows = await platform.db.fetchall("SELECT session_id, body FROM request_journal ORDER BY id")
    assert len(rows) == 20  # the launch and the oldest bets were dropped
    assert [r["session_id"] for r in rows] == [f"s-{n}" for n in range(20, 40)]
    kept = [r["body"] for r in rows if r["body"] is not None]
    assert len(kept) == 5 and all(r["body"] is None for r in rows[:15])  # 500 // 100 bodies
    assert all(len(body.encode()) <= 100 + len("…(truncated)".encode()) for body in kept)
    found = (await op.ok("GET", "/api/sandbox/requests?per_page=500"))["requests"]
    assert len(found) <= 21 and found[-1]["body"] is None and found[-1]["body_bytes"] > 300


async def test_pending_rows_are_written_at_shutdown(mock_factory, tmp_path):
    op = await mock_factory()
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s-shut"))
    await op.client.close()  # the journal's task is stopped, what waits is written
    again = await mock_factory()
    found = await journal(again, session_id="s-shut")
    assert [r["path"] for r in found] == ["/api/game/launch"]
