"""The Partners Portal over HTTP: sign-in and sessions, CSRF, throttling, every page with the signed-in
operator's data only, the webhook form, registration, certification, resends, reports and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import re

import aiohttp
import pytest

from netspace_mock.app import DISPATCHER
from netspace_mock.domain import portal_limits as limits
from netspace_mock.web.portal import auth
from portal_client import Portal, set_cookie
from support import ADVISORIES, API_KEY, SECRET, Signed, count_rows, launch_body
from wallets import OperatorWallet, serve

PAGES = ("dashboard", "integration", "players", "transactions", "requests", "reports", "settings")


@pytest.fixture
def browser(client, portals):
    return lambda: portals(client)


# ---- signing in and out ---------------------------------------------------------------------------


async def test_sign_in_sets_a_strict_http_only_cookie_and_stores_only_its_hash(browser, platform):
    portal = browser()
    _, page = await portal.get("/portal/sign-in")
    assert 'action="/portal/sign-in"' in page and 'name="csrf_token"' in page
    response, _ = await portal.sign_in()
    assert response.headers["Location"] == "/portal/dashboard"
    cookie, header = set_cookie(response, auth.SESSION_COOKIE)
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/portal"
    assert not cookie["secure"] and int(cookie["max-age"]) == 8 * 3600
    assert "Secure" not in header
    rows = await platform.db.fetchall("SELECT token_hash, operator_id FROM portal_sessions")
    assert [(r["token_hash"], r["operator_id"]) for r in rows] == [(auth.token_hash(cookie.value), 1)]
    _, page = await portal.get("/portal/dashboard")
    assert "Default operator" in page


def test_the_cookie_is_secure_over_https():
    from aiohttp.test_utils import make_mocked_request

    response = aiohttp.web.Response()
    request = make_mocked_request("GET", "/portal/sign-in", headers={"Host": "x"})
    secure = request.clone(scheme="https")
    auth.set_cookie(response, secure, auth.SESSION_COOKIE, "t", max_age=10)
    header = response.cookies[auth.SESSION_COOKIE].output()
    assert "Secure" in header and "SameSite=Strict" in header and "HttpOnly" in header
    plain = aiohttp.web.Response()
    auth.set_cookie(plain, request, auth.SESSION_COOKIE, "t", max_age=10)
    assert "Secure" not in plain.cookies[auth.SESSION_COOKIE].output()


async def test_wrong_credentials_are_refused_and_the_dashboard_needs_a_session(browser, platform):
    portal = browser()
    response, _ = await portal.get("/portal/dashboard", status=303)
    assert response.headers["Location"] == "/portal/sign-in?next=%2Fportal%2Fdashboard"
    _, page = await portal.sign_in(secret="wrong", status=401)
    assert "The API key or the secret key is wrong." in page
    _, page = await portal.sign_in(api_key="no-such-key", status=401)
    assert "The API key or the secret key is wrong." in page
    _, page = await portal.post("/portal/sign-in", {"api_key": API_KEY, "secret_key": ""}, status=400)
    assert "Enter both your API key and your secret key." in page
    assert await count_rows(platform.db, "portal_sessions") == 0


async def test_sign_in_returns_to_the_page_asked_for_and_never_elsewhere(browser):
    portal = browser()
    await portal.get("/portal/sign-in?next=/portal/players")
    response, _ = await portal.post(
        "/portal/sign-in", {"api_key": API_KEY, "secret_key": SECRET, "next": "/portal/players"}
    )
    assert response.headers["Location"] == "/portal/players"
    other = browser()
    await other.get("/portal/sign-in")
    for target in ("https://evil.example/", "//evil.example", "/api/sandbox/reset", "/portal/\\evil"):
        response, _ = await other.post(
            "/portal/sign-in", {"api_key": API_KEY, "secret_key": SECRET, "next": target}
        )
        assert response.headers["Location"] == "/portal/dashboard"


async def test_sign_out_deletes_the_session(browser, platform):
    portal = browser()
    await portal.sign_in()
    await portal.get("/portal/dashboard")
    response, _ = await portal.post("/portal/sign-out")
    assert response.headers["Location"] == "/portal/sign-in?reason=signed-out"
    cookie, _ = set_cookie(response, auth.SESSION_COOKIE)
    assert cookie.value == "" and cookie["path"] == "/portal"
    assert await count_rows(platform.db, "portal_sessions") == 0
    _, page = await portal.get("/portal/sign-in?reason=signed-out")
    assert "You are signed out." in page
    await portal.get("/portal/dashboard", status=303)


async def test_an_expired_session_leads_to_the_sign_in_page_with_a_message(browser, clock, platform):
    portal = browser()
    await portal.sign_in()
    await portal.get("/portal/dashboard")
    clock.advance(8 * 3600 - 5)
    await portal.get("/portal/players")  # fixed expiry: still inside the 8 hours
    clock.advance(10)
    response, _ = await portal.get("/portal/players", status=303)
    assert response.headers["Location"] == "/portal/sign-in?reason=expired&next=%2Fportal%2Fplayers"
    _, page = await portal.get(response.headers["Location"])
    assert "Your session expired, sign in again." in page
    assert await count_rows(platform.db, "portal_sessions") == 0
    response, _ = await portal.post(
        "/portal/sign-in", {"api_key": API_KEY, "secret_key": SECRET, "next": "/portal/players"}
    )
    assert response.headers["Location"] == "/portal/players"


async def test_failed_sign_ins_are_slowed_down_per_address_and_key(browser, clock, platform):
    portal = browser()
    for _ in range(limits.FREE_FAILURES - 1):
        await portal.sign_in(secret="wrong", status=401)
    _, page = await portal.sign_in(secret="wrong", status=401)
    assert f"wait {limits.FIRST_WAIT:g} s" in page
    # Throttled: even the right secret is not checked until the wait is over.
    response, page = await portal.sign_in(status=429)
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= limits.FIRST_WAIT
    assert (
        f"Too many failed sign-ins for this API key from your address. Wait {wait} s, then try again." in page
    )
    clock.advance(limits.FIRST_WAIT)
    await portal.sign_in(secret="wrong", status=401)
    response, _ = await portal.sign_in(status=429)
    assert limits.FIRST_WAIT < int(response.headers["Retry-After"]) <= limits.FIRST_WAIT * 2
    clock.advance(limits.FIRST_WAIT * 2)
    await portal.sign_in()
    assert await count_rows(platform.db, "portal_sign_in_failures") == 0  # success forgets them


async def test_the_wait_doubles_up_to_its_ceiling():
    waits = [limits.wait_after(n) for n in range(12)]
    assert waits[: limits.FREE_FAILURES] == [0, 0, 0]
    assert waits[3:7] == [2, 4, 8, 16] and max(waits) == limits.MAX_WAIT


# ---- CSRF -----------------------------------------------------------------------------------------


async def test_forged_or_missing_csrf_tokens_change_nothing(browser, platform):
    portal = browser()
    await portal.sign_in()
    await portal.get("/portal/integration")
    for token in ("-", "forged", ""):
        _, page = await portal.post(
            "/portal/integration/webhook", {"webhook_url": "https://op.example/hook"}, status=403, csrf=token
        )
        assert "security token is missing or does not match" in page and "nothing was changed" in page
    assert platform.operators.by_id(1).webhook_url is None
    await portal.post("/portal/sign-out", status=403, csrf="forged")
    await portal.get("/portal/dashboard")  # still signed in
    await portal.post("/portal/integration/activation", status=403, csrf="-")
    await portal.post(
        "/portal/transactions/resend", {"action_type": "win", "transaction_id": "t"}, status=403, csrf="-"
    )
    await portal.post(
        "/portal/integration/certification", {"player_id": "p", "currency": "USD"}, status=403, csrf="x"
    )
    assert await count_rows(platform.db, "certification_runs") == 0
    # The session's token of another browser is no good either.
    other = browser()
    await other.sign_in()
    await other.get("/portal/integration")
    await portal.post("/portal/integration/webhook", {"webhook_url": ""}, status=403, csrf=other.csrf)


async def test_the_forms_before_sign_in_need_the_form_cookie(browser, platform):
    portal = browser()
    await portal.post("/portal/sign-in", {"api_key": API_KEY, "secret_key": SECRET}, status=403, csrf="-")
    await portal.get("/portal/register")
    await portal.post("/portal/register", {"name": "Forged Ltd"}, status=403, csrf="forged")
    assert [op.name for op in platform.operators.all()] == ["Default operator"]
    assert await count_rows(platform.db, "portal_sessions") == 0


# ---- every page shows the signed-in operator's data, and only that -------------------------------


async def play(op: Signed, session_id: str, player_id: str, currency: str, game_id: str, outcomes: list[str]):
    await op.ok(
        "POST",
        "/api/game/launch",
        launch_body(session_id=session_id, player_id=player_id, currency=currency, game_id=game_id),
    )
    rounds = []
    for outcome in outcomes:
        body = {"session_id": session_id, "amount": 2, "outcome": outcome}
        if outcome == "win":
            body["win_amount"] = 5
        rounds.append((await op.ok("POST", "/api/sandbox/game/bet", body))["round"])
    return rounds


@pytest.fixture
async def two_operators(client, platform, clock):
    """Operator A (the default) and B (registered), each with players, rounds and a certification run."""
    b = await platform.operators.register(platform.db, "Beta Gaming", platform.now_iso())
    op_b = Signed(client.client, b.api_key, b.secret_key, now=clock.now)
    a_rounds = await play(client, "sess-alpha", "alice-alpha", "USD", "lotterix", ["win", "lose", "refund"])
    b_rounds = await play(op_b, "sess-beta", "bob-beta", "EUR", "tiger-spins", ["win", "lose"])
    b_run = (await op_b.ok("POST", "/api/certification/run", {"player_id": "cert-beta", "currency": "EUR"}))[
        "run"
    ]
    return {
        "a": client,
        "b": op_b,
        "b_operator": b,
        "a_rounds": a_rounds,
        "b_rounds": b_rounds,
        "b_run": b_run,
    }


async def pages_of(portal: Portal) -> dict[str, str]:
    texts = {}
    for name in PAGES:
        _, texts[name] = await portal.get(f"/portal/{name}")
    for extra in ("/portal/reports.csv", "/portal/transactions?outcome=ok", "/portal/reports?currency=EUR"):
        _, texts[extra] = await portal.get(extra)
    for player in ("alice-alpha", "bob-beta"):
        async with portal.http.get(f"{portal.base}/portal/players?player_id={player}") as response:
            # The id asked for is echoed; what the page says about it must come from this operator alone.
            echo = f"No player &#x27;{player}&#x27; has played"
            texts[player] = (await response.text()).replace(echo, "No player … has played")
            assert response.status in (200, 404)
    return texts


async def test_operator_a_never_sees_operator_b(two_operators, browser):
    b = two_operators["b_operator"]
    portal = browser()
    await portal.sign_in()
    texts = await pages_of(portal)
    secrets_of_b = [
        "bob-beta",
        "sess-beta",
        "cert-beta",
        "Beta Gaming",
        b.api_key,
        b.secret_key,
        "tiger-spins",
        "Tiger Spins",
        two_operators["b_run"]["id"],
        *(r["round_id"] for r in two_operators["b_rounds"]),
    ]
    for name, text in texts.items():
        for secret in secrets_of_b:
            assert secret not in text, f"{name} shows {secret!r} of operator B"
    assert "alice-alpha" in texts["players"] and "sess-alpha" in texts["alice-alpha"]
    assert "No player … has played with your account." in texts["bob-beta"]
    assert two_operators["a_rounds"][0]["round_id"] in texts["transactions"]
    assert "lotterix" in texts["/portal/reports.csv"]
    # Asking for B's things by id finds nothing.
    _, page = await portal.get(f"/portal/integration?run={two_operators['b_run']['id']}")
    assert "There is no certification run" in page and "cert-beta" not in page
    await portal.get(f"/portal/integration/certification/{two_operators['b_run']['id']}/progress", status=404)
    _, page = await portal.get(f"/portal/transactions?round_id={two_operators['b_rounds'][0]['round_id']}")
    assert "No webhook attempts match." in page


async def test_operator_b_sees_its_own_data_only(two_operators, browser):
    b = two_operators["b_operator"]
    portal = browser()
    await portal.sign_in(b.api_key, b.secret_key)
    texts = await pages_of(portal)
    for name, text in texts.items():
        for secret in (
            "alice-alpha",
            "sess-alpha",
            "Default operator",
            API_KEY,
            SECRET,
            "Lotterix",
            *(r["round_id"] for r in two_operators["a_rounds"]),
        ):
            assert secret not in text, f"{name} shows {secret!r} of operator A"
    assert "Beta Gaming" in texts["dashboard"] and "bob-beta" in texts["players"]
    assert "cert-beta" in texts["players"]  # the certification's test player is a player seen
    assert two_operators["b_run"]["id"] in texts["integration"]
    rows = list(csv.reader(io.StringIO(texts["/portal/reports.csv"])))
    assert {r[3] for r in rows[1:]} == {"EUR"}


async def test_dashboard_counts_and_money(two_operators, browser):
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/dashboard")
    stat = re.findall(r'<h2>(\w[\w ]*)</h2><p class="big">(\d+)</p>', page)
    assert dict(stat) == {"Sessions": "1", "Rounds": "3", "Players": "1", "Webhook calls": "6"}
    # Bets 2.00 + 2.00 (the refunded round does not count), wins 5.00 (the lost round's 0 does not):
    # GGR -1.00.
    assert re.search(
        r'<td>USD</td><td class="n">3</td><td class="n">2</td>.*4\.00 USD.*<td class="n">1</td>.*5\.00 USD.*-1\.00 USD',
        page,
    )
    assert '<svg viewBox="0 0 760 250" class="chart" role="img"' in page
    assert "Register" in page and "Sandbox traffic seen" in page and "not certified" in page


async def test_players_show_sessions_and_last_known_balance(two_operators, browser):
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/players")
    # The reference wallet starts at 1000: -2 +5, -2 +0, -2 +2 (refund) = 1001.00
    assert "1001.00 USD" in page
    _, page = await portal.get("/portal/players?player_id=alice-alpha")
    assert "sess-alpha" in page and "lotterix" in page
    _, page = await portal.get("/portal/players?search=ALICE")
    assert "alice-alpha" in page
    _, page = await portal.get("/portal/players?search=nobody")
    assert "No players match." in page


async def test_transactions_filter_and_show_bodies(two_operators, browser):
    first = two_operators["a_rounds"][0]["round_id"]
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get(f"/portal/transactions?round_id={first}&action=win")
    assert page.count('<details class="attempt') == 1
    assert "X-Signature" in page and "&quot;action_type&quot;: &quot;win&quot;" in page
    _, page = await portal.get("/portal/transactions?player_id=alice-alpha&outcome=ok&action=refund")
    assert page.count('<details class="attempt') == 1
    _, page = await portal.get("/portal/transactions?outcome=transport_error")
    assert "No webhook attempts match." in page


async def test_reports_and_csv_export(two_operators, browser, clock):
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/reports")
    assert "Lotterix" in page and "-1.00 USD" in page
    async with portal.http.get(portal.base + "/portal/reports.csv") as response:
        text = await response.text()
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="netspace-report-') and disposition.endswith('.csv"')
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "day",
        "game_id",
        "game",
        "currency",
        "rounds",
        "bets",
        "bet_amount",
        "wins",
        "win_amount",
        "ggr",
    ]
    from netspace_mock.domain.reports import day_of

    assert rows[1:] == [
        [day_of(clock.now()), "lotterix", "Lotterix", "USD", "3", "2", "4.00", "1", "5.00", "-1.00"]
    ]
    assert text.endswith("\r\n")
    _, text = await portal.get("/portal/reports.csv?from=2020-01-01&to=2020-01-31")
    assert text.splitlines()[1:] == []


def test_csv_quotes_what_needs_quoting(platform):
    from datetime import date
    from decimal import Decimal

    from netspace_mock.domain import reports

    ledger = reports.Ledger(
        date(2025, 1, 1),
        date(2025, 1, 1),
        [reports.Line("2025-01-01", 'odd, "game"\nid', "USD", 1, 1, Decimal("1.5"), 0, Decimal(0))],
    )
    rows = list(csv.reader(io.StringIO(reports.csv_text(platform, ledger), newline="")))
    assert rows[1][:3] == ["2025-01-01", 'odd, "game"\nid', 'odd, "game"\nid'] and rows[1][6] == "1.50"


# ---- integration: webhook, test balance call, certification, activation ---------------------------


async def test_a_malformed_webhook_url_is_explained_and_changes_nothing(browser, platform):
    portal = browser()
    await portal.sign_in()
    await portal.get("/portal/integration")
    await portal.post("/portal/integration/webhook", {"webhook_url": "https://op.example/hook"})
    assert platform.operators.by_id(1).webhook_url == "https://op.example/hook"
    for bad in ("ftp://op.example/hook", "not a url", "https:///nohost", "https://" + "a" * 2100):
        _, page = await portal.post("/portal/integration/webhook", {"webhook_url": bad}, status=400)
        assert "The webhook URL was not saved" in page and "Nothing was changed." in page
        row = await platform.db.fetchone("SELECT webhook_url FROM operators WHERE id = 1")
        assert row[0] == platform.operators.by_id(1).webhook_url == "https://op.example/hook"
    _, page = await portal.post("/portal/integration/webhook", {"webhook_url": "ftp://x"}, status=400)
    assert 'value="ftp://x"' in page  # what was typed stays in the field, to correct it
    response, _ = await portal.post("/portal/integration/webhook", {"webhook_url": "  "})
    assert platform.operators.by_id(1).webhook_url is None
    _, page = await portal.get(response.headers["Location"])
    assert "Webhook saved: calls now go to the built-in reference wallet." in page


async def test_the_secret_is_masked_until_revealed(browser):
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/integration")
    assert f'<code id="secret-key" hidden>{SECRET}</code>' in page and "data-reveal" in page
    assert f'<code id="api-key">{API_KEY}</code>' in page


async def test_a_test_balance_call_shows_the_answer(browser, client, platform):
    portal = browser()
    await portal.sign_in()
    await portal.get("/portal/integration")
    _, page = await portal.post(
        "/portal/integration/balance-test", {"player_id": "p-9", "currency": "EUR"}, status=200
    )
    assert "badge-business_error" in page and "PLAYER_NOT_FOUND" in page
    await client.ok("POST", "/api/game/launch", launch_body(player_id="p-9", currency="EUR"))
    _, page = await portal.post(
        "/portal/integration/balance-test", {"player_id": "p-9", "currency": "EUR"}, status=200
    )
    assert (
        "HTTP status</dt><dd>200" in page
        and "badge-ok" in page
        and "<dd>1000</dd>" in page
        and " ms</dd>" in page
    )
    assert '<option value="EUR" selected>' in page and 'name="player_id" value="p-9"' in page
    assert (
        await count_rows(platform.db, "webhook_attempts", "action_type = 'balance' AND player_id = 'p-9'")
        == 2
    )
    _, page = await portal.post(
        "/portal/integration/balance-test", {"player_id": "", "currency": "XXX"}, status=400
    )
    assert "The balance call was not sent" in page and "Player id must not be empty" in page
    assert await count_rows(platform.db, "webhook_attempts") == 2


async def run_certification(portal: Portal, data: list | None = None) -> dict:
    """Start a run from the Integration page and poll its progress to the end, as portal.js does."""
    await portal.get("/portal/integration")
    data = data or [("player_id", "cert-1"), ("currency", "USD")] + [
        ("tests", t) for t in REQUIRED + ["refund"]
    ]
    response, _ = await portal.post("/portal/integration/certification", data)
    location = response.headers["Location"]
    run_id = re.search(r"run=(run_\w+)", location).group(1)
    seen = []
    for _ in range(400):
        async with portal.http.get(f"{portal.base}/portal/integration/certification/{run_id}/progress") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("application/json")
            state = await r.json()
        seen.append(state["done"])
        if state["status"] != "running":
            break
        await asyncio.sleep(0.02)
    assert seen == sorted(seen)
    _, page = await portal.get(location.split("#")[0])
    return {"state": state, "page": page, "run_id": run_id}


REQUIRED = ["authentication", "balance", "bet", "win", "insufficient_balance", "idempotency", "rollback"]


async def test_certification_runs_in_the_background_then_activation_opens(browser, platform):
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/integration")
    assert re.search(
        r'<button type="submit" class="button primary" disabled>Request production activation', page
    )
    await portal.post("/portal/integration/activation", status=409)
    assert platform.operators.by_id(1).activation_requested_at is None
    done = await run_certification(portal)
    assert done["state"]["status"] == "passed" and done["state"]["done"] == done["state"]["total"] == 8 + len(
        ADVISORIES
    )
    assert [i["status"] for i in done["state"]["items"][:8]] == ["passed"] * 8
    page = done["page"]
    assert page.count('<details class="test passed"') >= 8 and '<details class="step ok">' in page
    assert "X-Signature" in page and "Expected: " in page
    assert re.search(r'<button type="submit" class="button primary">Request production activation', page)
    response, _ = await portal.post("/portal/integration/activation")
    assert platform.operators.by_id(1).activation_requested_at is not None
    _, page = await portal.get("/portal/dashboard")
    assert "activation requested" in page and "certified" in page
    assert page.count('class="process-step done"') == 4


async def test_a_failing_wallet_shows_the_failing_step(portals, mock_factory, aiohttp_server):
    url = await serve(aiohttp_server, OperatorWallet("books_duplicates"))
    op = await mock_factory(webhook_url=url)
    portal = portals(op)
    await portal.sign_in()
    done = await run_certification(
        portal,
        [("player_id", "cert-player"), ("currency", "USD"), ("tests", "idempotency"), ("tests", "bet")],
    )
    assert done["state"]["status"] == "failed"
    statuses = {i["key"]: i["status"] for i in done["state"]["items"]}
    assert (
        statuses["idempotency"] == "failed" and statuses["bet"] == "passed" and statuses["win"] == "skipped"
    )
    assert (
        '<details class="test failed" open>' in done["page"] and '<details class="step bad">' in done["page"]
    )
    assert "not certified" in done["page"]


async def test_an_unreachable_webhook_ends_the_run_failed_with_the_reason(browser, platform):
    portal = browser()
    await portal.sign_in()
    await portal.get("/portal/integration")
    await portal.post("/portal/integration/webhook", {"webhook_url": "http://127.0.0.1:9/closed"})
    done = await run_certification(portal)
    assert (
        done["state"]["status"] == "failed" and "the webhook could not be reached" in done["state"]["error"]
    )
    assert {i["status"] for i in done["state"]["items"]} == {"failed"}
    assert "the webhook could not be reached" in done["page"] and "not certified" in done["page"]


async def test_certification_input_is_checked_and_one_run_at_a_time(browser, client, platform):
    portal = browser()
    await portal.sign_in()
    await portal.get("/portal/integration")
    _, page = await portal.post(
        "/portal/integration/certification", {"player_id": "p", "currency": "USD"}, status=400
    )
    assert "Choose at least one test." in page
    _, page = await portal.post(
        "/portal/integration/certification",
        [("player_id", ""), ("currency", "ZZZ"), ("tests", "bet")],
        status=400,
    )
    assert "Player id must not be empty" in page and "Currency must be one of" in page
    _, page = await portal.post(
        "/portal/integration/certification",
        [("player_id", "p"), ("currency", "USD"), ("tests", "nope")],
        status=400,
    )
    assert "unknown test" in page
    assert await count_rows(platform.db, "certification_runs") == 0
    await portal.post(
        "/portal/integration/certification", [("player_id", "p"), ("currency", "USD"), ("tests", "bet")]
    )
    _, page = await portal.post(
        "/portal/integration/certification",
        [("player_id", "p"), ("currency", "USD"), ("tests", "bet")],
        status=409,
    )
    assert "already in progress" in page
    from netspace_mock.web.portal.certification import RUNS

    await asyncio.gather(*client.client.app[RUNS].values())
    assert not client.client.app[RUNS]


# ---- registration ---------------------------------------------------------------------------------


async def test_register_shows_the_credentials_once_then_they_sign_in(browser, platform):
    portal = browser()
    _, page = await portal.get("/portal/register")
    _, page = await portal.post("/portal/register", {"name": ""}, status=400)
    assert "Enter an operator name of 1 to 100 characters." in page
    await portal.post("/portal/register", {"name": "x" * 101}, status=400)
    assert len(platform.operators.all()) == 1
    response, _ = await portal.post("/portal/register", {"name": "  Acme <Casino>  "})
    assert response.headers["Location"] == "/portal/register/credentials"
    created = platform.operators.all()[-1]
    assert created.name == "Acme <Casino>" and created.api_key.startswith("ak_")
    _, page = await portal.get("/portal/register/credentials")
    assert created.api_key in page and created.secret_key in page and "Acme &lt;Casino&gt;" in page
    assert "shows your credentials once" in page
    _, again = await portal.get("/portal/register/credentials", status=410)
    assert created.secret_key not in again and "already shown" in again
    assert await count_rows(platform.db, "portal_credential_reveals") == 0
    # The page's own button signs in with them.
    response, _ = await portal.post(
        "/portal/sign-in", {"api_key": created.api_key, "secret_key": created.secret_key}
    )
    _, page = await portal.get(response.headers["Location"])
    assert "Acme &lt;Casino&gt;" in page and 'class="process-step done"' in page


async def test_another_browser_cannot_see_fresh_credentials(browser, platform):
    first, second = browser(), browser()
    await first.get("/portal/register")
    await first.post("/portal/register", {"name": "Solo"})
    _, page = await second.get("/portal/register/credentials", status=410)
    assert platform.operators.all()[-1].secret_key not in page


# ---- resending a failed delivery ------------------------------------------------------------------


async def test_a_failed_win_is_resent_from_transactions(operator, wallet, portals, platform_of):
    await operator.ok("POST", "/api/game/launch", launch_body())
    wallet.fail("win", *["http500"] * 5)
    rnd = (
        await operator.ok(
            "POST",
            "/api/sandbox/game/bet",
            {"session_id": "sess-1", "amount": 1, "outcome": "win", "win_amount": 3},
        )
    )["round"]
    await operator.client.app[DISPATCHER].idle()
    portal = portals(operator)
    await portal.sign_in()
    _, page = await portal.get("/portal/transactions")
    assert "Failed deliveries" in page and page.count('action="/portal/transactions/resend"') == 6
    win = (await operator.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}"))["round"]["win"]
    assert win["status"] == "failed"
    # Bad or foreign input: a message, nothing resent.
    for data, status in (
        ({"action_type": "bet", "transaction_id": win["transaction_id"]}, 400),
        ({"action_type": "win", "transaction_id": "txn_nope"}, 404),
        ({"action_type": "win", "transaction_id": ""}, 400),
    ):
        _, page = await portal.post("/portal/transactions/resend", data, status=status)
        assert "Nothing was resent" in page
    assert len(wallet.of("win")) == 5
    response, _ = await portal.post(
        "/portal/transactions/resend", {"action_type": "win", "transaction_id": win["transaction_id"]}
    )
    _, page = await portal.get(response.headers["Location"])
    assert f"Resent the win {win['transaction_id']}: delivered." in page
    assert "Failed deliveries" not in page and len(wallet.of("win")) == 6
    again = (await operator.ok("GET", f"/api/sandbox/rounds/{rnd['round_id']}"))["round"]
    assert again["win"]["status"] == "acknowledged" and again["status"] == "settled"
    _, page = await portal.post(
        "/portal/transactions/resend",
        {"action_type": "win", "transaction_id": win["transaction_id"]},
        status=400,
    )
    assert "only a failed delivery can be resent" in page


@pytest.fixture
def platform_of():
    from netspace_mock.serving import PLATFORM

    return lambda signed: signed.client.app[PLATFORM]


# ---- bad input never breaks a page ----------------------------------------------------------------


async def test_bad_input_gets_a_message_never_a_crash(browser, platform):
    portal = browser()
    _, page = await portal.get("/portal/nowhere", status=404)
    assert "The portal has no page at /portal/nowhere." in page and "<!doctype html>" in page
    response, page = await portal.post("/portal/dashboard", status=405, csrf="-")
    assert response.headers["Allow"] == "GET" and "accepts GET only" in page
    await portal.get("/portal/integration/certification/run_x/progress", status=401)
    await portal.sign_in()
    for path, status, words in (
        ("/portal/transactions?action=jackpot", 400, "Action must be one of"),
        ("/portal/transactions?outcome=%00", 400, "Outcome must be one of"),
        ("/portal/transactions?player_id=" + "p" * 129, 400, "at most 128 characters"),
        ("/portal/transactions?page=0", 400, "is not a page number"),
        ("/portal/players?page=-3", 400, "is not a page number"),
        ("/portal/players?page=%C2%B2", 400, "is not a page number"),
        ("/portal/players?player_id=%01", 400, "no control characters"),
        ("/portal/reports?from=2025-02-30", 400, "is not a date"),
        ("/portal/reports?from=20250101", 400, "is not a date"),
        ("/portal/reports?from=2025-03-01&to=2025-02-01", 400, "must be on or before"),
        ("/portal/reports?from=2020-01-01&to=2025-01-01", 400, "at most 366 days"),
        ("/portal/reports.csv?currency=XYZ", 400, "is not a currency of the platform"),
        ("/portal/integration?run=" + "r" * 300, 200, "There is no certification run"),
        ("/portal/static/../../app.py", 404, ""),
    ):
        _, page = await portal.get(path, status=status)
        assert words in page, path
    async with portal.http.get(f"{portal.base}/portal/integration/certification/run_nope/progress") as r:
        assert r.status == 404 and "does not exist" in (await r.json())["error"]
    # Forms that are not forms: JSON, a file, a huge field.
    await portal.get("/portal/integration")
    async with portal.http.post(
        f"{portal.base}/portal/integration/webhook", json={"csrf_token": portal.csrf}
    ) as r:
        assert r.status == 403
    form = aiohttp.FormData()
    form.add_field("csrf_token", portal.csrf)
    form.add_field("webhook_url", b"https://x.example/", filename="u.txt")
    async with portal.http.post(f"{portal.base}/portal/integration/webhook", data=form) as r:
        assert r.status == 400 and "is not plain text" in await r.text()
    await portal.post(
        "/portal/integration/webhook", {"webhook_url": "https://x.example/" + "a" * 5000}, status=400
    )
    async with portal.http.post(
        f"{portal.base}/portal/integration/webhook",
        data=b"\xff\xfe=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as r:
        assert r.status in (400, 403)
    assert platform.operators.by_id(1).webhook_url is None


async def test_every_page_is_offline(two_operators, browser):
    """No script, style sheet, font or image from anywhere but the mock itself."""
    portal = browser()
    await portal.sign_in()
    texts = await pages_of(portal)
    _, texts["sign-in"] = await browser().get("/portal/sign-in")
    _, texts["register"] = await browser().get("/portal/register")
    for name, text in texts.items():
        for ref in re.findall(r'(?:src|href|action)="([^"]*)"', text):
            assert ref.startswith(("/portal", "#")), f"{name} refers to {ref}"
        assert "@import" not in text and "<style" not in text and "<script>" not in text
    for asset in ("portal.css", "portal.js"):
        _, text = await portal.get(f"/portal/static/{asset}")
        assert "http" not in text and "url(" not in text and "@import" not in text
    response, _ = await portal.get("/portal/dashboard")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


async def test_settings_show_the_delivery_policy(browser, platform):
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/settings")
    assert "Read-only" in page and "--webhook-timeout" in page and "NETSPACE_MOCK_SIGNATURE_PATH" in page
    assert "<strong>5.0 s</strong>" in page and "<strong>1 s, 2 s, 4 s, 8 s</strong>" in page
    assert "<strong>either</strong>" in page and "<strong>300 s</strong>" in page
    assert "<strong>3 free</strong>" in page and "<strong>30 in 15 min</strong>" in page
    assert "<strong>open</strong>" in page and "NETSPACE_MOCK_OPEN_REGISTRATION" in page
    assert "<strong>5 an hour</strong>" in page and "--registration-limit" in page


async def test_a_run_cut_short_by_a_restart_shows_as_interrupted(browser, platform, clock):
    from netspace_mock.store import certification as runs

    run = {
        "id": "run_cut",
        "status": "running",
        "started_at": "2025-01-01T00:00:00.000Z",
        "finished_at": None,
        "target": {"player_id": "p", "currency": "USD"},
        "results": [],
        "advisories": [],
    }
    await runs.save(platform.db, 1, run, clock.now())
    portal = browser()
    await portal.sign_in()
    _, page = await portal.get("/portal/integration")
    assert "Interrupted: the mock stopped before this run finished." in page and "progress-panel" not in page
    async with portal.http.get(f"{portal.base}/portal/integration/certification/run_cut/progress") as r:
        assert (await r.json())["status"] == "interrupted"
    assert "disabled>Run certification" not in page  # a new run may start


async def test_a_run_in_progress_at_shutdown_is_stopped_and_shown_as_interrupted(
    portals, mock_factory, aiohttp_server
):
    url = await serve(aiohttp_server, OperatorWallet("times_out"))
    first = await mock_factory(webhook_url=url)
    portal = portals(first)
    await portal.sign_in()
    await portal.get("/portal/integration")
    await portal.post(
        "/portal/integration/certification",
        [("player_id", "cert-player"), ("currency", "USD"), ("tests", "balance")],
    )
    from netspace_mock.web.portal.certification import RUNS

    task = next(iter(first.client.app[RUNS].values()))
    await first.client.close()  # shutdown: the run is cancelled before the database closes
    assert task.cancelled()
    again = await mock_factory(webhook_url=url)
    portal = portals(again)
    await portal.sign_in()
    _, page = await portal.get("/portal/integration")
    assert "Interrupted: the mock stopped before this run finished." in page
