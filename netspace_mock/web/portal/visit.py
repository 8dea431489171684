"""One request to the portal as its handlers see it: the session, the operator, the form and its CSRF
token, query values checked on the way in, and how a page or a redirect goes out."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from netspace_mock import serving
from netspace_mock.domain.platform import Platform
from netspace_mock.store import portal as store
from netspace_mock.store.operators import Operator
from netspace_mock.store.portal import PortalSession
from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import EMPTY, Html

FIELD_LIMIT = 4096


class Problem(Exception):
    """A request the portal refuses, with its HTTP status and a message in the operator's words."""

    def __init__(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.headers = status, title, message, headers or {}


def forged() -> Problem:
    return Problem(
        403,
        "Form not accepted",
        "This form's security token is missing or does not match your session, so nothing was changed. "
        "Go back, reload the page and try again.",
    )


@dataclass
class Visit:
    request: web.Request
    platform: Platform
    public: bool = False
    session: PortalSession | None = None
    operator: Operator | None = None
    form: dict[str, list[str]] = field(default_factory=dict)
    flash: Html = EMPTY
    cookie_token: str = ""
    new_form_token: bool = False

    @property
    def form_token(self) -> str:
        """The double-submit token of the forms shown before sign-in: the form cookie's value, or a new
        one (then set as the cookie) for a page that shows such a form."""
        if not 0 < len(self.cookie_token) <= 200:
            self.cookie_token, self.new_form_token = secrets.token_urlsafe(32), True
        return self.cookie_token

    @property
    def csrf(self) -> str:
        """Signed-in forms carry the session's token; the forms before sign-in the form cookie's."""
        if self.public or self.session is None:
            return self.form_token
        return self.session.csrf_token

    def field(self, name: str) -> str:
        """One form field ('' when absent)."""
        return (self.form.get(name) or [""])[0]

    def fields(self, name: str) -> list[str]:
        return self.form.get(name, [])

    def query(self, name: str, limit: int = 128) -> str:
        """One query-string value ('' when absent); longer than `limit` is refused with a message."""
        value = self.request.query.get(name, "")
        if len(value) > limit:
            raise Problem(
                400,
                "Filter not accepted",
                f"The {name.replace('_', ' ')} filter is at most {limit} characters.",
            )
        return value

    def page_number(self) -> int:
        text = self.request.query.get("page", "1") or "1"
        if not re.fullmatch(r"[0-9]{1,7}", text) or int(text) < 1:
            raise Problem(400, "Page not found", f"{text[:20]!r} is not a page number; pages count from 1.")
        return int(text)

    def page(
        self, title: str, body: Html, *, active: str = "", status: int = 200, notice: Html = EMPTY
    ) -> web.Response:
        text = render.layout(
            title=title,
            body=body,
            operator_name=self.operator.name if self.operator else None,
            active=active,
            csrf=self.session.csrf_token if self.session else "",
            notice=self.flash + notice,
        )
        return render.respond(text, status)

    async def redirect(self, location: str, kind: str = "", text: str = "") -> web.Response:
        """303 to a page, with a message it shows once."""
        if kind and self.session:
            await store.set_notice(self.platform.db, self.session.token_hash, json.dumps([kind, text]))
        return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


Handler = Callable[[Visit], Awaitable[web.StreamResponse]]


async def read_form(request: web.Request, seconds: float) -> dict[str, list[str]]:
    try:
        data = await serving.read_form(request, seconds)
    except web.HTTPRequestEntityTooLarge:
        raise Problem(413, "Form too large", "The form sent more data than the portal accepts.") from None
    except (ValueError, UnicodeDecodeError, AssertionError):
        raise Problem(
            400, "Form not readable", "The form could not be read; send it from the portal's page."
        ) from None
    form: dict[str, list[str]] = {}
    for key, value in data.items():
        if not isinstance(value, str) or len(value) > FIELD_LIMIT:
            raise Problem(
                400,
                "Form not accepted",
                f"The field {key[:40]!r} is not plain text of at most {FIELD_LIMIT} characters.",
            )
        form.setdefault(key, []).append(value)
    return form
