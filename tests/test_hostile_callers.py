"""Hostile callers and registrants: cookies behind a TLS proxy, registration, sign-in throttling, the
sandbox clock of one operator, strings SQLite cannot store, a full disk and slow connections."""

from __future__ import annotations

import pytest
from test_portal import Portal, set_cookie

from netspace_mock.web.portal import auth
from support import Signed


@pytest.fixture
async def portals():
    """Browsers on a mock, each with its own cookies: `portals(client)`."""
    opened: list[Portal] = []

    def open_one(target: Signed) -> Portal:
        opened.append(Portal(target))
        return opened[-1]

    yield open_one
    for p in opened:
        await p.close()


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
