"""Hostile callers: cookies behind a TLS proxy, strings SQLite cannot store, slow connections. (The
registration and sign-in limits are in test_portal_limits.py, one operator's sandbox clock in
test_clock.py, a full disk in test_storage_unavailable.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
import pytest

from netspace_mock.settings import Settings
from netspace_mock.web.portal import auth
from portal_client import Portal, set_cookie
from support import Signed


async def test_the_portal_cookies_are_secure_when_the_public_url_is_https(make_client, portals):
    mock: Signed = await make_client(public_url="https://sandbox.example.test")
    portal: Portal = portals(mock)
    response, _ = await portal.get("/portal/sign-in")
    form_cookie, header = set_cookie(response, auth.FORM_COOKIE)
    assert form_cookie["secure"] and "Secure" in header
    # A browser sends a Secure cookie only over https; the proxy in front would. Sent by hand here.
    form = {"api_key": mock.api_key, "secret_key": mock.secret, "csrf_token": portal.csrf}
    cookie = {"Cookie": f"{auth.FORM_COOKIE}={form_cookie.value}"}
    async with portal.http.post(
        portal.base + "/portal/sign-in", data=form, headers=cookie, allow_redirects=False
    ) as response:
        assert response.status == 303
    session_cookie, header = set_cookie(response, auth.SESSION_COOKIE)
    assert session_cookie["secure"] and "Secure" in header and "HttpOnly" in header


# ---- slow connections ------------------------------------------------------------------------------


@pytest.fixture
async def served(tmp_path):
    """The mock on a real socket (port 0) with short idle and body timeouts; yields its settings."""
    from netspace_mock.server import start

    runner, used = await start(
        Settings(db=str(tmp_path / "served.db"), port=0, seed=7, idle_timeout=0.5, body_timeout=0.5)
    )
    yield used
    await runner.cleanup()


async def _drip(writer: asyncio.StreamWriter, reader: asyncio.StreamReader, data: bytes) -> bytes:
    """Send `data` one byte every 50 ms while reading; stops sending once the server answers or closes.
    Returns what it answered."""
    answered = bytearray()

    async def read() -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                answered.extend(chunk)

    reading = asyncio.ensure_future(read())
    for byte in data:
        if answered or reading.done():
            break
        with contextlib.suppress(ConnectionError):
            writer.write(bytes([byte]))
            await writer.drain()
        await asyncio.sleep(0.05)
    await asyncio.wait_for(reading, timeout=30)
    return bytes(answered)


async def _health(settings: Settings) -> int:
    async with aiohttp.ClientSession() as http, http.get(settings.base_url + "/health") as response:
        return response.status


async def test_a_connection_that_drips_its_headers_is_closed(served):
    reader, writer = await asyncio.open_connection(served.host, served.port)
    headers = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 400 + b"\r\n\r\n"
    dripping = asyncio.ensure_future(_drip(writer, reader, headers))
    assert await _health(served) == 200  # others are served meanwhile
    answered = await dripping
    writer.close()
    assert answered == b""  # closed without an answer, long before the headers were all sent


@pytest.mark.slow  # a body dripped byte by byte until the mock gives up
async def test_a_connection_that_drips_its_body_gets_408_and_is_closed(served):
    reader, writer = await asyncio.open_connection(served.host, served.port)
    body = b'{"session_id": "' + b"s" * 400 + b'"}'
    head = (
        b"POST /api/game/launch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    writer.write(head)
    await writer.drain()
    dripping = asyncio.ensure_future(_drip(writer, reader, body))
    assert await _health(served) == 200
    answered = await dripping
    writer.close()
    status_line, _, rest = answered.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    envelope = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert envelope["error"]["code"] == "INVALID_REQUEST"
    assert "did not arrive within 0.5 s" in envelope["error"]["message"]
    assert b"Connection: close" in rest


# ---- strings SQLite cannot store ---------------------------------------------------------------------

LONE = "\\ud800"  # as sent: the six characters of a JSON escape for half a surrogate pair
SURROGATE_CASES = [
    (
        "/api/game/launch",
        '{"session_id":"s%s","player_id":"p","game_id":"lotterix","currency":"USD"}',
        "$.session_id",
    ),
    (
        "/api/game/launch",
        '{"session_id":"s","player_id":"p%s","game_id":"lotterix","currency":"USD"}',
        "$.player_id",
    ),
    (
        "/api/game/launch",
        '{"session_id":"s","player_id":"p","game_id":"lotterix","currency":"USD","return_url":"https://x/%s"}',
        "$.return_url",
    ),
    ("/api/game/launch-demo", '{"game_id":"lotterix","return_url":"https://x/%s"}', "$.return_url"),
    ("/api/v1/freebets/status", '{"netspace_free_bet_id":"fb_ns_%s"}', "$.netspace_free_bet_id"),
    ("/api/v1/freebets/cancel", '{"netspace_free_bet_id":"fb_ns_1","reason":"%s"}', "$.reason"),
    (
        "/api/v1/freebets/assign",
        '{"operator_free_bet_id":"o%s","player_id":"p","free_bets":{"amount":1,"currency":"USD",'
        '"expires_at":"2099-01-01T00:00:00Z"}}',
        "$.operator_free_bet_id",
    ),
    ("/api/certification/run", '{"player_id":"p%s","currency":"USD"}', "$.player_id"),
    ("/api/sandbox/game/bet", '{"session_id":"s%s","amount":1}', "$.session_id"),
    ("/api/sandbox/deliveries/resend", '{"action_type":"win","transaction_id":"t%s"}', "$.transaction_id"),
    (
        "/api/game/launch",
        '{"session_id":"s","player_id":"p","game_id":"lotterix","currency":"USD","%s":1}',
        "$ (a key)",
    ),
]


@pytest.mark.parametrize(("path", "template", "field"), SURROGATE_CASES)
async def test_a_lone_surrogate_is_400_naming_the_field(client, path, template, field):
    error = await client.error("POST", path, raw=template % LONE, status=400, code="INVALID_REQUEST")
    assert error["details"]["errors"][0]["path"] == field
    assert "lone UTF-16 surrogate" in error["message"] and field in error["message"]


async def test_a_surrogate_pair_is_text_like_any_other(client):
    body = '{"session_id":"s\\ud83d\\ude00","player_id":"p","game_id":"lotterix","currency":"USD"}'
    _, answer = await client.post("/api/game/launch", raw=body, expect=200)
    assert answer["session_id"] == "s\U0001f600"


async def test_a_lone_surrogate_reaches_neither_the_game_page_nor_the_reference_wallet(client):
    launched = await client.ok(
        "POST",
        "/api/game/launch",
        {"session_id": "s", "player_id": "p", "game_id": "lotterix", "currency": "USD"},
    )
    token = launched["game_url"].rsplit("/", 1)[-1].split("?")[0]
    async with client.client.post(f"/play/{token}/round", data=b'{"stake":"%s"}' % LONE.encode()) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "INVALID_REQUEST"
