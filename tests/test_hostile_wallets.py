"""Hostile wallets: answers in pieces, huge, non-finite or unbounded numbers, invalid UTF-8, deep
nesting, a slow drip, a self-loop through a proxy, a slow operator beside a fast one, a full disk.

Each test uses a real wallet on port 0, asserts the outcome the delivery policy requires (round state,
rollback sent, attempts recorded), and asserts that /health answers while the hostile call is under way.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from netspace_mock.app import DISPATCHER
from netspace_mock.serving import PLATFORM
from portal_client import Portal
from support import Signed, launch_body
from wallet_attacks import Hostile
from wallets import Wallet, serve

BET = "/api/sandbox/game/bet"
START = Decimal("100.00")


async def attempts_of(op, round_id: str) -> list[dict]:
    rows = await op.client.app[PLATFORM].db.fetchall(
        "SELECT action_type, attempt, outcome, reason, http_status FROM webhook_attempts "
        "WHERE round_id = ? ORDER BY id",
        (round_id,),
    )
    return [dict(r) for r in rows]


async def health_while(op, wallet: Wallet, call: asyncio.Task) -> None:
    """/health answers while the hostile answer is held (or dripping): before the call ends."""
    await asyncio.wait({asyncio.ensure_future(wallet.held.wait()), call}, return_when=asyncio.FIRST_COMPLETED)
    assert not call.done(), "the hostile call ended before the wallet held its answer"
    health = await op.client.get("/health")
    assert health.status == 200 and (await health.json())["status"] == "ok"
    assert not call.done()
    wallet.release.set()


async def bet_with(op, wallet: Wallet, **body) -> tuple[int, dict]:
    """Play one win round (bet 5, win 12), with /health checked while the hostile answer is held."""
    call = asyncio.create_task(
        op.post(BET, {"session_id": "s1", "amount": 5, "outcome": "win", "win_amount": 12, **body})
    )
    await health_while(op, wallet, call)
    status, answer = await call
    await op.client.app[DISPATCHER].idle()
    rnd = answer["round"] if status == 200 else answer["error"]["details"]["round"]
    return status, (await op.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}"))["round"]


@pytest.fixture
async def op(mock_factory, hostile_wallet):
    mock = await mock_factory(webhook_url=hostile_wallet.url, webhook_timeout=30.0)
    await mock.ok("POST", "/api/game/launch", launch_body(session_id="s1"))
    return mock


def balance(wallet) -> Decimal:
    return wallet.balances[("player-1", "USD")]


@pytest.mark.parametrize("attack", ["chunked_70_bytes", "valid_200_kb"])
async def test_a_valid_answer_in_pieces_is_read_whole_and_the_bet_stands(op, hostile_wallet, attack):
    hostile_wallet.fail("bet", attack, held=True)
    status, rnd = await bet_with(op, hostile_wallet)
    assert status == 200
    assert rnd["status"] == "settled" and rnd["bet"]["status"] == "acknowledged"
    assert rnd["rollback"] is None
    assert balance(hostile_wallet) == START - 5 + 12
    assert [(a["action_type"], a["outcome"]) for a in await attempts_of(op, rnd["round_id"])] == [
        ("bet", "ok"),
        ("win", "ok"),
    ]


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("over_1_mib", "the answer is larger than 1048576 bytes (it is more than"),
        ("huge_exponent", "the number 1e999999 is out of range"),
        ("nan", "NaN is not valid JSON"),
        ("minus_1e300", "the number -1e300 is out of range"),
        ("balance_2e12", "the answer does not match its schema: $.balance must be at most"),
        ("digits_4000", "a number has 4000 characters"),
        ("invalid_utf8", "the answer is not valid UTF-8 (byte"),
        ("lone_surrogate", "the answer holds a string that is not Unicode"),
        ("deep_200000", "the answer nests deeper than 32 levels"),
    ],
)
async def test_a_hostile_bet_answer_is_invalid_and_the_bet_rolled_back(op, hostile_wallet, attack, reason):
    hostile_wallet.fail("bet", attack, held=True)
    status, rnd = await bet_with(op, hostile_wallet)
    assert status == 502
    assert rnd["status"] == "rolled_back" and rnd["bet"]["status"] == "unknown"
    assert rnd["bet"]["last_error"].startswith("invalid_response: " + reason), rnd["bet"]["last_error"]
    assert rnd["rollback"]["status"] == "acknowledged"
    assert rnd["balance"] is None or abs(Decimal(str(rnd["balance"]))) <= Decimal("1e12")
    # The wallet booked the bet, and the rollback reverted it.
    assert hostile_wallet.of("rollback")[0]["transaction_id"] == hostile_wallet.of("bet")[0]["transaction_id"]
    assert balance(hostile_wallet) == START
    found = await attempts_of(op, rnd["round_id"])
    assert [(a["action_type"], a["outcome"]) for a in found] == [
        ("bet", "invalid_response"),
        ("rollback", "ok"),
    ]
    assert found[0]["reason"].startswith(reason)
    # The round's views and the players page answer (nothing stored can freeze them).
    await op.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}")
    await op.ok("GET", "/api/sandbox/webhooks?round_id=" + rnd["round_id"])
    portal = Portal(op)
    try:
        await portal.sign_in()
        await portal.get("/portal/players")
        await portal.get("/portal/transactions")
    finally:
        await portal.close()


@pytest.mark.parametrize("attack", ["huge_exponent", "nan", "digits_4000", "deep_200000", "invalid_utf8"])
async def test_a_hostile_win_answer_is_retried_with_backoff_until_it_is_acknowledged(
    op, hostile_wallet, attack
):
    hostile_wallet.fail("win", attack, held=True)
    status, rnd = await bet_with(op, hostile_wallet)
    assert status == 200
    assert rnd["status"] == "settled" and rnd["win"]["status"] == "acknowledged"
    assert rnd["win"]["attempts"] == 2
    found = await attempts_of(op, rnd["round_id"])
    assert [(a["action_type"], a["attempt"], a["outcome"]) for a in found] == [
        ("bet", 1, "ok"),
        ("win", 1, "invalid_response"),
        ("win", 2, "ok"),
    ]
    # The second attempt sent the same bytes; the wallet booked the win once.
    wins = [c["raw"] for c in hostile_wallet.calls if c["payload"]["action_type"] == "win"]
    assert len(wins) == 2 and wins[0] == wins[1]
    assert balance(hostile_wallet) == START - 5 + 12
    view = json.dumps(await op.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}"))
    assert "NaN" not in view and "Infinity" not in view


@pytest.mark.slow  # waits out a 2 s timeout
async def test_a_slow_drip_runs_until_the_timeout_and_the_bet_is_rolled_back(mock_factory, hostile_wallet):
    op = await mock_factory(webhook_url=hostile_wallet.url, webhook_timeout=2.0)
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s1"))
    hostile_wallet.fail("bet", "slow_drip")  # it sets `held` itself, once it drips
    status, rnd = await bet_with(op, hostile_wallet)
    assert status == 502
    assert rnd["status"] == "rolled_back"
    assert rnd["bet"]["last_error"].startswith("transport_error: no answer within 2 s")
    found = await attempts_of(op, rnd["round_id"])
    assert [(a["action_type"], a["outcome"]) for a in found] == [
        ("bet", "transport_error"),
        ("rollback", "ok"),
    ]
    assert balance(hostile_wallet) == START


async def test_a_webhook_that_loops_back_into_the_sandbox_bet_is_refused_once(mock_factory, aiohttp_server):
    """A proxy on port 0 at the sandbox bet's own path forwards the webhook call, bytes and signed
    headers as they are, to the mock's sandbox bet: the body is refused for its unknown fields, so the
    round is one round, rejected, and no further round is opened."""
    target: dict[str, str] = {}
    forwarded: list[int] = []

    async def forward(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = "application/json"
        async with (
            aiohttp.ClientSession() as http,
            http.post(target["url"], data=await request.read(), headers=headers) as resp,
        ):
            forwarded.append(resp.status)
            return web.Response(status=resp.status, body=await resp.read(), content_type="application/json")

    proxy = web.Application()
    proxy.router.add_post(BET, forward)
    server = await aiohttp_server(proxy)
    op = await mock_factory(webhook_url=str(server.make_url(BET)), webhook_timeout=10.0)
    target["url"] = str(op.client.make_url(BET))
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s1"))
    call = asyncio.create_task(op.post(BET, {"session_id": "s1", "amount": 5}))
    health = await op.client.get("/health")
    assert health.status == 200
    status, answer = await call
    assert status == 200, answer
    rnd = answer["round"]
    assert rnd["status"] == "rejected" and rnd["bet"]["status"] == "rejected" and rnd["rollback"] is None
    assert rnd["bet"]["last_error"].startswith("INVALID_REQUEST: ")
    assert "unknown field 'action_type'" in rnd["bet"]["last_error"]
    assert forwarded == [400]
    await op.client.app[DISPATCHER].idle()
    assert (await op.client.app[PLATFORM].db.fetchone("SELECT COUNT(*) FROM rounds"))[0] == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (BET, {"session_id": "s1", "amount": 5}),
        ("/api/certification/run", {"player_id": "player-1", "currency": "USD"}),
        ("/api/lotterix/jackpot/update", {"amount": 5, "currency": "USD"}),
        ("/api/v1/freebets/cancel", {"netspace_free_bet_id": "fb_ns_x"}),
        ("/api/sandbox/deliveries/resend", {"action_type": "win", "transaction_id": "txn_x"}),
    ],
)
async def test_requests_a_webhook_body_could_pass_for_refuse_unknown_fields(op, path, body):
    webhook_fields = {"action_type": "bet", "timestamp": "2026-01-01T00:00:00.000Z", "round_id": "r"}
    err = await op.error("POST", path, {**webhook_fields, **body}, status=400, code="INVALID_REQUEST")
    unknown = [e for e in err["details"]["errors"] if e["message"].startswith("unknown field")]
    assert len(unknown) == 1, err
    assert unknown[0]["path"] in ("$.action_type", "$.timestamp", "$.round_id")
    assert "unknown field 'action_type'" in err["message"] or "unknown field 'timestamp'" in err["message"]


async def test_one_operators_slow_wallet_holds_only_its_own_slots(mock_factory, aiohttp_server, tmp_path):
    """Operator A's wallet answers only when released; with webhook_concurrency 2, at most two of its
    calls are in flight, and operator B's bets go through while A's wait."""
    slow = Wallet(["until_released", "business:INSUFFICIENT_BALANCE"])
    await serve(aiohttp_server, slow, "/slow")
    operators = tmp_path / "operators.json"  # B: no webhook_url, so the mock's own reference wallet
    operators.write_text(json.dumps([{"name": "B", "api_key": "key-b", "secret_key": "secret-b"}]))
    a = await mock_factory(
        webhook_url=slow.url,
        webhook_concurrency=2,
        webhook_timeout=30.0,
        operators=str(operators),
    )
    b = Signed(a.client, "key-b", "secret-b", now=a.now)
    for i in range(5):
        await a.ok("POST", "/api/game/launch", launch_body(session_id=f"a{i}", player_id=f"pa{i}"))
    await b.ok("POST", "/api/game/launch", launch_body(session_id="b1"))
    waiting = [asyncio.create_task(a.post(BET, {"session_id": f"a{i}", "amount": 1})) for i in range(5)]
    while slow.calls_in_flight < 2:
        await asyncio.sleep(0.01)
    for _ in range(3):
        status, answer = await b.post(BET, {"session_id": "b1", "amount": 1, "outcome": "lose"})
        assert status == 200 and answer["round"]["status"] == "settled"
    assert (await a.client.get("/health")).status == 200
    assert not any(t.done() for t in waiting) and slow.most_in_flight == 2
    slow.release.set()
    for status, answer in await asyncio.gather(*waiting):
        assert status == 200 and answer["round"]["status"] == "rejected"
    assert slow.most_in_flight == 2


async def test_a_full_disk_when_recording_becomes_a_recorded_transport_error_and_a_rollback(
    mock_factory, hostile_wallet
):
    """The bet's answer (60 KB, kept whole with attempt_answer_bytes 65536) does not fit on the disk:
    the attempt is recorded without it, as a transport_error naming the disk, and the bet is rolled back."""
    op = await mock_factory(webhook_url=hostile_wallet.url, webhook_timeout=30.0, attempt_answer_bytes=65_536)
    await op.ok("POST", "/api/game/launch", launch_body(session_id="s1"))
    db = op.client.app[PLATFORM].db
    async with db.transaction() as conn:
        pages = (await (await conn.execute("PRAGMA page_count")).fetchone())[0]
        await conn.execute(f"PRAGMA max_page_count = {pages + 8}")
    padded = Hostile(lambda a: json.dumps({**a, "padding": "x" * 60_000}, default=float).encode(), pieces=4)
    hostile_wallet.fail("bet", padded, held=True)
    status, rnd = await bet_with(op, hostile_wallet)
    async with db.transaction() as conn:
        await conn.execute("PRAGMA max_page_count = 1073741823")
    assert status == 502
    assert rnd["status"] == "rolled_back" and rnd["bet"]["status"] == "unknown"
    assert "could not be recorded" in rnd["bet"]["last_error"] and "full" in rnd["bet"]["last_error"]
    found = await attempts_of(op, rnd["round_id"])
    assert [(a["action_type"], a["outcome"]) for a in found] == [
        ("bet", "transport_error"),
        ("rollback", "ok"),
    ]
    assert balance(hostile_wallet) == START


@pytest.mark.parametrize(
    ("balance", "answer"),
    [
        ("1E+999999", '{"success":true,"balance":1e999999,"transaction_id":"t"}'),
        ("NaN", '{"success":true,"balance":NaN,"transaction_id":"t"}'),
        ("-Infinity", "[" * 65_536),
    ],
)
async def test_values_stored_before_answers_were_checked_break_no_view(op, hostile_wallet, balance, answer):
    """A balance and an answer body stored by a version that did not check answers: the round reads
    its balance as unknown, and the round view, the webhook log and the portal's pages answer."""
    status, rnd = await bet_with_honest_wallet(op)
    db = op.client.app[PLATFORM].db
    async with db.transaction() as conn:
        await conn.execute("UPDATE rounds SET balance = ?", (balance,))
        await conn.execute("UPDATE webhook_attempts SET response_body = ?", (answer,))
    view = await op.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}")
    assert view["round"]["balance"] is None
    await op.ok("GET", "/api/sandbox/webhooks?round_id=" + rnd["round_id"])
    portal = Portal(op)
    try:
        await portal.sign_in()
        for page in ("players", "transactions", "dashboard"):
            _, html = await portal.get(f"/portal/{page}")
            assert "NaN" not in html or page == "transactions"  # the raw stored answer is shown as it is
    finally:
        await portal.close()


async def bet_with_honest_wallet(op) -> tuple[int, dict]:
    status, answer = await op.post(BET, {"session_id": "s1", "amount": 5, "outcome": "lose"})
    await op.client.app[DISPATCHER].idle()
    return status, answer["round"]


async def test_a_huge_answer_is_quoted_short_in_the_error_and_kept_bounded_in_the_log(op, hostile_wallet):
    """900 KB that is not JSON, to a balance call: WEBHOOK_ERROR quotes its start and its size."""
    junk = b'{"success": true, "x": "' + b"y" * 900_000
    hostile_wallet.fail("balance", Hostile(lambda a: junk))
    status, answer = await op.get("/api/sandbox/game/balance?session_id=s1")
    assert status == 502 and answer["error"]["code"] == "WEBHOOK_ERROR"
    quoted = answer["error"]["details"]["webhook"]["answer"]
    assert quoted.startswith('{"success": true, "x": "yyy') and quoted.endswith(
        f"({len(junk)} characters in all)"
    )
    assert len(quoted) < 2100
    _, log = await op.get("/api/sandbox/webhooks?action=balance")
    kept, limit = (
        log["attempts"][0]["response"]["body"],
        op.client.app[PLATFORM].settings.attempt_answer_bytes,
    )
    assert kept == junk[:limit].decode() + "…(truncated)"
