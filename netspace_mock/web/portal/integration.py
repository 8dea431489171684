"""Integration: credentials, the webhook URL, a test balance call, certification and production activation."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from netspace_mock.domain import calls, money, portal
from netspace_mock.domain import certification_runs as suite
from netspace_mock.errors import ApiError, InvalidRequest
from netspace_mock.web.portal import (
    certification,
    endpoint_tester,
    integration_warnings,
    render,
    stress_run,
)
from netspace_mock.web.portal.dashboard import steps_strip
from netspace_mock.web.portal.render import EMPTY, Html, join, tag
from netspace_mock.web.portal.visit import Visit

ANCHOR = "/portal/integration#"


def _balance_result(result: dict[str, Any]) -> Html:
    outcome = result["outcome"]
    facts = [
        ("Webhook", tag("code", result["url"])),
        ("HTTP status", result["http_status"] if result["http_status"] is not None else "no answer"),
        ("Outcome", render.badge(outcome)),
        ("Balance", result["balance"] if result["balance"] is not None else "—"),
        ("Latency", f"{result['latency_ms']:.1f} ms"),
    ]
    if result["reason"]:
        facts.append(("Why", result["reason"]))
    dl = tag("dl", join(tag("dt", k) + tag("dd", v) for k, v in facts), class_="facts")
    body = render.pretty(result["body"]) if result["body"] else tag("p", "(empty body)", class_="muted")
    return tag(
        "div", tag("h3", "Answer") + dl + tag("h4", "Body") + body, class_="result", id="balance-answer"
    )


def _activation(visit: Visit, certified: bool) -> Html:
    requested = visit.operator.activation_requested_at
    if requested:
        return tag(
            "p",
            join(
                [
                    render.badge("activation requested", "passed"),
                    " on ",
                    render.when(requested),
                    ". ",
                    "The Netspace team reviews the request; in this sandbox nothing more happens.",
                ]
            ),
        )
    why = (
        "Every required test passed: you can ask for production credentials."
        if certified
        else "Available once every required certification test passed."
    )
    form = tag(
        "form",
        render.csrf_field(visit.csrf)
        + tag(
            "button",
            "Request production activation",
            type="submit",
            class_="button primary",
            disabled=not certified,
        ),
        method="post",
        action="/portal/integration/activation",
    )
    return tag("p", why, class_="muted") + form


async def render_page(
    visit: Visit,
    *,
    status: int = 200,
    notice: Html = EMPTY,
    webhook_notice: Html = EMPTY,
    webhook_value: str | None = None,
    balance: dict[str, Any] | None = None,
    run_form: dict[str, Any] | None = None,
) -> web.Response:
    platform, operator = visit.platform, visit.operator
    state = await portal.integration(platform, operator)
    cert = state["certification"]
    sections = await certification.sections(visit, run_form or {})
    test_player = (balance or {}).get("player_id") or sections["player_id"]
    test_currency = (balance or {}).get("currency") or sections["currency"]
    body = render.fill(
        "integration",
        steps=steps_strip(state["steps"]),
        api_url=platform.settings.base_url + "/api",
        api_key=operator.api_key,
        secret_key=operator.secret_key,
        endpoint_tester=endpoint_tester.section(),
        webhook_now=calls.webhook_url(platform, operator),
        webhook_kind=render.badge("your webhook", "info")
        if operator.webhook_url
        else render.badge("reference wallet", "todo"),
        webhook_notice=webhook_notice,
        webhook_value=(operator.webhook_url or "") if webhook_value is None else webhook_value,
        reference_url=platform.settings.base_url + calls.WALLET_PATH,
        csrf=visit.csrf,
        test_player=test_player,
        test_currencies=render.currency_options(test_currency),
        balance_result=_balance_result(balance["result"]) if balance and "result" in balance else "",
        cert_badge=render.badge("certified", "passed")
        if cert["certified"]
        else render.badge("not certified", "todo"),
        run_form=sections["form"],
        run=sections["run"],
        runs=sections["runs"],
        activation=_activation(visit, cert["certified"]),
        stress=stress_run.section(visit),
        warnings=await integration_warnings.section(visit),
    )
    return visit.page("Integration", body, active="integration", status=status, notice=notice)


async def page(visit: Visit) -> web.Response:
    return await render_page(visit)


async def set_webhook(visit: Visit) -> web.Response:
    url = visit.field("webhook_url")
    try:
        changed = await calls.change_webhook(visit.platform, visit.operator, url, "the portal")
    except InvalidRequest as err:
        message = err.details["errors"][0]["message"] if err.details else err.message
        text = f"The webhook URL was not saved: it {message}. Nothing was changed."
        notice = render.notice("error", text)
        return await render_page(visit, status=400, webhook_notice=notice, webhook_value=url[:2100])
    shown = changed["webhook"]["configured"] or "the built-in reference wallet"
    return await visit.redirect(ANCHOR + "webhook", "ok", f"Webhook saved: calls now go to {shown}.")


async def balance_test(visit: Visit) -> web.Response:
    player_id, currency = visit.field("player_id").strip(), visit.field("currency")
    form = {"player_id": player_id, "currency": currency if currency in money.DECIMALS else "USD"}
    try:
        result = await portal.test_balance(visit.platform, visit.operator, player_id, currency)
    except InvalidRequest as err:
        notice = render.notice("error", f"The balance call was not sent: {err.message}")
        return await render_page(visit, status=400, notice=notice, balance=form)
    return await render_page(visit, balance={**form, "result": result})


async def request_activation(visit: Visit) -> web.Response:
    try:
        await portal.request_activation(visit.platform, visit.operator)
    except ApiError as err:
        notice = render.notice("error", f"Production activation was not requested: {err.message}.")
        return await render_page(visit, status=err.status, notice=notice)
    text = "Production activation requested. Its status shows on the dashboard."
    return await visit.redirect(ANCHOR + "production", "ok", text)


async def start_certification(visit: Visit) -> web.Response:
    """Start the suite in the background and show the run, which then follows its progress."""
    platform, operator, app = visit.platform, visit.operator, visit.request.app
    form = {
        "player_id": visit.field("player_id").strip(),
        "currency": visit.field("currency"),
        "tests": visit.fields("tests"),
    }
    if certification.running(app, operator.id):
        notice = render.notice("error", "A certification run is already in progress; wait for it to finish.")
        return await render_page(visit, status=409, notice=notice, run_form=form)
    try:
        if not form["tests"]:
            raise InvalidRequest("Choose at least one test.")
        portal.check("certification.run.request", form)
        run, task = await suite.start(platform, operator, form)
    except InvalidRequest as err:
        notice = render.notice("error", f"The certification run was not started: {err.message}")
        return await render_page(visit, status=400, notice=notice, run_form=form)
    certification.remember(app, operator.id, run["id"], task)
    text = "Certification started: each test shows below as it completes."
    return await visit.redirect(f"/portal/integration?run={run['id']}#certification", "ok", text)
