"""The portal's HTML: templates read once, every value escaped, the shared layout and small fragments."""

from __future__ import annotations

import html
import json
import string
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from netspace_mock import jsonio
from netspace_mock.domain import money, reports

# Only the mock's own files: no CDN, no inline script or style.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; script-src 'self'; "
    "style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
NAV = ("Dashboard", "Integration", "Players", "Transactions", "Requests", "Reports", "Settings")
VOID = {"input", "br", "hr", "img", "meta", "link"}


class Html(str):
    """Markup built here from escaped parts: inserted as is, never escaped twice. Adding text to it
    escapes the text, so `badge + " " + name` stays safe."""

    def __add__(self, other: Any) -> Html:
        return Html(str.__add__(self, h(other)))

    def __radd__(self, other: Any) -> Html:
        return Html(str.__add__(h(other), self))


EMPTY = Html("")


def h(value: Any) -> Html:
    """Any value as safe HTML text: Html stays, None is empty, everything else is escaped."""
    if isinstance(value, Html):
        return value
    return Html("" if value is None else html.escape(str(value), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Html:
    return Html(sep.join(h(p) for p in parts))


def tag(element: str, content: Any = "", /, **attrs: Any) -> Html:
    """<element attr="…">content</element>; an attribute set to True is bare, False or None is left out."""
    shown = []
    for key, value in attrs.items():
        key = key.rstrip("_").replace("_", "-")
        if value is True:
            shown.append(f" {key}")
        elif value not in (None, False):
            shown.append(f' {key}="{h(value)}"')
    if element in VOID:
        return Html(f"<{element}{''.join(shown)}>")
    return Html(f"<{element}{''.join(shown)}>{h(content)}</{element}>")


@cache
def template(name: str) -> string.Template:
    text = resources.files("netspace_mock.web").joinpath(f"templates/portal/{name}.html").read_text("utf-8")
    return string.Template(text)


def fill(template_name: str, /, **values: Any) -> Html:
    """A template with every $placeholder filled by an escaped value (a missing one is an error)."""
    return Html(template(template_name).substitute({k: h(v) for k, v in values.items()}))


def respond(body: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def layout(
    *,
    title: str,
    body: Html,
    operator_name: str | None = None,
    active: str = "",
    csrf: str = "",
    notice: Html = EMPTY,
) -> str:
    """The whole page: signed in, the header with navigation and the operator's name; else a plain frame."""
    if operator_name is None:
        return fill("public", title=title, body=body, notice=notice)
    nav = join(
        tag(
            "a",
            label,
            href=f"/portal/{slug}",
            class_="active" if slug == active else None,
            aria_current="page" if slug == active else None,
        )
        for slug, label in ((label.lower(), label) for label in NAV)
    )
    return fill(
        "layout", title=title, body=body, nav=nav, operator_name=operator_name, csrf=csrf, notice=notice
    )


def notice(kind: str, text: Any) -> Html:
    """A message box: kind is ok, error or info."""
    return tag("div", text, class_=f"notice notice-{kind}", role="alert" if kind == "error" else "status")


def table(
    headers: Iterable[Any], rows: Iterable[Iterable[Any]], empty: str, numeric: Iterable[int] = ()
) -> Html:
    """A table, or the `empty` sentence when there are no rows; `numeric` columns align right."""
    rows, right = list(rows), set(numeric)

    def cells(name: str, values: Iterable[Any], **attrs: Any) -> Html:
        return join(tag(name, v, class_="n" if i in right else None, **attrs) for i, v in enumerate(values))

    if not rows:
        return tag("p", empty, class_="empty")
    head = tag("thead", tag("tr", cells("th", headers, scope="col")))
    body = tag("tbody", join(tag("tr", cells("td", row)) for row in rows))
    return tag("div", tag("table", head + body), class_="table-wrap")


def when(value: float | str | None) -> Html:
    """A time as `2025-01-31 14:05:09 UTC`, from Unix seconds or the platform's ISO text."""
    if value is None or value == "":
        return h("—")
    if isinstance(value, str):
        return tag("time", value[:19].replace("T", " ") + " UTC", datetime=value)
    moment = datetime.fromtimestamp(value, UTC)
    return tag("time", moment.strftime("%Y-%m-%d %H:%M:%S UTC"), datetime=moment.isoformat())


def amount(value: Decimal | None, currency: str) -> Html:
    if value is None:
        return h("—")
    return tag(
        "span", f"{reports.amount(value, currency)} {currency}", class_="num neg" if value < 0 else "num"
    )


def badge(text: str, kind: str = "") -> Html:
    return tag("span", text.replace("_", " "), class_=f"badge badge-{kind or text}")


def pretty(value: Any) -> Html:
    """A request or answer body in a <pre>: JSON text re-indented, anything else as it came."""
    if isinstance(value, str):
        try:
            value = jsonio.parse(value)
        except ValueError:  # not strict, bounded JSON: shown as it came
            return tag("pre", value)
    return tag("pre", json.dumps(value, indent=2, ensure_ascii=False, default=_plain))


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else str(value)


def csrf_field(token: str) -> Html:
    return tag("input", type="hidden", name="csrf_token", value=token)


def pager(base: str, query: dict[str, Any], page: int, pages: int) -> Html:
    """Previous / next links that keep the page's filters."""
    if pages <= 1:
        return EMPTY

    def link(n: int, label: str) -> Html:
        params = {k: v for k, v in query.items() if v not in (None, "")} | {"page": n}
        return tag("a", label, href=f"{base}?{urlencode(params)}", class_="button secondary")

    prev = link(page - 1, "← Previous") if page > 1 else EMPTY
    nxt = link(page + 1, "Next →") if page < pages else EMPTY
    return tag("nav", prev + tag("span", f"Page {page} of {pages}") + nxt, class_="pager", aria_label="pages")


def currency_options(chosen: str) -> Html:
    """<option>s of the platform's currencies, in the guide's order."""
    return join(
        tag("option", c["code"], value=c["code"], selected=c["code"] == chosen) for c in money.CURRENCIES
    )
