"""Requests: the operator's request journal (its /api requests and the game page's calls), filtered,
each linked to the session it named and to the round it played, whose webhook calls are in Transactions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from netspace_mock.domain import journal, portal
from netspace_mock.errors import InvalidRequest
from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import EMPTY, Html, join, tag
from netspace_mock.web.portal.visit import Problem, Visit

PER_PAGE = 50
COLUMNS = ("", "Time", "Method", "Path", "Verdict", "HTTP", "Latency", "Round", "Notes")
TEXT_FILTERS = ("path", "session_id", "round_id", "netspace_free_bet_id")
CHOICES = {"verdict": ("accepted", "refused"), "source": ("api", "game")}


def _options(values: tuple[str, ...], chosen: str, everything: str) -> Html:
    first = tag("option", everything, value="", selected=not chosen)
    return first + join(tag("option", v, value=v, selected=v == chosen) for v in values)


def _link(base: str, name: str, value: str | None) -> Html:
    if not value:
        return Html("—")
    return tag("a", value, href=f"{base}?" + urlencode({name: value}), class_="mono")


def _rounds_calls(round_id: str | None) -> Html:
    """The round's webhook calls: what the request caused, on the Transactions page."""
    return _link("/portal/transactions", "round_id", round_id)


def _verdict(r: dict[str, Any]) -> Html:
    return (
        render.badge("accepted", "passed")
        if r["verdict"] == "accepted"
        else render.badge("refused", "failed")
    )


def _notes(r: dict[str, Any]) -> Html:
    notes = []
    if r["fault"]:
        notes.append(render.badge("fault injected", "warning"))
    if r["warnings"]:
        notes.append(render.badge(f"{len(r['warnings'])} warning{'s' * (len(r['warnings']) > 1)}", "todo"))
    if r["source"] == "game":
        notes.append(render.badge("game page", "info"))
    return join(notes, " ") or Html("—")


def _request(r: dict[str, Any]) -> Html:
    status = r["status"]
    path = r["path"] + (f"?{r['query']}" if r["query"] else "")
    cells = [
        render.when(r["time"]),
        tag("span", r["method"], class_="mono"),
        tag("span", path, class_="mono", title=path),
        _verdict(r),
        tag("span", f"HTTP {status}" if status is not None else "dropped", class_="mono"),
        tag("span", f"{r['latency_ms']:.1f} ms", class_="mono"),
        tag("span", r["round_id"] or "—", class_="mono"),
        _notes(r),
    ]
    summary = tag("summary", join(tag("span", c) for c in cells))
    facts = [
        ("Session", _link("/portal/requests", "session_id", r["session_id"])),
        ("Round and its webhook calls", _rounds_calls(r["round_id"])),
        ("Free bet", tag("code", r["netspace_free_bet_id"]) if r["netspace_free_bet_id"] else "—"),
        ("Error code", tag("code", r["error_code"]) if r["error_code"] else "—"),
    ]
    if r["refusal"]:
        facts.append(("Refused because", r["refusal"]["message"]))
    if r["fault"]:
        facts.append(("Injected fault", r["fault"]))
    for warning in r["warnings"]:
        facts.append(("Warning", warning))
    dl = tag("dl", join(tag("dt", k) + tag("dd", v) for k, v in facts), class_="facts compact")
    sent = tag("h5", "Headers") + render.pretty(r["headers"]) + tag("h5", f"Body ({r['body_bytes']} bytes)")
    # As sent, byte for byte: a re-indented copy would hide what the signature was computed over.
    sent += tag("pre", r["body"]) if r["body"] else tag("p", "(no body kept)", class_="muted")
    signed = EMPTY
    if r["refusal"] and r["refusal"].get("string_to_sign") is not None:
        signed = tag("h5", "The string the mock signed") + tag("pre", r["refusal"]["string_to_sign"])
    return tag(
        "details",
        summary + dl + tag("div", tag("div", sent) + tag("div", signed), class_="exchange"),
        class_=f"attempt request {r['verdict']}",
    )


def _filters(visit: Visit) -> tuple[dict[str, str], dict[str, Any]]:
    """The filters as shown in the form, and as the journal takes them."""
    shown = {k: visit.query(k, 256 if k == "path" else 128) for k in (*TEXT_FILTERS, "status", *CHOICES)}
    query: dict[str, Any] = {k: v for k, v in shown.items() if v and k != "status"}
    if shown["status"]:
        if not shown["status"].isdigit():
            raise Problem(400, "Filter not accepted", "The HTTP status filter is a number, such as 401.")
        query["status"] = int(shown["status"])
    try:
        portal.check("sandbox.requests.query", query)
    except InvalidRequest as err:
        raise Problem(400, "Filter not accepted", err.message) from None
    return shown, query


async def page(visit: Visit) -> web.Response:
    shown, query = _filters(visit)
    number = visit.page_number()
    found = await journal.requests(
        visit.platform.journal, visit.operator.id, {**query, "page": number, "per_page": PER_PAGE}
    )
    rows = join(_request(r) for r in found["requests"])
    if rows:
        rows = tag("div", join(tag("span", c) for c in COLUMNS), class_="attempts-head requests-head") + rows
    else:
        rows = tag("p", "No requests match.", class_="empty")
    body = render.fill(
        "requests",
        verdicts=_options(CHOICES["verdict"], shown["verdict"], "any verdict"),
        sources=_options(CHOICES["source"], shown["source"], "API and game page"),
        total=found["pagination"]["total"],
        requests=tag("div", rows, class_="attempts"),
        pager=render.pager("/portal/requests", shown, number, found["pagination"]["total_pages"]),
        **{k: shown[k] for k in (*TEXT_FILTERS, "status")},
    )
    return visit.page("Requests", body, active="requests")
