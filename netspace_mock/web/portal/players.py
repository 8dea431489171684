"""Players: every player the platform has seen for the operator, their sessions and last known balance."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from netspace_mock.domain import portal
from netspace_mock.errors import InvalidRequest, NotFound
from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import EMPTY, Html, join, tag
from netspace_mock.web.portal.visit import Problem, Visit


def _balances(entries: list[tuple[str, Any, float]]) -> Html:
    if not entries:
        return Html("—")
    return join(
        tag("div", render.amount(b, c) + tag("small", "at " + render.when(at)), class_="balance")
        for c, b, at in entries
    )


def _link(player_id: str) -> Html:
    return tag("a", player_id, href="/portal/players?" + urlencode({"player_id": player_id}), class_="nowrap")


def _player(player_id: str, sessions: list[dict[str, Any]]) -> Html:
    rows = [
        (
            tag("code", s["session_id"]),
            s["game_id"],
            s["currency"],
            render.badge(s["kind"], "info"),
            s["rounds"],
            render.when(s["created_at"]),
            render.when(s["expires_at"]),
        )
        for s in sessions
    ]
    table = render.table(
        ("Session", "Game", "Currency", "Kind", "Rounds", "Launched", "Expires"),
        rows,
        "This player has no game session yet (seen only by certification).",
    )
    calls = tag(
        "a",
        "Webhook calls of this player →",
        href="/portal/transactions?" + urlencode({"player_id": player_id}),
    )
    head = tag("div", tag("h2", join(["Player ", tag("code", player_id)])) + calls, class_="card-head")
    return tag("section", head + table, class_="card", id="player")


async def page(visit: Visit) -> web.Response:
    search, player_id = visit.query("search"), visit.query("player_id")
    number = visit.page_number()
    status, player = 200, EMPTY
    try:
        found = await portal.players(visit.platform, visit.operator, search, number)
        if player_id:
            player = _player(player_id, await portal.sessions_of(visit.platform, visit.operator, player_id))
    except InvalidRequest as err:
        raise Problem(400, "Filter not accepted", err.message) from None
    except NotFound as err:
        status, player = 404, render.notice("error", err.message[0].upper() + err.message[1:] + ".")
    rows = [
        (
            _link(p["player_id"]),
            p["currencies"] or "—",
            p["sessions"],
            _balances(p["balances"]),
            render.when(p["first_seen_at"]),
            render.when(p["last_seen_at"]),
        )
        for p in found["players"]
    ]
    table = render.table(
        ("Player", "Currencies", "Sessions", "Last known balance", "First seen", "Last seen"),
        rows,
        "No players match." if search else "No players yet: launch a game for a player through the API.",
        numeric=[2],
    )
    body = render.fill(
        "players",
        search=search,
        total=found["total"],
        table=table,
        pager=render.pager("/portal/players", {"search": search}, number, found["pages"]),
        player=player,
    )
    return visit.page("Players", body, active="players", status=status)
