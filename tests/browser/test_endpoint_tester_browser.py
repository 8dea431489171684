"""The Integration page's endpoint tester in a real headless Chromium: routes read from /openapi.json, a
request signed in the page with Web Crypto and sent, the answer shown; a launch's session reused by the
next bet; a wrong secret key refused with the string to sign; an X-Netspace-Mock-Warning header shown (added
to the real answer by the browser's routing) and none on canonical requests; and, on a page that is not a
secure context,
the string to sign and a `netspace-mock sign` command whose signature the tester then sends.

The page asks nothing of any other host, logs no error but the refusals it provokes, and the secret key
goes into no request of the tester (docs/screenshots/portal-endpoint-tester.png with
NETSPACE_MOCK_SCREENSHOTS=1).
"""

from __future__ import annotations

import json
import shlex

import pytest

from netspace_mock import cli, schemas
from pages import keep_to_the_mock, sign_in
from support import SECRET

pytestmark = pytest.mark.browser
STATUS = "#tester-status"
WARNING = "X-Netspace-Mock-Warning"
# A name only this browser resolves (to the mock, on 127.0.0.1): plain http there is no secure context.
INSECURE_HOST = "portal.tester.example"


async def open_the_tester(page, origin: str, api_key: str) -> None:
    await sign_in(page, origin, api_key)
    await page.click("nav >> text=Integration")
    await page.wait_for_selector("#tester-route option[value='GET /api/games/catalog']", state="attached")


async def send(page, route: str | None = None, *, expect: str) -> dict:
    """Pick a route (or keep the one chosen), send it, wait for the status; the answer, parsed."""
    if route:
        await page.select_option("#tester-route", route)
    await page.evaluate("document.getElementById('tester-status').textContent = ''")
    await page.click("#tester-form button[type=submit]")
    await page.wait_for_selector(f"{STATUS}:has-text('{expect}')")
    return json.loads(await page.text_content("#tester-answer"))


async def test_the_endpoint_tester_signs_sends_and_shows(page, screenshot, mock_factory):
    op = await mock_factory()
    origin = str(op.client.make_url("")).rstrip("/")
    seen = await keep_to_the_mock(page, origin)  # its /api requests too, to look for the secret in them
    await open_the_tester(page, origin, op.api_key)

    # Every /api route of the document, grouped by its tag.
    doc = await (await op.client.get("/openapi.json")).json()
    listed = await page.eval_on_selector_all("#tester-route option", "os => os.map(o => o.value)")
    api = [f"{m.upper()} {p}" for p, ops in doc["paths"].items() if p.startswith("/api/") for m in ops]
    assert sorted(listed) == sorted(api)
    groups = await page.eval_on_selector_all("#tester-route optgroup", "gs => gs.map(g => g.label)")
    assert "catalog" in groups and "sandbox" in groups

    # The catalog: a GET, signed over an empty body; no integration warning on a canonical request.
    answer = await send(page, "GET /api/games/catalog", expect="200")
    assert answer["success"] is True and answer["games"]
    assert schemas.problems("games.catalog.response", answer) == []
    sts = await page.text_content("#tester-sts")
    assert sts.endswith("GET/api/games/catalog") and sts[:-21].isdigit()
    request = await page.text_content("#tester-request")
    assert request.startswith("GET /api/games/catalog\nX-API-Key: " + op.api_key)
    assert await page.is_hidden("#tester-warnings") and await page.is_hidden("#tester-diagnosis")

    # A launch from its example, with a fresh session id; the bet that follows plays that session.
    await page.select_option("#tester-route", "POST /api/game/launch")
    body = json.loads(await page.input_value("#tester-body"))
    example = doc["paths"]["/api/game/launch"]["post"]["requestBody"]["content"]["application/json"][
        "example"
    ]
    assert body["session_id"].startswith("sess_") and body["session_id"] != example["session_id"]
    assert {k: v for k, v in body.items() if k != "session_id"} == {
        k: v for k, v in example.items() if k != "session_id"
    }
    answer = await send(page, expect="200")
    assert answer["game_url"].startswith(origin + "/play/") and answer["session_id"] == body["session_id"]
    await screenshot(page, "portal-endpoint-tester", page.locator("#endpoint-tester"))
    await page.select_option("#tester-route", "POST /api/sandbox/game/bet")
    assert json.loads(await page.input_value("#tester-body"))["session_id"] == body["session_id"]
    assert body["session_id"] in await page.text_content("#tester-filled")
    answer = await send(page, expect="200")
    assert answer["round"]["outcome"] == "win" and answer["round"]["win"]["amount"] == 2
    await page.select_option("#tester-route", "GET /api/sandbox/rounds/{roundId}")
    assert await page.input_value("#tester-params input") == answer["round"]["round_id"]
    assert (await send(page, expect="200"))["round"]["round_id"] == answer["round"]["round_id"]
    free_bet = (await send(page, "POST /api/v1/freebets/assign", expect="200"))["free_bet"]
    await page.select_option("#tester-route", "POST /api/v1/freebets/status")
    assert json.loads(await page.input_value("#tester-body")) == {
        "netspace_free_bet_id": free_bet["netspace_free_bet_id"]
    }
    assert (await send(page, expect="200"))["free_bet"]["status"] == "active"

    # Path and query parameters; the signed PATH is the path alone (the strict form) unless asked otherwise.
    await page.select_option("#tester-route", "GET /api/games/catalog")
    await page.fill("#tester-params input[data-name=per_page]", "2")
    answer = await send(page, expect="200")
    assert len(answer["games"]) == 2
    assert (await page.text_content("#tester-sts")).endswith("GET/api/games/catalog")
    assert await page.is_hidden("#tester-warnings")
    await page.select_option("#tester-sign-path", "path_qs")
    assert len((await send(page, expect="200"))["games"]) == 2
    assert (await page.text_content("#tester-sts")).endswith("GET/api/games/catalog?per_page=2")
    assert "signature covers the query string" in await page.text_content("#tester-warnings")
    await page.select_option("#tester-sign-path", "path")

    # Another secret key: refused, with the string the mock signed, the same as the page's.
    await page.select_option("#tester-route", "POST /api/game/launch")
    await page.fill("#tester-secret", "not-the-secret-key")
    answer = await send(page, expect="401")
    assert answer["error"]["code"] == "UNAUTHORIZED"
    assert answer["error"]["details"]["string_to_sign"] == await page.text_content("#tester-sts")
    assert "the secret key is what differs" in await page.text_content("#tester-diagnosis")
    assert await page.is_hidden("#tester-warnings")

    # A warning header on the answer is shown (added here to the mock's real answer, in the browser).
    async def with_a_warning(route):
        response = await route.fetch()
        await route.fulfill(response=response, headers={**response.headers, WARNING: "a test warning"})

    await page.route("**/api/games/featured", with_a_warning)
    await page.fill("#tester-secret", "")
    assert (await send(page, "GET /api/games/featured", expect="200"))["games"]
    assert await page.is_visible("#tester-warnings")
    assert await page.text_content("#tester-warning-list") == "a test warning"
    await send(page, "GET /api/games/categories", expect="200")
    assert await page.is_hidden("#tester-warnings")

    # The secret key is in the page once (where it already was) and in no request the tester made.
    assert (await page.content()).count(SECRET) == 1
    assert seen.api and not [r for r in seen.api if SECRET in json.dumps(r)]
    errors = [e for e in seen.errors if "status of 401 (Unauthorized)" not in e]
    assert (seen.outside, errors, len(seen.errors)) == ([], [], 1)


async def test_without_a_secure_context_the_tester_shows_the_command(launch, mock_factory, capsys):
    op = await mock_factory()
    origin = f"http://{INSECURE_HOST}:{op.client.port}"
    async with launch(f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1") as browser:
        page = await browser.new_page()
        seen = await keep_to_the_mock(page, origin)
        await open_the_tester(page, origin, op.api_key)
        assert await page.evaluate("window.isSecureContext") is False
        assert await page.is_visible("#tester-no-crypto")

        await page.select_option("#tester-route", "POST /api/game/launch-demo")
        await page.click("#tester-form button[type=submit]")
        await page.wait_for_selector("#tester-command")
        sts, command = await page.text_content("#tester-sts"), await page.text_content("#tester-command")
        body = await page.input_value("#tester-body")
        assert sts.endswith("POST/api/game/launch-demo" + body)
        assert await page.is_hidden("#tester-answer-block")
        words = shlex.split(command)
        assert words[:4] == ["netspace-mock", "sign", "--public-url", origin]
        assert words[-3:] == ["POST", "/api/game/launch-demo", body] and SECRET not in command

        # Run the command as shown (with the secret key it asks for), paste its signature, send.
        capsys.readouterr()
        assert cli.main([*words[1:], "--secret-key", SECRET]) == 0
        printed = dict(
            line.split(": ", 1) for line in capsys.readouterr().out.splitlines() if line.startswith("X-")
        )
        assert sts.startswith(printed["X-Timestamp"] + "POST")
        await page.fill("#tester-signature", printed["X-Signature"])
        await page.click("#tester-send-signed")
        await page.wait_for_selector(f"{STATUS}:has-text('200')")
        answer = json.loads(await page.text_content("#tester-answer"))
        assert answer["demo"] is True and answer["game_url"]
        assert (seen.outside, seen.errors) == ([], [])
