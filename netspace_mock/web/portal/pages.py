"""The portal's request handling: who is signed in, CSRF on every form, every failure as a page.

Every portal handler is wrapped by `handler(fn, access)`; it receives a Visit and returns a response.
Nothing a visitor sends can produce a stack trace: refusals are pages with a status and a message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web

from netspace_mock.errors import ApiError
from netspace_mock.serving import PLATFORM, close_if_late
from netspace_mock.store import portal as store
from netspace_mock.web.portal import auth, render
from netspace_mock.web.portal.visit import Handler, Problem, Visit, forged, read_form

# Who may call a handler: anyone (forms checked against the form cookie), a signed-in operator, the
# progress poll (JSON, signed in), or anyone for an answer that reads no form (the catch-all).
PUBLIC, SIGNED_IN, POLL, NO_FORM = "public", "signed in", "poll", "no form"
log = logging.getLogger("netspace_mock.portal")


def sign_in_location(request: web.Request, expired: bool) -> str:
    params = {"reason": "expired"} if expired else {}
    if request.method == "GET" and request.path not in ("/portal", "/portal/"):
        params["next"] = request.path_qs
    return "/portal/sign-in" + (f"?{urlencode(params)}" if params else "")


async def _admit(visit: Visit, access: str) -> web.Response | None:
    """Load the session; a page that needs one and has none answers a redirect (or, polled, a 401)."""
    request = visit.request
    visit.session = await auth.current(visit.platform, request)
    if visit.session is not None:
        visit.operator = visit.platform.operators.by_id(visit.session.operator_id)
    if access in (PUBLIC, NO_FORM) or visit.operator is not None:
        return None
    had_cookie = auth.SESSION_COOKIE in request.cookies
    location = sign_in_location(request, had_cookie)
    if access == POLL:
        response = web.json_response(
            {"error": "your session expired, sign in again", "sign_in": location}, status=401
        )
    else:
        response = web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
    if had_cookie:
        auth.clear_cookie(response, auth.SESSION_COOKIE)
    return response


async def _prepare(visit: Visit, access: str) -> None:
    request = visit.request
    visit.cookie_token = request.cookies.get(auth.FORM_COOKIE, "")
    if access == NO_FORM:
        return
    if request.method == "POST":
        visit.form = await read_form(request, visit.platform.settings.body_timeout)
        if not auth.same(visit.csrf, visit.field("csrf_token")):
            raise forged()
    elif visit.session is not None and visit.session.notice and access != POLL:
        kind, text = json.loads(visit.session.notice)
        visit.flash = render.notice(kind, text)
        await store.set_notice(visit.platform.db, visit.session.token_hash, None)


def _refusal(
    visit: Visit, access: str, status: int, title: str, message: str, headers: dict[str, str]
) -> web.Response:
    if access == POLL:
        return web.json_response({"error": message}, status=status, headers=headers)
    body = render.fill(
        "error", message=message, back="/portal/dashboard" if visit.operator else "/portal/sign-in"
    )
    response = visit.page(title, body, status=status)
    response.headers.update(headers)
    return response


def handler(fn: Handler, access: str = SIGNED_IN) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        visit = Visit(request, request.app[PLATFORM], public=access == PUBLIC)
        try:
            refused = await _admit(visit, access)
            if refused is not None:
                return refused
            await _prepare(visit, access)
            response = await fn(visit)
        except Problem as p:
            response = _refusal(visit, access, p.status, p.title, p.message, p.headers)
        except ApiError as err:
            response = _refusal(visit, access, err.status, "Not possible", err.message, {})
            close_if_late(response, err)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _refusal(visit, access, exc.status, exc.reason, exc.reason, {})
        except Exception:
            log.exception("portal: unexpected error on %s %s", request.method, request.path)
            message = "Something unexpected went wrong in netspace-mock: a bug (its log has the details)."
            response = _refusal(visit, access, 500, "Unexpected error", message, {})
        if visit.new_form_token:
            auth.set_cookie(
                response,
                request,
                auth.FORM_COOKIE,
                visit.cookie_token,
                max_age=None,
                public_https=auth.public_https(visit.platform),
            )
        return response

    handle.__name__ = fn.__name__
    return handle
