"""Registering an operator: open or closed by `open_registration`, at most `registration_limit` per
client address an hour, and the new credentials shown once (a one-time ticket)."""

from __future__ import annotations

import math

from aiohttp import web

from netspace_mock import settings as settings_mod
from netspace_mock.domain import portal_limits as limits
from netspace_mock.domain.operators import check_name
from netspace_mock.errors import InvalidRequest
from netspace_mock.settings import Settings
from netspace_mock.web.portal import auth, render
from netspace_mock.web.portal.render import EMPTY, Html, tag
from netspace_mock.web.portal.visit import Visit


def _flag(name: str) -> str:
    return settings_mod.flag_name(next(f for f in settings_mod.fields() if f.name == name))


def _env(name: str) -> str:
    return settings_mod.env_name(next(f for f in settings_mod.fields() if f.name == name))


def sign_in_line(settings: Settings) -> Html:
    """The sign-in page's line about registering: a link when it is open, else where credentials come from."""
    if settings.registration_open:
        link = tag("a", "Register", href="/portal/register")
        return tag("p", Html("New operator? ") + link + " to get sandbox credentials.", class_="muted center")
    text = (
        "Registration is closed on this server: ask whoever runs it for an operator's API key and secret key."
    )
    return tag("p", text, class_="muted center")


def another_line(settings: Settings) -> Html:
    if not settings.registration_open:
        return EMPTY
    return Html(" ") + tag(
        "a", "Register another operator", href="/portal/register", class_="button secondary"
    )


def closed_reason(settings: Settings) -> str:
    if settings.open_registration == "off":
        return f"it was started with {_flag('open_registration')} off."
    where = settings.host or "every address"
    return (
        f"it listens on {where}, which other machines can reach, and {_flag('open_registration')} is auto "
        "(open only on a loopback address)."
    )


def closed(visit: Visit) -> web.Response:
    settings = visit.platform.settings
    body = render.fill(
        "register_closed",
        why=closed_reason(settings),
        flag=_flag("open_registration"),
        env=_env("open_registration"),
        limit=settings.registration_limit,
        operators_flag=_flag("operators"),
        operators_env=_env("operators"),
        api_key_flag=_flag("api_key"),
        secret_key_flag=_flag("secret_key"),
    )
    return visit.page("Registration closed", body, status=403)


def _form(visit: Visit, *, status: int = 200, message: Html = EMPTY, name: str = "") -> web.Response:
    body = render.fill("register", csrf=visit.form_token, name=name)
    return visit.page("Register as an operator", body, status=status, notice=message)


def _limited(visit: Visit, wait: int, name: str) -> web.Response:
    limit = visit.platform.settings.registration_limit
    about = f" (about {math.ceil(wait / 60)} min)" if wait >= 120 else ""
    text = (
        f"Your address has registered {limit} operators within the last hour, the most this server allows. "
        f"Wait {wait} s{about}, then register again, or sign in with the credentials you already have."
    )
    response = _form(visit, status=429, message=render.notice("error", text), name=name[:100])
    response.headers["Retry-After"] = str(wait)
    return response


async def page(visit: Visit) -> web.Response:
    if not visit.platform.settings.registration_open:
        return closed(visit)
    return _form(visit)


async def register(visit: Visit) -> web.Response:
    """Create the operator, then show its credentials on the next page, once."""
    platform = visit.platform
    if not platform.settings.registration_open:
        return closed(visit)
    name = visit.field("name")
    try:
        check_name(name)
    except InvalidRequest:
        text = "Enter an operator name of 1 to 100 characters."
        return _form(visit, status=400, message=render.notice("error", text), name=name[:100])
    client = auth.client_address(visit.request)
    async with limits.registrations_from(platform, client):
        wait = await limits.registration_wait(platform, client)
        if wait:
            return _limited(visit, wait, name)
        operator = await platform.operators.register(platform.db, name, platform.now_iso())
        await limits.record_registration(platform, client)
    ticket = await auth.issue_reveal(platform, operator)
    response = await visit.redirect("/portal/register/credentials")
    auth.set_cookie(
        response,
        visit.request,
        auth.REVEAL_COOKIE,
        ticket,
        max_age=auth.REVEAL_SECONDS,
        path="/portal/register",
        public_https=auth.public_https(platform),
    )
    return response


async def credentials(visit: Visit) -> web.Response:
    operator = await auth.redeem_reveal(visit.platform, visit.request.cookies.get(auth.REVEAL_COOKIE))
    if operator is None:
        body = render.fill("shown_once", register=another_line(visit.platform.settings))
        response = visit.page("Credentials already shown", body, status=410)
    else:
        body = render.fill(
            "register_done",
            name=operator.name,
            api_key=operator.api_key,
            secret_key=operator.secret_key,
            csrf=visit.form_token,
        )
        response = visit.page("Your sandbox credentials", body)
    auth.clear_cookie(response, auth.REVEAL_COOKIE, path="/portal/register")
    return response
