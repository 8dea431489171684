"""Python client for the platform API, with the guide's SDK methods in the guide's Python naming.

    from netspace_mock.client import NetspaceSDK            # blocking, as in the guide's quick start
    netspace = NetspaceSDK(api_key="sandbox-api-key", secret_key="sandbox-secret-key",
                           base_url="http://127.0.0.1:8080")
    session = netspace.launch_game(session_id="session-123", player_id="player-456", game_id="lotterix",
                                   currency="USD", client_ip="192.168.1.1")

`AsyncNetspaceSDK` has the same methods as coroutines. Every request is signed in the forms the strict
mock (`--strict`) accepts and that draw no integration warning: PATH is the path alone (a query string is
sent, not signed), BODY the exact bytes sent (the empty string when there is none), and a body is written as
JavaScript's JSON.stringify writes it (`10.0` as `10`). An error answer raises NetspaceError carrying the
envelope's code, message and details.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from netspace_mock import js_json, jsonio, signing

DEFAULT_BASE_URL = "https://api.netspace.one"


class NetspaceError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def body_of(payload: Any) -> bytes:
    """The payload as JSON.stringify writes it (a float 10.0 as `10`, 1e21 as `1e+21`), the form a platform
    that re-serialises the body before checking the signature expects. jsonio writes it first, so NaN,
    infinities and unbounded Decimals are refused as before; read back with Decimal numbers, it is what
    js_json.canonical takes."""
    written = jsonio.dumps(payload)
    return js_json.canonical(json.loads(written, parse_float=Decimal, parse_int=Decimal))


class AsyncNetspaceSDK:
    def __init__(
        self,
        api_key: str,
        secret_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.api_key, self.secret_key = api_key, secret_key
        self.base_url = base_url.rstrip("/")
        self._session, self._owns_session = session, session is None
        self.timeout, self.now = timeout, now

    async def __aenter__(self) -> AsyncNetspaceSDK:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    def sign(self, method: str, path: str, body: bytes = b"") -> dict[str, str]:
        """The signing headers of one request; PATH is `path` without its query string, the strict form."""
        signed_path = path.partition("?")[0]
        return signing.headers(self.api_key, self.secret_key, int(self.now()), method, signed_path, body)

    async def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """The raw exchange: sign (unless `headers` is given), send, and return (HTTP status, parsed answer)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        sent = self.sign(method, path, body) if headers is None else headers
        if body:
            sent = {"Content-Type": "application/json", **sent}
        async with self._session.request(
            method,
            URL(self.base_url + path, encoded=True),  # sent as signed: no re-quoting of the query
            data=body,
            headers=sent,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    async def request(
        self, method: str, path: str, payload: dict | None = None, query: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        encoded = urlencode(
            {k: str(v).lower() if isinstance(v, bool) else v for k, v in _clean(query or {}).items()}
        )
        if encoded:  # a query of None values only is none: a bare "?" would be signed but not sent
            path += "?" + encoded
        body = b"" if payload is None else body_of(payload)
        status, answer = await self.send(method, path, body)
        if isinstance(answer, dict) and answer.get("success") is True:
            return answer
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        raise NetspaceError(
            status,
            error.get("code", "HTTP_ERROR"),
            error.get("message", str(answer)[:500]),
            error.get("details"),
        )

    # ---- the guide's SDK methods ----------------------------------------------------------------

    async def launch_game(
        self,
        session_id: str,
        player_id: str,
        game_id: str,
        currency: str,
        language: str | None = None,
        return_url: str | None = None,
        client_ip: str | None = None,
    ) -> dict:
        return await self.request("POST", "/api/game/launch", _clean(locals() | {"self": None}))

    async def launch_demo(
        self,
        game_id: str,
        currency: str | None = None,
        language: str | None = None,
        return_url: str | None = None,
    ) -> dict:
        return await self.request("POST", "/api/game/launch-demo", _clean(locals() | {"self": None}))

    async def get_currencies(self) -> dict:
        return await self.request("GET", "/api/game/currencies")

    async def get_games(
        self,
        category: str | None = None,
        search: str | None = None,
        currency: str | None = None,
        language: str | None = None,
        featured: bool | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> dict:
        return await self.request("GET", "/api/games/catalog", query=locals() | {"self": None})

    async def get_game_detail(self, game_id: str) -> dict:
        return await self.request("GET", f"/api/games/{quote(game_id, safe='')}")

    async def get_categories(self) -> dict:
        return await self.request("GET", "/api/games/categories")

    async def get_featured_games(self) -> dict:
        return await self.request("GET", "/api/games/featured")

    async def assign_free_bet(
        self,
        operator_free_bet_id: str,
        player_id: str,
        amount: Any,
        currency: str,
        expires_at: str,
        game_id: str | None = None,
    ) -> dict:
        body = {
            "operator_free_bet_id": operator_free_bet_id,
            "player_id": player_id,
            "free_bets": {"amount": amount, "currency": currency, "expires_at": expires_at},
        }
        return await self.request("POST", "/api/v1/freebets/assign", _clean(body | {"game_id": game_id}))

    async def get_free_bet_status(self, netspace_free_bet_id: str) -> dict:
        return await self.request(
            "POST", "/api/v1/freebets/status", {"netspace_free_bet_id": netspace_free_bet_id}
        )

    async def cancel_free_bet(self, netspace_free_bet_id: str, reason: str | None = None) -> dict:
        return await self.request(
            "POST",
            "/api/v1/freebets/cancel",
            _clean({"netspace_free_bet_id": netspace_free_bet_id, "reason": reason}),
        )

    async def update_jackpot(self, amount: Any, currency: str) -> dict:
        return await self.request(
            "POST", "/api/lotterix/jackpot/update", {"amount": amount, "currency": currency}
        )

    # ---- sandbox, inspection and test controls ----------------------------------------------------

    async def sandbox_launch(
        self,
        session_id: str,
        player_id: str,
        game_id: str,
        currency: str,
        language: str | None = None,
        return_url: str | None = None,
        client_ip: str | None = None,
    ) -> dict:
        return await self.request("POST", "/api/sandbox/game/launch", _clean(locals() | {"self": None}))

    async def sandbox_balance(self, session_id: str) -> dict:
        return await self.request("GET", "/api/sandbox/game/balance", query={"session_id": session_id})

    async def sandbox_bet(
        self,
        session_id: str,
        amount: Any,
        outcome: str | None = None,
        win_amount: Any = None,
        use_free_bet: bool | None = None,
        numbers: list[int] | None = None,
        scenario: str | None = None,
        delay_seconds: float | None = None,
    ) -> dict:
        return await self.request("POST", "/api/sandbox/game/bet", _clean(locals() | {"self": None}))

    async def sandbox_stats(self) -> dict:
        return await self.request("GET", "/api/sandbox/stats")

    async def sandbox_reset(self) -> dict:
        return await self.request("POST", "/api/sandbox/reset")

    async def get_round(self, round_id: str) -> dict:
        return await self.request("GET", f"/api/sandbox/rounds/{quote(round_id, safe='')}")

    async def get_webhook_attempts(
        self,
        player_id: str | None = None,
        round_id: str | None = None,
        transaction_id: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        after_id: int | None = None,
    ) -> dict:
        return await self.request("GET", "/api/sandbox/webhooks", query=locals() | {"self": None})

    async def get_deliveries(
        self,
        status: str | None = None,
        action: str | None = None,
        round_id: str | None = None,
        player_id: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> dict:
        return await self.request("GET", "/api/sandbox/deliveries", query=locals() | {"self": None})

    async def resend_delivery(self, action_type: str, transaction_id: str) -> dict:
        return await self.request(
            "POST",
            "/api/sandbox/deliveries/resend",
            {"action_type": action_type, "transaction_id": transaction_id},
        )

    async def get_clock(self) -> dict:
        return await self.request("GET", "/api/sandbox/clock")

    async def advance_clock(self, seconds: float) -> dict:
        return await self.request("POST", "/api/sandbox/clock", {"advance_seconds": seconds})

    async def requests(self, filters: dict[str, Any] | None = None, **more: Any) -> dict:
        """Your request journal, newest first: `filters` (and keywords) of GET /api/sandbox/requests,
        e.g. status=401, verdict="refused", path="/api/sandbox", since=ISO time, session_id, round_id,
        netspace_free_bet_id, source, faulted, page, per_page."""
        return await self.request("GET", "/api/sandbox/requests", query={**(filters or {}), **more})

    async def webhook_url(self) -> dict:
        """Where the platform sends your webhook calls now (GET /api/sandbox/webhook)."""
        return await self.request("GET", "/api/sandbox/webhook")

    async def set_webhook_url(self, url: str | None) -> dict:
        """Point your webhook at `url` (None or "": the built-in reference wallet)."""
        return await self.request("POST", "/api/sandbox/webhook", {"url": url})

    async def faults(self) -> dict:
        """Your injected fault rules (GET /api/sandbox/faults)."""
        return await self.request("GET", "/api/sandbox/faults")

    async def add_fault(self, rule: dict[str, Any]) -> dict:
        """Add a fault rule, e.g. {"route": "/api/sandbox/game/*", "kind": "http_503", "count": 2}."""
        return await self.request("POST", "/api/sandbox/faults", rule)

    async def clear_faults(self) -> dict:
        """Delete every fault rule of yours (DELETE /api/sandbox/faults)."""
        return await self.request("DELETE", "/api/sandbox/faults")

    async def get_certification_tests(self) -> dict:
        return await self.request("GET", "/api/certification/tests")

    async def run_certification(
        self, player_id: str, currency: str, session_id: str | None = None, tests: list[str] | None = None
    ) -> dict:
        return await self.request("POST", "/api/certification/run", _clean(locals() | {"self": None}))

    async def get_certification_status(self) -> dict:
        return await self.request("GET", "/api/certification/status")


API_METHODS = [
    name
    for name, value in vars(AsyncNetspaceSDK).items()
    if asyncio.iscoroutinefunction(value)
    and not name.startswith("_")
    and name not in ("send", "request", "close")
]


class NetspaceSDK:
    """The blocking client of the guide's Python quick start: AsyncNetspaceSDK run on a private loop."""

    def __init__(
        self, api_key: str, secret_key: str, base_url: str = DEFAULT_BASE_URL, **options: Any
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="netspace-sdk", daemon=True)
        self._thread.start()
        self._async = AsyncNetspaceSDK(api_key, secret_key, base_url, **options)

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        if self._loop.is_running():
            self._run(self._async.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    def __enter__(self) -> NetspaceSDK:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _blocking(name: str) -> Callable[..., Any]:
    method = getattr(AsyncNetspaceSDK, name)

    def call(self: NetspaceSDK, *args: Any, **kwargs: Any) -> Any:
        return self._run(method(self._async, *args, **kwargs))

    call.__name__, call.__doc__ = name, method.__doc__
    return call


for _name in API_METHODS:
    setattr(NetspaceSDK, _name, _blocking(_name))
