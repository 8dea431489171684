"""A stand-in of the Netspace ONE Python SDK, as the guide's quick start uses it:

    from netspace import NetspaceSDK

    netspace = NetspaceSDK(api_key='your-api-key', secret_key='your-secret-key')
    session = netspace.launch_game(session_id='session-123', player_id='player-456', game_id='lotterix',
                                   currency='USD', client_ip='192.168.1.1')
    session['game_url']

The base URL is `base_url=`, else the environment variable NETSPACE_API_URL, else the real platform
(https://api.netspace.one). Standard library only. Every request is signed as the guide says: the hex
HMAC-SHA256, keyed with the secret, of TIMESTAMP + METHOD + PATH + BODY, where PATH starts with /api
and is the path alone (a query string is sent but not signed), and BODY is the exact text sent (the
empty string when there is none), written as JavaScript's JSON.stringify writes it (50.0 as 50).
Every method returns the parsed answer (a dict with `success: True`); an error answer, or no answer,
raises NetspaceError with the envelope's code and message and the HTTP status (0: no answer).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import time
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any, Dict, Optional
from urllib.parse import quote

__all__ = ["NetspaceError", "NetspaceSDK", "DEFAULT_BASE_URL", "__version__"]
__version__ = "1.0.0"
DEFAULT_BASE_URL = "https://api.netspace.one"


class NetspaceError(Exception):
    """An error answer of the API, or a failure to reach it (status 0, code NETWORK_ERROR)."""

    def __init__(self, code: str, message: str, status: int, details: Optional[dict] = None) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.code, self.message, self.status, self.details = code, message, status, details or {}


def _compact(fields: Dict[str, Any]) -> Dict[str, Any]:
    """The fields that were given: the API reads a missing field as "not given", not as null."""
    return {name: value for name, value in fields.items() if value is not None}


def _query(params: Dict[str, Any]) -> str:
    # Strict percent-encoding (RFC 3986 unreserved characters only): the query is sent exactly as written.
    parts = []
    for name, value in _compact(params).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{quote(str(name), safe='')}={quote(str(value), safe='')}")
    return "?" + "&".join(parts) if parts else ""


def _js_number(value: float) -> str:
    """A number as JavaScript writes it (Number::toString): 50.0 is 50, 1e21 is 1e+21, 1e-05 is 0.00001."""
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a JSON number")
    if value == 0:
        return "0"
    # repr holds the shortest digits that read back as the same double: the digits JavaScript writes.
    _, figures, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, figures))
    k, n = len(digits), exponent + len(digits)  # value = 0.DIGITS x 10**n
    sign = "-" if value < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    shown = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{shown}e{'+' if n > 0 else '-'}{abs(n - 1)}"


SAFE_INTEGER = 2**53  # an integer beyond it is a rounded double in JavaScript


def _json(value: Any) -> str:
    """JSON.stringify's text of a value: compact, non-ASCII kept, numbers in JavaScript's form (json.dumps
    writes a float 50.0 as 50.0, JavaScript as 50, and a platform that re-serialises the body would differ)."""
    big = isinstance(value, int) and not isinstance(value, bool) and abs(value) >= SAFE_INTEGER
    if isinstance(value, (float, Decimal)) or big:
        return _js_number(float(value))
    if isinstance(value, dict):
        return "{" + ",".join(_json(str(k)) + ":" + _json(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class NetspaceSDK:
    def __init__(
        self, api_key: str, secret_key: str, base_url: Optional[str] = None, timeout: float = 30.0
    ) -> None:
        if not api_key or not secret_key:
            raise ValueError("NetspaceSDK needs api_key and secret_key")
        self.api_key, self.secret_key, self.timeout = str(api_key), str(secret_key), timeout
        self.base_url = (base_url or os.environ.get("NETSPACE_API_URL") or DEFAULT_BASE_URL).rstrip("/")

    # ---- signing and sending --------------------------------------------------------------------

    def signature(self, timestamp: str, method: str, path: str, body: str = "") -> str:
        message = f"{timestamp}{method.upper()}{path}{body}".encode("utf-8")
        return hmac.new(self.secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()

    def request(
        self, method: str, path: str, payload: Optional[dict] = None, query: Optional[dict] = None
    ) -> dict:
        method = method.upper()
        signed_path = path  # the path alone: the query string is sent, not signed
        path += _query(query or {})
        # Serialised once: the very text signed is the one sent.
        body = "" if payload is None else _json(payload)
        timestamp = str(int(time.time()))  # seconds, not milliseconds
        headers = {
            "Accept": "application/json",
            "X-API-Key": self.api_key,
            "X-Timestamp": timestamp,
            "X-Signature": self.signature(timestamp, method, signed_path, body),
        }
        if body:
            headers["Content-Type"] = "application/json"
        sent = urllib.request.Request(
            self.base_url + path, data=body.encode("utf-8") if body else None, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(sent, timeout=self.timeout) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as error:
            why = f"{method} {self.base_url}{path} failed: {error}"
            raise NetspaceError("NETWORK_ERROR", why, 0) from None
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if 200 <= status < 300 and isinstance(answer, dict) and answer.get("success") is True:
            return answer
        error = answer.get("error") if isinstance(answer, dict) else None
        error = error if isinstance(error, dict) else {}
        raise NetspaceError(
            error.get("code") or "HTTP_ERROR",
            error.get("message") or f"HTTP {status}: {text[:500]}",
            status,
            error.get("details"),
        )

    # ---- the guide's nine methods ---------------------------------------------------------------

    def launch_game(
        self,
        session_id: str,
        player_id: str,
        game_id: str,
        currency: str,
        language: Optional[str] = None,
        return_url: Optional[str] = None,
        client_ip: Optional[str] = None,
    ) -> dict:
        """POST /api/game/launch: a real-money session; the answer holds game_url, session_id, expires_at."""
        body = {"session_id": session_id, "player_id": player_id, "game_id": game_id, "currency": currency}
        body.update(_compact({"language": language, "return_url": return_url, "client_ip": client_ip}))
        return self.request("POST", "/api/game/launch", body)

    def launch_demo(
        self,
        game_id: str,
        currency: Optional[str] = None,
        language: Optional[str] = None,
        return_url: Optional[str] = None,
    ) -> dict:
        """POST /api/game/launch-demo: a session with a virtual balance."""
        body = {"game_id": game_id}
        body.update(_compact({"currency": currency, "language": language, "return_url": return_url}))
        return self.request("POST", "/api/game/launch-demo", body)

    def get_currencies(self) -> dict:
        """GET /api/game/currencies"""
        return self.request("GET", "/api/game/currencies")

    def get_games(
        self,
        category: Optional[str] = None,
        search: Optional[str] = None,
        currency: Optional[str] = None,
        language: Optional[str] = None,
        featured: Optional[bool] = None,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
    ) -> dict:
        """GET /api/games/catalog, filtered and paginated."""
        query = {"category": category, "search": search, "currency": currency, "language": language}
        query.update({"featured": featured, "page": page, "per_page": per_page})
        return self.request("GET", "/api/games/catalog", query=query)

    def get_game_detail(self, game_id: str) -> dict:
        """GET /api/games/{game_id}"""
        return self.request("GET", "/api/games/" + quote(str(game_id), safe=""))

    def assign_free_bet(
        self,
        operator_free_bet_id: str,
        player_id: str,
        free_bets: Optional[dict] = None,
        *,
        amount: Any = None,
        currency: Optional[str] = None,
        expires_at: Optional[str] = None,
        game_id: Optional[str] = None,
    ) -> dict:
        """POST /api/v1/freebets/assign, with free_bets={amount, currency, expires_at} as in the guide's
        request (or amount=, currency=, expires_at= given flat); game_id limits it to one game."""
        given = dict(free_bets or {})
        given.update(_compact({"amount": amount, "currency": currency, "expires_at": expires_at}))
        body = {"operator_free_bet_id": operator_free_bet_id, "player_id": player_id, "free_bets": given}
        body.update(_compact({"game_id": game_id}))
        return self.request("POST", "/api/v1/freebets/assign", body)

    def get_free_bet_status(self, netspace_free_bet_id: str) -> dict:
        """POST /api/v1/freebets/status"""
        return self.request("POST", "/api/v1/freebets/status", {"netspace_free_bet_id": netspace_free_bet_id})

    def cancel_free_bet(self, netspace_free_bet_id: str, reason: Optional[str] = None) -> dict:
        """POST /api/v1/freebets/cancel"""
        body = _compact({"netspace_free_bet_id": netspace_free_bet_id, "reason": reason})
        return self.request("POST", "/api/v1/freebets/cancel", body)

    def update_jackpot(self, amount: Any, currency: str) -> dict:
        """POST /api/lotterix/jackpot/update: the Lotterix jackpot of one currency."""
        return self.request("POST", "/api/lotterix/jackpot/update", {"amount": amount, "currency": currency})
