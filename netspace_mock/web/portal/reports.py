"""Reports: bets, wins and GGR per game, currency and day, as a chart, a table and a CSV download."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from netspace_mock.domain import money, reports
from netspace_mock.errors import InvalidRequest
from netspace_mock.web.portal import render
from netspace_mock.web.portal.dashboard import currency_links, daily_chart, money_table
from netspace_mock.web.portal.render import join, tag
from netspace_mock.web.portal.visit import Problem, Visit


async def _ledger(visit: Visit) -> tuple[reports.Ledger, str]:
    """The report the query string asks for: its window (from, to) and optional currency."""
    currency = visit.query("currency", 8)
    if currency and currency not in money.DECIMALS:
        raise Problem(400, "Report not available", f"{currency!r} is not a currency of the platform.")
    try:
        first, last = reports.window(
            visit.query("from", 10) or None,
            visit.query("to", 10) or None,
            visit.platform.clock.operator_now(visit.operator.id),
        )
    except InvalidRequest as err:
        raise Problem(400, "Report not available", f"Check the dates: {err.message}.") from None
    ledger = await reports.ledger(visit.platform, visit.operator, first, last)
    if currency:
        ledger.lines = [line for line in ledger.lines if line.currency == currency]
    return ledger, currency


async def page(visit: Visit) -> web.Response:
    ledger, currency = await _ledger(visit)
    totals = ledger.totals()
    query = {"from": ledger.first_day.isoformat(), "to": ledger.last_day.isoformat()}
    shown = list(totals) or [currency or "USD"]
    chosen = currency or visit.query("chart", 8)
    chosen = chosen if chosen in shown else max(shown, key=lambda c: totals[c].rounds if c in totals else 0)
    rows = [
        (
            line.day,
            tag("span", reports.game_name(visit.platform, line.game_id), title=line.game_id),
            line.currency,
            line.rounds,
            line.bets,
            render.amount(line.bet_amount, line.currency),
            line.wins,
            render.amount(line.win_amount, line.currency),
            render.amount(line.ggr, line.currency),
        )
        for line in reversed(ledger.lines)
    ]
    table = render.table(
        ("Day", "Game", "Currency", "Rounds", "Bets", "Bet amount", "Wins", "Win amount", "GGR"),
        rows,
        "No real-money rounds in these days.",
        numeric=range(3, 9),
    )
    links_query = {**query, **({"currency": currency} if currency else {})}
    body = render.fill(
        "reports",
        first=query["from"],
        last=query["to"],
        currencies=tag("option", "all currencies", value="", selected=not currency)
        + join(tag("option", c, value=c, selected=c == currency) for c in money.DECIMALS),
        csv_url="/portal/reports.csv?" + urlencode(links_query),
        chart_title=f"Per day, {chosen}",
        chart_links=currency_links("/portal/reports", query, shown, chosen, "chart")
        if len(shown) > 1
        else "",
        chart=daily_chart(ledger, chosen, width=1100),
        totals=money_table(totals),
        table=table,
    )
    return visit.page("Reports", body, active="reports")


async def export(visit: Visit) -> web.Response:
    """The report as a CSV download."""
    ledger, currency = await _ledger(visit)
    name = f"netspace-report-{ledger.first_day}-to-{ledger.last_day}{'-' + currency if currency else ''}.csv"
    return web.Response(
        text=reports.csv_text(visit.platform, ledger),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
