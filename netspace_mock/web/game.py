"""The playable game page at /play/{token}: the HTML page, its two JSON endpoints and its static files.

The launch token in the URL is the player's capability: nothing here is signed, and the browser never
holds the operator's secret. Everything the page loads is served by the mock itself, from relative URLs,
so it works offline and behind a `public_url` with a path prefix.
"""

from __future__ import annotations

import string
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from aiohttp import web

from netspace_mock import jsonio, schemas
from netspace_mock.domain import game_page
from netspace_mock.domain.game_math import PICKS, POOL
from netspace_mock.domain.journal import touched
from netspace_mock.serving import PLATFORM, TOUCHED, add, json_response, read_body
from netspace_mock.web import i18n

ROOT = ".."  # from /play/{token}, the mock's root
STATIC = {"game.js": "application/javascript", "game.css": "text/css", "favicon.svg": "image/svg+xml"}
PAGE_HEADERS = {
    # Only the mock's own files, and no inline script: the state travels as inert JSON.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'",
    # The token is in the URL: the back link and every request must not leak it as a Referer.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@cache
def _template(name: str) -> string.Template:
    source = resources.files("netspace_mock.web").joinpath(f"templates/{name}").read_text(encoding="utf-8")
    return string.Template(source)


@cache
def _static_file(name: str) -> bytes:
    return resources.files("netspace_mock.web").joinpath(f"static/game/{name}").read_bytes()


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no '<' at all, so neither '</script>' nor '<!--' can end or bend it."""
    text = jsonio.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
    )


def _no_store(response: web.Response) -> web.Response:
    # A balance is never to be served from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _hidden(shown: bool) -> str:
    return "" if shown else " hidden"


def _number_grid(language: str) -> str:
    t = i18n.strings(language)
    buttons = "".join(
        f'<button type="button" class="num" aria-pressed="false" data-n="{n}">{n}</button>'
        for n in range(1, POOL + 1)
    )
    return (
        f'<fieldset class="card picks" id="picks"><legend class="field-label">{escape(t["pick_title"])}</legend>'
        f'<div class="grid" id="grid">{buttons}</div><div class="pick-bar">'
        f'<span class="hint" id="pick-count" aria-live="polite">{escape(i18n.text(language, "picked", count="0"))}</span>'
        f'<button type="button" class="ghost" id="quick-pick">{escape(t["quick_pick"])}</button>'
        f'<button type="button" class="ghost" id="clear-picks">{escape(t["clear"])}</button></div></fieldset>'
    )


def render_page(view: dict[str, Any]) -> str:
    language, game, stake = view["language"], view["game"], view["stake"]
    currency = view["currency"]
    plain = {key: format(value, "f") for key, value in stake.items()}
    config = {
        "locale": i18n.html_lang(language),
        "currency": currency,
        "decimals": view["decimals"],
        "demo": view["demo"],
        "lottery": view["lottery"],
        "picks": PICKS,
        "min": plain["min"],
        "max": plain["max"],
        "strings": i18n.strings(language),
    }
    labels = {key: escape(value) for key, value in i18n.strings(language).items()}
    values = {
        **labels,
        "html_lang": escape(i18n.html_lang(language)),
        "dir": i18n.direction(language),
        "root": ROOT,
        "game_id": escape(game["id"]),
        "game_name": escape(game["name"]),
        "currency": escape(currency),
        "demo_hidden": _hidden(view["demo"]),
        "return_url": escape(view["return_url"] or ""),
        "back_hidden": _hidden(bool(view["return_url"])),
        "board_class": " board-lottery" if view["lottery"] else "",
        "number_grid": _number_grid(language) if view["lottery"] else "",
        "stake_range": escape(
            i18n.text(
                language, "stake_range", min=f"{plain['min']} {currency}", max=f"{plain['max']} {currency}"
            )
        ),
        **{f"stake_{key}": escape(value) for key, value in plain.items()},
        "config": _script_json(config),
    }
    return _template("game.html").substitute(values)


def render_notice(language: str, reason: str, return_url: str | None = None) -> str:
    """The page of a link that cannot be played: `unknown` or `expired`, in words a player understands."""
    t = i18n.strings(language)
    return _template("game-notice.html").substitute(
        html_lang=escape(i18n.html_lang(language)),
        dir=i18n.direction(language),
        root=ROOT,
        reason=reason,
        title=escape(t[f"{reason}_title"]),
        body=escape(t[f"{reason}_body"]),
        back=escape(t["back"]),
        return_url=escape(return_url or ""),
        back_hidden=_hidden(bool(return_url)),
    )


async def page(request: web.Request) -> web.Response:
    """GET /play/{token}: the game (200), an unknown link (404) or an expired session (410 Gone)."""
    platform = request.app[PLATFORM]
    session = await game_page.find(platform, request.match_info["token"])
    if session is None:
        language = i18n.negotiate(request.headers.get("Accept-Language"))
        return _html(render_notice(language, "unknown"), status=404)
    if game_page.expired(platform, session):
        return _html(render_notice(session.language, "expired", game_page.return_link(session)), status=410)
    return _html(render_page(game_page.page(platform, session)))


async def state(request: web.Request) -> web.Response:
    platform = request.app[PLATFORM]
    session = await game_page.require(platform, request.match_info["token"])
    # The page's own calls go to the session's operator's request journal.
    request[TOUCHED] = touched({"session_id": session.session_id}, operator_id=session.operator_id)
    found = await game_page.state(platform, session)
    return _no_store(json_response({"success": True, **found}))


async def play_round(request: web.Request) -> web.Response:
    platform = request.app[PLATFORM]
    session = await game_page.require(platform, request.match_info["token"])
    request[TOUCHED] = touched({"session_id": session.session_id}, operator_id=session.operator_id)
    body = jsonio.loads(await read_body(request, platform.settings.body_timeout))
    schemas.validate("play.round.request", body)
    played = await game_page.play(platform, session, body)
    request[TOUCHED] = touched({"session_id": session.session_id}, played, operator_id=session.operator_id)
    return _no_store(json_response({"success": True, **played}))


async def static(request: web.Request) -> web.Response:
    """/static/game/{name}: a fixed list of files, so no path from the URL ever reaches the file system."""
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    return web.Response(
        body=_static_file(name),
        content_type=STATIC[name],
        charset=None if name.endswith(".svg") else "utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def setup(app: web.Application) -> None:
    add(app, "GET", "/play/{token}", page)
    add(app, "GET", "/play/{token}/state", state)
    add(app, "POST", "/play/{token}/round", play_round)
    add(app, "GET", "/static/game/{name}", static)
