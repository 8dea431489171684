"""The dashboard: the integration steps, sandbox totals, bets/wins/GGR and the last 14 days."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from netspace_mock.domain import portal
from netspace_mock.domain.reports import Ledger, Line
from netspace_mock.web.portal import charts, render
from netspace_mock.web.portal.render import Html, join, tag
from netspace_mock.web.portal.visit import Visit


def steps_strip(steps: list[portal.Step]) -> Html:
    """Register → Sandbox → Certify → Production, each done, current or still to do."""
    items = []
    for n, step in enumerate(steps, 1):
        mark = "✓" if step.state == "done" else str(n)
        items.append(
            tag(
                "li",
                tag("span", mark, class_="dot")
                + tag("span", tag("strong", step.name) + tag("small", step.detail)),
                class_=f"process-step {step.state}",
                aria_current="step" if step.state == "current" else None,
            )
        )
    return tag("ol", join(items), class_="process", aria_label="Integration process")


def _detail(rows: list[Any], key: str) -> tuple[int, str]:
    counts = {r[key]: r["n"] for r in rows}
    text = " · ".join(f"{n} {name.replace('_', ' ')}" for name, n in sorted(counts.items()))
    return sum(counts.values()), text or "none yet"


def money_table(lines: dict[str, Line]) -> Html:
    rows = [
        (
            c,
            line.rounds,
            line.bets,
            render.amount(line.bet_amount, c),
            line.wins,
            render.amount(line.win_amount, c),
            render.amount(line.ggr, c),
        )
        for c, line in lines.items()
    ]
    headers = ("Currency", "Rounds", "Bets", "Bet amount", "Wins", "Win amount", "GGR")
    return render.table(
        headers, rows, "No real-money rounds yet: play some in the sandbox.", numeric=range(1, 7)
    )


def daily_chart(ledger: Ledger, currency: str, width: int = charts.WIDTH) -> Html:
    days = ledger.daily(currency)
    return charts.bars(
        [d.day[5:] for d in days],
        [
            ("Bets", [d.bet_amount for d in days], "bets"),
            ("Wins", [d.win_amount for d in days], "wins"),
            ("GGR", [d.ggr for d in days], "ggr"),
        ],
        title=f"Bets, wins and GGR per day in {currency}",
        unit=currency,
        width=width,
    )


def currency_links(
    base: str, query: dict[str, str], currencies: list[str], chosen: str, param: str = "currency"
) -> Html:
    """Links that switch a chart to another currency, keeping the page's other filters."""
    return join(
        tag(
            "a",
            c,
            href=f"{base}?{urlencode({**query, param: c})}",
            class_="chip active" if c == chosen else "chip",
        )
        for c in currencies
    )


def status_block(data: dict[str, Any]) -> Html:
    cert = data["certification"]
    last = cert["last_run"]
    if cert["certified"]:
        cert_line = render.badge("certified", "passed")
    elif last is None:
        cert_line = render.badge("not certified", "todo")
    else:
        cert_line = render.badge("not certified", "failed")
    run = (
        Html("never run")
        if last is None
        else render.badge(last["status"])
        + tag("small", render.when(last["started_at"]), class_="block muted")
    )
    failed = ", ".join(cert["required_failed"]) or "none"
    requested = data["activation_requested_at"]
    production = (
        render.badge("activation requested", "passed")
        + tag("small", render.when(requested), class_="block muted")
        if requested
        else render.badge("not requested", "todo")
    )
    rows = [
        ("Certification", cert_line),
        ("Last run", run),
        ("Failing tests", failed),
        ("Production", production),
    ]
    dl = join(tag("dt", k) + tag("dd", v) for k, v in rows)
    return tag("dl", dl, class_="facts") + tag(
        "p", tag("a", "Open Integration →", href="/portal/integration")
    )


async def dashboard(visit: Visit) -> web.Response:
    data = await portal.overview(visit.platform, visit.operator)
    counts = data["counts"]
    sessions, sessions_detail = _detail(counts["sessions"], "kind")
    rounds, rounds_detail = _detail(counts["rounds"], "status")
    calls, calls_detail = _detail(counts["webhook_attempts"], "outcome")
    recent: Ledger = data["recent"]
    currencies = list(recent.totals()) or list(data["totals"]) or ["USD"]
    by_rounds = sorted(currencies, key=lambda c: -recent.totals().get(c, Line("", "", c)).rounds)
    chosen = visit.request.query.get("currency", "")
    chosen = chosen if chosen in currencies else by_rounds[0]
    body = render.fill(
        "dashboard",
        steps=steps_strip(data["steps"]),
        sessions=sessions,
        sessions_detail=sessions_detail,
        rounds=rounds,
        rounds_detail=rounds_detail,
        players=counts["players"][0]["n"],
        calls=calls,
        calls_detail=calls_detail,
        chart_title=f"Last 14 days, {chosen}",
        currency_links=currency_links("/portal/dashboard", {}, currencies, chosen)
        if len(currencies) > 1
        else "",
        chart=daily_chart(recent, chosen),
        status=status_block(data),
        money=money_table(data["totals"]),
    )
    return visit.page("Dashboard", body, active="dashboard")
