"""Signing in and out, with failed sign-ins limited per (client address, API key) and per address."""

from __future__ import annotations

from aiohttp import web

from netspace_mock.domain import portal_limits as limits
from netspace_mock.domain.platform import Platform
from netspace_mock.web.portal import auth, registration, render
from netspace_mock.web.portal.render import EMPTY, Html
from netspace_mock.web.portal.visit import Visit

REASONS = {
    "expired": ("info", "Your session expired, sign in again."),
    "signed-out": ("ok", "You are signed out."),
}
HOME = "/portal/dashboard"


def safe_next(value: str) -> str:
    """Where to go after sign-in: only a portal page of this server, never elsewhere."""
    ok = (
        value.startswith("/portal/")
        and not value.startswith(("/portal/sign-", "/portal/register"))
        and len(value) <= 512
        and "\\" not in value
        and value.isprintable()
    )
    return value if ok else HOME


def _form(visit: Visit, *, status: int = 200, message: Html = EMPTY, api_key: str = "") -> web.Response:
    nxt = visit.field("next") or visit.request.query.get("next", "")
    body = render.fill(
        "sign_in",
        csrf=visit.form_token,
        next=safe_next(nxt),
        api_key=api_key,
        register=registration.sign_in_line(visit.platform.settings),
    )
    return visit.page("Sign in", body, status=status, notice=message)


def _refused(visit: Visit, status: int, text: str, api_key: str, wait: int = 0) -> web.Response:
    response = _form(visit, status=status, message=render.notice("error", text), api_key=api_key)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


async def home(visit: Visit) -> web.Response:
    return await visit.redirect(HOME if visit.operator else "/portal/sign-in")


async def sign_in_page(visit: Visit) -> web.Response:
    if visit.operator is not None:
        return await visit.redirect(HOME)
    reason = REASONS.get(visit.request.query.get("reason", ""))
    return _form(visit, message=render.notice(*reason) if reason else Html(""))


async def sign_in(visit: Visit) -> web.Response:
    platform, client = visit.platform, auth.client_address(visit.request)
    api_key, secret = visit.field("api_key").strip(), visit.field("secret_key")
    if not api_key or not secret:
        return _refused(visit, 400, "Enter both your API key and your secret key.", api_key)
    if len(api_key) > limits.KEY_LIMIT:
        text = f"An API key is at most {limits.KEY_LIMIT} characters."
        return _refused(visit, 400, text, api_key[: limits.KEY_LIMIT])
    async with limits.sign_ins_from(platform, client):
        refused = await _throttled(visit, client, api_key)
        if refused is not None:
            return refused
        operator = auth.check_credentials(platform, api_key, secret)
        if operator is None:
            await limits.record_failure(platform, client, api_key)
            return _refused(visit, 401, await _wrong(platform, client, api_key), api_key)
        await limits.forget_failures(platform, client, api_key)
    if visit.session is not None:  # signing in as another operator ends the current session
        await auth.close_session(platform, visit.session)
    token = await auth.open_session(platform, operator)
    response = await visit.redirect(safe_next(visit.field("next")))
    auth.set_cookie(
        response,
        visit.request,
        auth.SESSION_COOKIE,
        token,
        max_age=auth.SESSION_SECONDS,
        public_https=auth.public_https(platform),
    )
    return response


async def _throttled(visit: Visit, client: str, api_key: str) -> web.Response | None:
    """429 while this address, or this key from this address, must wait; the secret is not checked."""
    wait = await limits.address_wait(visit.platform, client)
    if wait:
        text = (
            f"Too many failed sign-ins from your address ({limits.ADDRESS_FAILURES} in "
            f"{limits.FAILURE_MEMORY // 60} min, whatever the API key). Wait {wait} s, then try again."
        )
        return _refused(visit, 429, text, api_key, wait)
    wait = await limits.key_wait(visit.platform, client, api_key)
    if wait:
        text = f"Too many failed sign-ins for this API key from your address. Wait {wait} s, then try again."
        return _refused(visit, 429, text, api_key, wait)
    return None


async def _wrong(platform: Platform, client: str, api_key: str) -> str:
    """The message of a failed sign-in, with the wait the next attempt faces, if any."""
    text = "The API key or the secret key is wrong."
    wait = await limits.key_wait(platform, client, api_key)
    if wait:
        return text + f" Too many failed sign-ins for this API key: wait {wait} s before the next try."
    wait = await limits.address_wait(platform, client)
    if wait:
        return text + f" Too many failed sign-ins from your address: wait {wait} s before the next try."
    return text


async def sign_out(visit: Visit) -> web.Response:
    assert visit.session is not None
    await auth.close_session(visit.platform, visit.session)
    response = await visit.redirect("/portal/sign-in?reason=signed-out")
    auth.clear_cookie(response, auth.SESSION_COOKIE)
    return response
