"""Transactions: every webhook attempt with its request and answer, filtered; failed deliveries resent."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from netspace_mock.domain import portal, sandbox
from netspace_mock.errors import ApiError, InvalidRequest
from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import EMPTY, Html, join, tag
from netspace_mock.web.portal.visit import Problem, Visit

ACTIONS = ("balance", "bet", "win", "refund", "rollback")
COLUMNS = ("", "Time", "Action", "Outcome", "HTTP", "Latency", "Player", "Round", "Attempt")


def _options(values: tuple[str, ...], chosen: str, everything: str) -> Html:
    first = tag("option", everything, value="", selected=not chosen)
    return first + join(tag("option", v.replace("_", " "), value=v, selected=v == chosen) for v in values)


def resend_form(visit: Visit, action_type: str, transaction_id: str) -> Html:
    fields = (
        render.csrf_field(visit.csrf)
        + tag("input", type="hidden", name="action_type", value=action_type)
        + tag("input", type="hidden", name="transaction_id", value=transaction_id)
    )
    button = tag("button", "Resend", type="submit", class_="button small primary")
    return tag("form", fields + button, method="post", action="/portal/transactions/resend", class_="inline")


def _round_link(round_id: str | None) -> Html:
    if not round_id:
        return Html("—")
    return tag("a", round_id, href="/portal/transactions?" + urlencode({"round_id": round_id}), class_="mono")


def _failed(visit: Visit, deliveries: list[dict[str, Any]]) -> Html:
    if not deliveries:
        return Html("")
    rows = [
        (
            render.badge(d["action_type"], "info"),
            tag("code", d["transaction_id"]),
            _round_link(d["round_id"]),
            d["player_id"],
            d["amount"],
            d["attempts"],
            d["last_error"] or "—",
            resend_form(visit, d["action_type"], d["transaction_id"]),
        )
        for d in deliveries
    ]
    headers = ("Action", "Transaction", "Round", "Player", "Amount", "Attempts", "Last error", "")
    intro = tag(
        "p",
        "These calls still failed after every retry. Resend one once your webhook is fixed.",
        class_="muted",
    )
    return tag(
        "section",
        tag("h2", "Failed deliveries") + intro + render.table(headers, rows, "", numeric=[4, 5]),
        class_="card alert",
    )


def _attempt(visit: Visit, a: dict[str, Any]) -> Html:
    status = a["response"]["status"]
    cells = [
        render.when(a["created_at"]),
        render.badge(a["action_type"], "info"),
        render.badge(a["outcome"]),
        tag("span", f"HTTP {status}" if status is not None else "no answer", class_="mono"),
        tag("span", f"{a['latency_ms']:.1f} ms", class_="mono"),
        tag("span", a["player_id"] or "—", class_="mono"),
        tag("span", a["round_id"] or "—", class_="mono"),
        tag("span", f"attempt {a['attempt']}"),
    ]
    summary = tag("summary", join(tag("span", c) for c in cells))
    delivery = a["delivery_status"]
    facts = [
        ("Transaction", tag("code", a["transaction_id"] or "—")),
        ("Round", _round_link(a["round_id"])),
        ("Session", a["session_id"] or "—"),
        ("URL", tag("code", a["url"])),
        ("Delivery", render.badge(delivery) if delivery else "—"),
    ]
    if a["reason"]:
        facts.append(("Why", a["reason"]))
    if delivery == "failed":
        facts.append(("", resend_form(visit, a["action_type"], a["transaction_id"])))
    dl = tag("dl", join(tag("dt", k) + tag("dd", v) for k, v in facts), class_="facts compact")
    request = (
        tag("h5", "Request headers")
        + render.pretty(a["request"]["headers"])
        + tag("h5", "Request body")
        + render.pretty(a["request"]["body"])
    )
    answer = tag("h5", "Answer body") + (
        render.pretty(a["response"]["body"])
        if a["response"]["body"]
        else tag("p", "(no body)", class_="muted")
    )
    return tag(
        "details",
        summary + dl + tag("div", tag("div", request) + tag("div", answer), class_="exchange"),
        class_=f"attempt {a['outcome']}",
    )


async def render_page(visit: Visit, *, status: int = 200, notice: Html = EMPTY) -> web.Response:
    shown = {k: visit.query(k) for k in ("player_id", "round_id", "action", "outcome")}
    number = visit.page_number()
    filters: dict[str, Any] = {k: v for k, v in shown.items() if v} | {"page": number}
    try:
        found = await portal.transactions(visit.platform, visit.operator, filters)
    except InvalidRequest as err:
        raise Problem(400, "Filter not accepted", err.message) from None
    pages = found["pagination"]["total_pages"]
    attempts = join(_attempt(visit, a) for a in found["attempts"])
    if attempts:
        attempts = tag("div", join(tag("span", c) for c in COLUMNS), class_="attempts-head") + attempts
    else:
        attempts = tag("p", "No webhook attempts match.", class_="empty")
    body = render.fill(
        "transactions",
        failed=_failed(visit, found["failed"]),
        actions=_options(ACTIONS, shown["action"], "any action"),
        outcomes=_options(sandbox.OUTCOMES, shown["outcome"], "any outcome"),
        total=found["pagination"]["total"],
        attempts=tag("div", attempts, class_="attempts"),
        pager=render.pager("/portal/transactions", shown, number, pages),
        **{k: shown[k] for k in ("player_id", "round_id")},
    )
    return visit.page("Transactions", body, active="transactions", status=status, notice=notice)


async def page(visit: Visit) -> web.Response:
    return await render_page(visit)


async def resend(visit: Visit) -> web.Response:
    action_type, transaction_id = visit.field("action_type"), visit.field("transaction_id")
    try:
        rnd = await portal.resend(visit.platform, visit.operator, action_type, transaction_id)
    except ApiError as err:
        notice = render.notice("error", f"Nothing was resent: {err.message}.")
        return await render_page(visit, status=err.status, notice=notice)
    delivery = rnd[action_type]
    outcome = "delivered" if delivery["status"] == "acknowledged" else f"still {delivery['status']}"
    text = f"Resent the {action_type} {transaction_id}: {outcome}"
    if delivery["last_error"]:
        text += f" ({delivery['last_error']})"
    where = "/portal/transactions?" + urlencode({"round_id": rnd["round_id"]})
    return await visit.redirect(where, "ok" if delivery["status"] == "acknowledged" else "error", text + ".")
