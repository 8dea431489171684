"""Faults an operator injects into its own API requests: each kind's effect on the wire and in the
journal, counts and probabilities (repeated by a seed), what is never faulted, and the clearing."""

from __future__ import annotations

import aiohttp
import pytest

from netspace_mock.serving import PLATFORM
from support import Signed, launch_body

CURRENCIES = "/api/game/currencies"


async def add(client: Signed, **rule) -> dict:
    return (await client.ok("POST", "/api/sandbox/faults", rule))["fault"]


async def faulted(client: Signed) -> list[dict]:
    return (await client.ok("GET", "/api/sandbox/requests?faulted=true"))["requests"]


async def test_a_503_rule_with_a_count_hits_the_first_requests_then_stops(client):
    rule = await add(client, route="/api/game/*", kind="http_503", count=2)
    assert rule["fired"] == 0 and rule["count"] == 2 and rule["method"] is None
    for _ in range(2):
        error = await client.error("GET", CURRENCIES, status=503, code="SERVICE_UNAVAILABLE")
        assert error["details"]["injected_fault"] == {"rule_id": rule["id"], "kind": "http_503"}
    await client.ok("GET", CURRENCIES)
    await client.ok("POST", "/api/game/launch", launch_body())  # the count is spent
    assert [f["fired"] for f in (await client.ok("GET", "/api/sandbox/faults"))["faults"]] == [2]
    hit = await faulted(client)
    assert [r["status"] for r in hit] == [503, 503]
    assert hit[0]["fault"] == f"HTTP 503 (injected by fault rule {rule['id']})"
    assert hit[0]["error_code"] == "SERVICE_UNAVAILABLE" and hit[0]["verdict"] == "accepted"


async def test_a_500_and_a_429_with_retry_after(client):
    await add(client, route=CURRENCIES, kind="http_429", retry_after=7, count=1)
    await add(client, route="/api/games/featured", method="GET", kind="http_500")
    status, answer = await client.sdk.send("GET", CURRENCIES, b"")
    assert status == 429 and answer["error"]["code"] == "RATE_LIMITED"
    assert answer["error"]["details"]["retry_after_seconds"] == 7
    async with client.client.get(CURRENCIES, headers=client.headers("GET", CURRENCIES)) as resp:
        assert resp.status == 200  # the count of one is spent
    await add(client, route=CURRENCIES, kind="http_429", retry_after=7, count=1)
    async with client.client.get(CURRENCIES, headers=client.headers("GET", CURRENCIES)) as resp:
        assert resp.status == 429 and resp.headers["Retry-After"] == "7"
    await client.error("GET", "/api/games/featured", status=500, code="INTERNAL_ERROR")
    assert [r["status"] for r in await faulted(client)] == [500, 429, 429]


async def test_latency_delays_then_serves(client):
    rule = await add(client, route=CURRENCIES, kind="latency", latency_ms=30, count=1)
    assert len((await client.ok("GET", CURRENCIES))["currencies"]) == 33
    [hit] = await faulted(client)
    assert hit["status"] == 200 and hit["fault"] == f"latency 30 ms (injected by fault rule {rule['id']})"


async def test_a_dropped_connection_gives_the_client_no_answer(client):
    await add(client, route="/api/sandbox/stats", kind="drop", count=1)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.sdk.send("GET", "/api/sandbox/stats", b"")
    await client.ok("GET", "/api/sandbox/stats")  # the next request is served
    [hit] = await faulted(client)
    assert hit["status"] is None and hit["error_code"] is None and "connection dropped" in hit["fault"]


async def test_only_authenticated_requests_and_never_the_faults_or_reset_routes(client):
    await add(client, route="/api/*", kind="drop")
    wrong = Signed(client.client, client.api_key, "not-the-secret", now=client.now)
    await wrong.error("GET", CURRENCIES, status=401, code="UNAUTHORIZED")  # refused, not dropped
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.sdk.send("GET", CURRENCIES, b"")
    assert len((await client.ok("GET", "/api/sandbox/faults"))["faults"]) == 1
    await client.ok("POST", "/api/sandbox/faults", {"route": "/api/games/*", "kind": "http_500"})
    reset = (await client.ok("POST", "/api/sandbox/reset"))["reset"]
    assert reset["fault_rules"] == 2  # a reset clears them
    await client.ok("GET", CURRENCIES)


async def test_delete_clears_the_rules(client):
    await add(client, route=CURRENCIES, kind="http_500")
    await client.error("GET", CURRENCIES, status=500, code="INTERNAL_ERROR")
    cleared = await client.ok("DELETE", "/api/sandbox/faults")
    assert cleared["deleted"] == 1 and cleared["faults"] == []
    await client.ok("GET", CURRENCIES)
    assert (await client.ok("GET", "/api/sandbox/faults"))["faults"] == []


async def test_a_rule_is_refused_when_it_is_incomplete_or_unknown(client):
    await client.error(
        "POST",
        "/api/sandbox/faults",
        {"route": "/api/*", "kind": "latency"},
        status=400,
        code="INVALID_REQUEST",
    )
    for body in (
        {"route": "/api/*", "kind": "http_418"},
        {"route": "/portal/*", "kind": "drop"},
        {"route": "/api/*", "kind": "drop", "probability": 0},
        {"route": "/api/*", "kind": "drop", "extra": 1},
    ):
        await client.error("POST", "/api/sandbox/faults", body, status=400, code="INVALID_REQUEST")


async def sequence(make_client, db: str, seed: int) -> list[int]:
    op = await make_client(db=db, seed=seed)
    await add(op, route=CURRENCIES, kind="http_503", probability=0.5)
    statuses = []
    for _ in range(40):
        status, _ = await op.get(CURRENCIES)
        statuses.append(status)
    return statuses


async def test_a_seeded_run_injects_the_same_faults_at_the_same_requests(make_client, tmp_path):
    first = await sequence(make_client, str(tmp_path / "a.db"), 7)
    again = await sequence(make_client, str(tmp_path / "b.db"), 7)
    other = await sequence(make_client, str(tmp_path / "c.db"), 8)
    assert first == again and set(first) == {200, 503}
    assert other != first  # 40 fair draws: the same sequence once in 2**40 seeds


async def test_rules_and_their_counts_survive_a_restart(mock_factory):
    op = await mock_factory()
    await add(op, route=CURRENCIES, kind="http_500", count=2)
    await op.error("GET", CURRENCIES, status=500, code="INTERNAL_ERROR")
    await op.client.close()
    again = await mock_factory()
    [rule] = (await again.ok("GET", "/api/sandbox/faults"))["faults"]
    assert rule["fired"] == 1
    await again.error("GET", CURRENCIES, status=500, code="INTERNAL_ERROR")
    await again.ok("GET", CURRENCIES)
    assert again.client.app[PLATFORM].faults.rules(1)[0].fired == 2
