"""Signing in and out; failed sign-ins are slowed down per client address."""

from __future__ import annotations

from aiohttp import web

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
    wait = await auth.retry_after(platform, client)
    if wait:
        text = f"Too many failed sign-ins from your address. Wait {wait} s, then try again."
        response = _form(visit, status=429, message=render.notice("error", text), api_key=api_key)
        response.headers["Retry-After"] = str(wait)
        return response
    if not api_key or not secret:
        text = "Enter both your API key and your secret key."
        return _form(visit, status=400, message=render.notice("error", text), api_key=api_key)
    operator = auth.check_credentials(platform, api_key, secret)
    if operator is None:
        await auth.record_failure(platform, client)
        text = "The API key or the secret key is wrong."
        wait = await auth.retry_after(platform, client)
        if wait:
            text += f" Too many failed sign-ins: wait {wait} s before the next try."
        return _form(visit, status=401, message=render.notice("error", text), api_key=api_key)
    await auth.forget_failures(platform, client)
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


async def sign_out(visit: Visit) -> web.Response:
    assert visit.session is not None
    await auth.close_session(visit.platform, visit.session)
    response = await visit.redirect("/portal/sign-in?reason=signed-out")
    auth.clear_cookie(response, auth.SESSION_COOKIE)
    return response
