"""The game page in a real headless Chromium: sessions launched through the API, rounds played with the
mouse and with the keyboard alone, free bets, demo, errors in words, languages, a phone-sized screen.

Every test checks that the page asked nothing of any other host and logged no error (a CSP violation
would be one), and saves a screenshot (docs/screenshots/ with NETSPACE_MOCK_SCREENSHOTS=1).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from netspace_mock.web.i18n import STRINGS
from pages import keep_to_the_mock
from support import launch_body

pytestmark = pytest.mark.browser
FUTURE = "2031-01-01T00:00:00Z"
MAX_ROUNDS = 40  # P(no win, or no loss, in 40 Lotterix rounds) < 1e-7
BY_ID = "document.getElementById.bind(document)"


async def open_game(page, op, *, demo: bool = False, **body) -> dict:
    """Launch a session through the API, open its game_url and wait until the page has its state."""
    if demo:
        answer = await op.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix", **body})
    else:
        answer = await op.ok("POST", "/api/game/launch", launch_body(**body))
    origin = answer["game_url"].split("/play/")[0]
    page.watch = await keep_to_the_mock(page, origin)
    await page.emulate_media(reduced_motion="reduce")  # screenshots without a half-played highlight
    await page.goto(answer["game_url"])
    await page.wait_for_function(
        f"() => {BY_ID}('balance').dataset.value !== '' || {BY_ID}('error').textContent"
    )
    return answer


def clean(page, *answered: int) -> None:
    """Nothing asked of another host, and no console error but the HTTP statuses a test provoked."""
    errors = [e for e in page.watch.errors if not any(f"status of {code} " in e for code in answered)]
    assert (page.watch.outside, errors) == ([], [])


async def amount(page, selector: str) -> Decimal:
    return Decimal(await page.get_attribute(selector, "data-value"))


async def shown(page, selector: str) -> str:
    return (await page.inner_text(selector)).replace("\xa0", " ").strip()


async def play(page) -> dict:
    """Press Play and wait for the round's result or an error; returns what the page shows."""
    before = await page.get_attribute("#result", "data-round-id")
    await page.click("#play")
    await page.wait_for_function(
        f"(before) => ({BY_ID}('result').dataset.roundId ?? null) !== before || {BY_ID}('error').textContent",
        arg=before,
    )
    data = await page.eval_on_selector("#result", "e => ({...e.dataset})")
    return {**data, "error": await shown(page, "#error")}


async def pick(page, numbers=(2, 5, 9, 14, 18)) -> None:
    for n in numbers:
        await page.click(f'.num[data-n="{n}"]')


async def test_lotterix_wins_and_losses_move_the_balance_by_win_minus_stake(client, page, screenshot):
    await client.ok("POST", "/api/lotterix/jackpot/update", {"amount": 12500, "currency": "USD"})
    await open_game(page, client, return_url="https://casino.example/lobby")
    assert await shown(page, "#balance") == "1,000.00 USD"
    assert await shown(page, "#jackpot") == "12,500.00 USD"
    assert await page.get_attribute("#back-link", "href") == "https://casino.example/lobby"
    await pick(page)
    await page.click('.num[data-n="20"]')  # a sixth pick is refused, in words
    assert await page.locator('.num[aria-pressed="true"]').count() == 5
    assert await shown(page, "#pick-count") == STRINGS["en"]["picks_full"]
    await page.fill("#stake", "2.5")
    await page.press("#stake", "Tab")
    assert await page.input_value("#stake") == "2.50"
    seen = set()
    for _ in range(MAX_ROUNDS):
        before = await amount(page, "#balance")
        got = await play(page)
        win = Decimal(got["win"])
        assert got["error"] == "" and got["status"] == "settled"
        assert await amount(page, "#balance") == before - Decimal("2.5") + win
        assert await page.locator("#drawn .ball").count() == 5
        if win > 0:
            assert (await shown(page, "#result-win")).startswith("You won ")
            assert await page.locator("#drawn .ball.hit").count() >= 2
            if "win" not in seen:
                await screenshot(page, "game-en")
        else:
            assert await shown(page, "#result-win") == "No win this time"
        seen.add("win" if win > 0 else "loss")
        if seen == {"win", "loss"}:
            break
    assert seen == {"win", "loss"}
    clean(page)


async def test_a_free_bet_round_charges_nothing_and_spends_the_free_bet(client, page, screenshot):
    await client.ok("POST", "/api/game/launch", launch_body())  # the player must exist before a free bet
    await client.ok("POST", "/api/lotterix/jackpot/update", {"amount": 4321.5, "currency": "USD"})
    await client.ok(
        "POST",
        "/api/v1/freebets/assign",
        {
            "operator_free_bet_id": "welcome",
            "player_id": "player-1",
            "game_id": "lotterix",
            "free_bets": {"amount": 5, "currency": "USD", "expires_at": FUTURE},
        },
    )
    await open_game(page, client)
    assert await shown(page, "#free-bet") == "5.00 USD"
    assert "For this game only" in await shown(page, "#free-bet-note")
    await page.click("#free-bet-toggle")
    assert await page.is_checked("#use-free-bet")
    await page.fill("#stake", "2")
    await page.click("#quick-pick")
    before = await amount(page, "#balance")
    got = await play(page)
    assert got["error"] == "" and got["charged"] == "0"
    assert await amount(page, "#balance") == before + Decimal(got["win"])
    assert await shown(page, "#free-bet") == "3.00 USD"
    assert "Stake paid with your free bet" in await shown(page, "#result-note")
    await screenshot(page, "game-free-bet")
    clean(page)


async def test_a_demo_session_plays_with_virtual_money(client, page, screenshot):
    await open_game(page, client, demo=True, game_id="carnival-ball", currency="EUR")
    assert await page.is_visible("#demo-badge") and await shown(page, "#demo-badge") == "Demo — virtual money"
    assert not await page.is_visible("#jackpot-card") and not await page.is_visible("#back-link")
    assert await page.locator(".num").count() == 0  # no number grid outside Lotterix
    assert await amount(page, "#balance") == 1000
    await page.fill("#stake", "10")
    got = await play(page)
    assert await amount(page, "#balance") == 1000 - 10 + Decimal(got["win"])
    assert (await shown(page, "#result-detail")).startswith("Multiplier ×")
    await screenshot(page, "game-demo")
    clean(page)


async def test_a_bet_larger_than_the_balance_says_so(operator, wallet, page, screenshot):
    await operator.ok("POST", "/api/game/launch", launch_body())
    wallet.balances[("player-1", "USD")] = Decimal("3")
    await open_game(page, operator)
    await pick(page)
    await page.fill("#stake", "5")
    got = await play(page)
    assert got["error"] == STRINGS["en"]["err_insufficient"]
    assert await page.get_attribute("#error", "role") == "alert"
    assert await amount(page, "#balance") == 3 and not await page.is_visible("#result")
    await screenshot(page, "game-error")
    await page.fill("#stake", "0.05")
    await page.click("#play")
    assert await shown(page, "#error") == "Enter a stake from 0.10 USD to 500.00 USD."
    clean(page)


async def test_a_wallet_that_does_not_answer_is_said_in_words(operator, wallet, page, screenshot):
    wallet.fail("balance", "http500")
    await open_game(page, operator, language="es")
    assert await shown(page, "#error") == STRINGS["es"]["err_wallet_balance"]
    assert await shown(page, "#balance") == "—"
    wallet.fail("bet", "http500")
    await pick(page)
    got = await play(page)
    assert got["error"] == STRINGS["es"]["err_wallet_round"]
    await screenshot(page, "game-webhook-error")
    clean(page, 502)


async def test_an_expired_session_says_to_launch_a_new_one(client, clock, page, screenshot):
    await open_game(page, client, return_url="https://casino.example/lobby")
    clock.advance(86_401)
    await pick(page)
    got = await play(page)
    assert got["error"] == STRINGS["en"]["err_expired"] and await page.is_disabled("#play")
    response = await page.reload()
    assert response.status == 410
    assert await shown(page, "#notice h1") == "Session expired"
    assert await page.get_attribute("#back-link", "href") == "https://casino.example/lobby"
    await screenshot(page, "game-expired")


@pytest.mark.parametrize(("language", "balance"), [("pt", "1.000,00 USD"), ("ja", "1,000.00 USD")])
async def test_the_page_speaks_the_session_language(client, page, screenshot, language, balance):
    await open_game(page, client, language=language, return_url="https://casino.example/")
    strings = STRINGS[language]
    assert await page.get_attribute("html", "lang") == language
    assert await shown(page, "#balance") == balance
    assert (
        await shown(page, "#play") == strings["play"] and await shown(page, "#back-link") == strings["back"]
    )
    await page.click("#quick-pick")
    got = await play(page)
    headline = await shown(page, "#result-win")
    assert headline == strings["lost"] or headline.startswith(strings["won"].split("{")[0].strip())
    assert got["error"] == ""
    await screenshot(page, f"game-{language}")
    clean(page)


async def test_arabic_is_right_to_left(client, page, screenshot):
    await open_game(page, client, language="ar", return_url="https://casino.example/")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    title = await page.locator("#game-name").bounding_box()
    back = await page.locator("#back-link").bounding_box()
    assert back["x"] < title["x"]  # mirrored: the way back sits on the left
    assert await shown(page, "#play") == STRINGS["ar"]["play"]
    await page.click("#quick-pick")
    await play(page)
    await screenshot(page, "game-ar")
    clean(page)


async def test_a_phone_sized_screen(client, browser, screenshot):
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    try:
        await client.ok("POST", "/api/lotterix/jackpot/update", {"amount": 8200, "currency": "USD"})
        await open_game(page, client, return_url="https://casino.example/")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows
        box = await page.locator('.num[data-n="20"]').bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 390  # touch-sized, on screen
        await page.tap("#quick-pick")
        await page.tap("#play")
        await page.wait_for_function(f"() => {BY_ID}('result').dataset.roundId !== undefined")
        await screenshot(page, "game-mobile")
        clean(page)
    finally:
        await context.close()


async def test_keyboard_only_play(client, page, screenshot):
    await open_game(page, client)
    focused = (
        "document.activeElement.id || document.activeElement.dataset.n || document.activeElement.tagName"
    )

    async def tab_to(target: str) -> None:
        for _ in range(40):
            await page.keyboard.press("Tab")
            if str(await page.evaluate(focused)) == target:
                return
        raise AssertionError(f"Tab never reached {target}")

    for n, key in (("3", "Space"), ("8", "Enter"), ("12", "Space"), ("16", "Enter"), ("20", "Space")):
        await tab_to(n)
        await page.keyboard.press(key)
    assert await page.locator('.num[aria-pressed="true"]').count() == 5
    assert (
        await page.evaluate("getComputedStyle(document.activeElement).boxShadow") != "none"
    )  # visible focus
    await tab_to("stake")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("3")
    await tab_to("play")
    for _ in range(2):  # Enter plays, and the focus stays on Play for the next round
        before = await amount(page, "#balance")
        round_id = await page.get_attribute("#result", "data-round-id")
        await page.keyboard.press("Enter")
        await page.wait_for_function(
            f"(id) => ({BY_ID}('result').dataset.roundId ?? null) !== id", arg=round_id
        )
        win = Decimal(await page.get_attribute("#result", "data-win"))
        assert await amount(page, "#balance") == before - 3 + win
        assert await page.evaluate(focused) == "play"
    await screenshot(page, "game-keyboard")
    clean(page)
