"""The Partners Portal as a browser sees it, for tests over HTTP: `Portal` (one browser with its own
cookies), `set_cookie` (a Set-Cookie header by name), and the `portals` fixture that opens browsers
and closes them after the test. A pytest plugin (`pytest_plugins` in tests/conftest.py)."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import aiohttp
import pytest

from support import API_KEY, SECRET, Signed

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Portal:
    """One browser: its own cookie jar, following no redirects, reading the CSRF token of each page;
    connecting from `address` (another loopback address, say) when one is given."""

    def __init__(self, client: Signed, address: str | None = None) -> None:
        self.base = str(client.client.make_url("")).rstrip("/")
        connector = aiohttp.TCPConnector(local_addr=(address, 0)) if address else None
        self.http = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, status: int | None = 200) -> tuple[aiohttp.ClientResponse, str]:
        async with self.http.get(self.base + path, allow_redirects=False) as response:
            text = await response.text()
        assert status in (None, response.status), f"GET {path}: {response.status}\n{text[:3000]}"
        found = CSRF.search(text)
        self.csrf = found.group(1) if found else self.csrf
        return response, text

    async def post(
        self, path: str, data: dict | list | None = None, status: int | None = 303, csrf: str | None = None
    ) -> tuple[aiohttp.ClientResponse, str]:
        form = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf is None:
            form.append(("csrf_token", self.csrf))
        elif csrf != "-":
            form.append(("csrf_token", csrf))
        async with self.http.post(self.base + path, data=form, allow_redirects=False) as response:
            text = await response.text()
        assert status in (None, response.status), f"POST {path}: {response.status}\n{text[:3000]}"
        return response, text

    async def sign_in(self, api_key: str = API_KEY, secret: str = SECRET, status: int = 303):
        await self.get("/portal/sign-in")
        return await self.post("/portal/sign-in", {"api_key": api_key, "secret_key": secret}, status=status)


@pytest.fixture
async def portals():
    """Opens browsers on a mock: `portals(client)`, or `portals(client, address)` to connect from
    another address; each has its own cookies."""
    opened: list[Portal] = []

    def open_one(target: Signed, address: str | None = None) -> Portal:
        opened.append(Portal(target, address))
        return opened[-1]

    yield open_one
    for p in opened:
        await p.close()


def set_cookie(response: aiohttp.ClientResponse, name: str):
    """The cookie `name` the response sets, and its whole Set-Cookie header."""
    for header in response.headers.getall("Set-Cookie", []):
        cookie = SimpleCookie(header)
        if name in cookie:
            return cookie[name], header
    raise AssertionError(f"no Set-Cookie {name}: {response.headers.getall('Set-Cookie', [])}")
