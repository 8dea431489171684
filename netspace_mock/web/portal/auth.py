"""Portal sign-in: session cookies backed by SQLite, a CSRF token per session (and a double-submit
cookie for the forms shown before sign-in), and the client address the portal's limits count against.

Sessions last SESSION_SECONDS from sign-in (fixed, not extended by use). The cookie holds a random
token; the database keeps only its SHA-256, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from netspace_mock.domain.platform import Platform
from netspace_mock.store import portal as store
from netspace_mock.store.operators import Operator
from netspace_mock.store.portal import PortalSession

SESSION_COOKIE = "netspace_portal"
FORM_COOKIE = "netspace_portal_form"
REVEAL_COOKIE = "netspace_portal_reveal"
COOKIE_PATH = "/portal"
SESSION_SECONDS = 8 * 3600
REVEAL_SECONDS = 10 * 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(expected: str, given: str | None) -> bool:
    """Constant-time comparison of two tokens; a missing one never matches."""
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode())


def check_credentials(platform: Platform, api_key: str, secret: str) -> Operator | None:
    operator = platform.operators.by_api_key(api_key)
    # Compare against something even for an unknown key, so timing does not tell keys apart.
    expected = operator.secret_key if operator else secrets.token_hex(32)
    return operator if same(expected, secret) and operator else None


async def open_session(platform: Platform, operator: Operator) -> str:
    """A new session for the operator; returns the cookie's token (only its hash is stored)."""
    token, now = secrets.token_urlsafe(32), platform.clock.now()
    await store.create_session(
        platform.db,
        PortalSession(
            token_hash(token), operator.id, secrets.token_urlsafe(32), None, now, now + SESSION_SECONDS
        ),
    )
    return token


async def current(platform: Platform, request: web.Request) -> PortalSession | None:
    """The live session of the request's cookie; an expired one is deleted and None returned."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    found = await store.session(platform.db, token_hash(token))
    if found is not None and found.expires_at <= platform.clock.now():
        await store.end_session(platform.db, found.token_hash)
        return None
    return found


async def close_session(platform: Platform, session: PortalSession) -> None:
    await store.end_session(platform.db, session.token_hash)


def set_cookie(
    response: web.StreamResponse,
    request: web.Request,
    name: str,
    value: str,
    *,
    max_age: int | None,
    path: str = COOKIE_PATH,
    public_https: bool = False,
) -> None:
    """HttpOnly, SameSite=Strict, scoped to the portal; Secure when the request came over https or the
    public URL is https (a TLS-terminating proxy in front speaks plain HTTP to the mock)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="Strict",
        secure=request.secure or public_https or None,
    )


def public_https(platform: Platform) -> bool:
    """True when browsers reach the portal over https (`public_url`), whatever the mock itself speaks."""
    return platform.settings.base_url.lower().startswith("https://")


def clear_cookie(response: web.StreamResponse, name: str, path: str = COOKIE_PATH) -> None:
    response.del_cookie(name, path=path)


# ---- who is asking ------------------------------------------------------------------------------


def client_address(request: web.Request) -> str:
    """The address the portal's limits count against: the connection's peer (a proxy in front of the
    mock is one address for all of its users)."""
    return request.remote or "unknown"


# ---- showing fresh credentials once -------------------------------------------------------------


async def issue_reveal(platform: Platform, operator: Operator) -> str:
    """A ticket that lets the next page show this operator's new credentials once."""
    ticket = secrets.token_urlsafe(32)
    await store.create_reveal(
        platform.db, token_hash(ticket), operator.id, platform.clock.now() + REVEAL_SECONDS
    )
    return ticket


async def redeem_reveal(platform: Platform, ticket: str | None) -> Operator | None:
    if not ticket or len(ticket) > 200:
        return None
    operator_id = await store.take_reveal(platform.db, token_hash(ticket), platform.clock.now())
    return platform.operators.by_id(operator_id) if operator_id is not None else None
