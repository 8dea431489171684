"""The game page at /play/{token}: the HTML, its JSON endpoints (authorised by the token alone), the
static files, every error a player can meet, and hostile input."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from yarl import URL

from netspace_mock import schemas
from netspace_mock.domain.game_page import stake_bounds
from netspace_mock.paths import fixture
from netspace_mock.web import i18n
from support import count_rows, launch_body

FUTURE = "2031-01-01T00:00:00Z"
PICKS = [3, 7, 11, 15, 19]
CONFIG = re.compile(r'<script type="application/json" id="game-config">(.*?)</script>', re.S)


async def launch(op, path: str = "/api/game/launch", **body) -> str:
    """Launch a session; returns the path of its game page."""
    answer = await op.ok("POST", path, body if path.endswith("demo") else launch_body(**body))
    return URL(answer["game_url"]).path


async def fetch(op, method: str, path: str, raw: bytes | None = None, **headers) -> tuple[int, dict, str]:
    """An unsigned request, as a browser sends it: (status, headers, text)."""
    async with op.client.request(method, path, data=raw, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.text()


async def state(op, page: str, status: int = 200) -> dict:
    got, _, text = await fetch(op, "GET", page + "/state")
    body = json.loads(text)
    assert got == status, body
    assert not schemas.problems("play.state.response" if status == 200 else "error", body)
    return body


async def play(op, page: str, body=None, *, raw: bytes | None = None, status: int = 200) -> dict:
    got, headers, text = await fetch(
        op, "POST", page + "/round", raw if raw is not None else json.dumps(body).encode()
    )
    answer = json.loads(text)
    assert got == status, answer
    assert not schemas.problems("play.round.response" if status == 200 else "error", answer)
    assert status >= 400 or headers["Cache-Control"] == "no-store"
    return answer


async def assign(op, **over) -> dict:
    body = {
        "operator_free_bet_id": "promo-1",
        "player_id": "player-1",
        "free_bets": {"amount": 5, "currency": "USD", "expires_at": FUTURE},
        **over,
    }
    return (await op.ok("POST", "/api/v1/freebets/assign", body))["free_bet"]


# ---- the HTML page ------------------------------------------------------------------------------


async def test_page_is_html_with_the_session_and_strict_headers(client):
    page = await launch(client, return_url="https://casino.example/lobby?a=1&b=2")
    status, headers, html = await fetch(client, "GET", page)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert '<html lang="en" dir="ltr">' in html and '<h1 id="game-name">Lotterix</h1>' in html
    assert 'href="https://casino.example/lobby?a=1&amp;b=2"' in html and ">Back to casino</a>" in html
    assert '<span class="badge" id="demo-badge" hidden>' in html
    assert html.count('class="num" aria-pressed="false"') == 20
    assert 'min="0.10" max="500.00" step="0.01" value="1.00"' in html
    config = json.loads(CONFIG.search(html).group(1))
    assert (config["currency"], config["decimals"], config["lottery"], config["demo"]) == (
        "USD",
        2,
        True,
        False,
    )
    assert config["strings"] == i18n.STRINGS["en"]


async def test_page_loads_nothing_from_outside(client):
    page = await launch(client, return_url="https://casino.example/lobby")
    _, _, html = await fetch(client, "GET", page)
    loaded = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert loaded and all(u.startswith("../") for u in loaded if u != "https://casino.example/lobby")
    for name in ("game.js", "game.css"):
        status, headers, text = await fetch(client, "GET", f"/static/game/{name}")
        assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
        assert not re.search(r"https?://|//[a-z]", text.replace("http://www.w3.org", "")), name
    for url in loaded:
        if url.startswith("../"):
            status, _, _ = await fetch(client, "GET", "/" + url.removeprefix("../"))
            assert status == 200, url


async def test_other_games_have_no_number_grid(client):
    _, _, html = await fetch(client, "GET", await launch(client, game_id="tiger-spins", currency="JPY"))
    assert 'class="num"' not in html
    assert 'min="1" max="1000" step="1" value="1"' in html  # JPY: no decimals, min_bet 0.5 → 1
    assert json.loads(CONFIG.search(html).group(1))["lottery"] is False


async def test_demo_page_shows_its_badge(client):
    page = await launch(client, "/api/game/launch-demo", game_id="lotterix", language="pt")
    status, _, html = await fetch(client, "GET", page)
    assert status == 200 and '<span class="badge" id="demo-badge">Demo — dinheiro virtual</span>' in html
    assert 'id="back-link" href="" rel="noreferrer noopener" target="_top" hidden' in html


@pytest.mark.parametrize("language", i18n.LANGUAGES)
async def test_page_in_every_language(client, language):
    _, _, html = await fetch(client, "GET", await launch(client, language=language))
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{i18n.html_lang(language)}" dir="{direction}">' in html
    assert f'id="play">{i18n.STRINGS[language]["play"]}</button>' in html


async def test_hostile_values_are_escaped(client):
    evil = 'https://casino.example/"><script>alert(1)</script><!--'
    _, _, html = await fetch(client, "GET", await launch(client, return_url=evil))
    assert "<script>alert" not in html and "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    config = CONFIG.search(html).group(1)
    assert "<" not in config and json.loads(config)


async def test_only_a_web_address_becomes_the_way_back(client, platform, clock):
    page = await launch(client, return_url="https://casino.example/")
    async with platform.db.transaction() as conn:  # as if stored by an older or careless version
        await conn.execute("UPDATE sessions SET return_url = 'javascript:alert(1)'")
    _, _, html = await fetch(client, "GET", page)
    assert (
        "javascript:" not in html
        and 'id="back-link" href="" rel="noreferrer noopener" target="_top" hidden' in html
    )
    clock.advance(86_401)
    _, _, html = await fetch(client, "GET", page)
    assert "javascript:" not in html and 'data-reason="expired"' in html


async def test_unknown_link_is_a_404_page_in_words(client):
    for token in ("0" * 40, "nope", "x" * 5000):
        status, headers, html = await fetch(client, "GET", f"/play/{token}")
        assert status == 404 and headers["Content-Type"].startswith("text/html")
        assert "This game link is unknown" in html and token not in html
    _, _, html = await fetch(client, "GET", "/play/nope", **{"Accept-Language": "xx, pt-BR;q=0.9, en;q=0.5"})
    assert 'lang="pt"' in html and "Este link de jogo é desconhecido" in html


async def test_expired_session_is_a_410_page_with_the_way_back(client, clock):
    page = await launch(client, language="de", return_url="https://casino.example/lobby")
    clock.advance(86_401)
    status, _, html = await fetch(client, "GET", page)
    assert status == 410 and 'data-reason="expired"' in html
    assert "Diese Spielsitzung ist abgelaufen" in html and 'href="https://casino.example/lobby"' in html


# ---- GET /play/{token}/state --------------------------------------------------------------------


async def test_state_of_a_real_session_asks_the_webhook(operator, wallet):
    page = await launch(operator, return_url="https://casino.example/lobby")
    answer = await state(operator, page)
    assert (answer["balance"], answer["currency"], answer["free_bets"]) == (100, "USD", [])
    assert answer["session"] == {
        "session_id": "sess-1",
        "game_id": "lotterix",
        "game_name": "Lotterix",
        "currency": "USD",
        "language": "en",
        "demo": False,
        "return_url": "https://casino.example/lobby",
        "expires_at": answer["session"]["expires_at"],
    }
    assert answer["jackpot"] == {"game_id": "lotterix", "amount": 0, "currency": "USD"}
    assert [c["payload"]["action_type"] for c in wallet.calls] == ["balance"]


async def test_state_shows_the_jackpot_in_the_session_currency(client):
    await client.ok("POST", "/api/lotterix/jackpot/update", {"amount": 2500.5, "currency": "EUR"})
    await client.ok("POST", "/api/lotterix/jackpot/update", {"amount": 99, "currency": "USD"})
    answer = await state(client, await launch(client, currency="EUR"))
    assert answer["jackpot"] == {"game_id": "lotterix", "amount": 2500.5, "currency": "EUR"}


async def test_state_of_a_demo_session_is_the_virtual_balance(operator, wallet):
    answer = await state(operator, await launch(operator, "/api/game/launch-demo", game_id="lotterix"))
    assert (answer["balance"], answer["jackpot"], answer["free_bets"]) == (1000, None, [])
    assert answer["session"]["demo"] is True and wallet.calls == []


async def test_state_lists_only_the_free_bets_this_session_can_stake(client, clock):
    page = await launch(client)
    usable = await assign(client, game_id="lotterix")
    anywhere = await assign(
        client,
        operator_free_bet_id="p2",
        free_bets={"amount": 2, "currency": "USD", "expires_at": "2030-01-01T00:00:00Z"},
    )
    await assign(client, operator_free_bet_id="p3", game_id="tiger-spins")
    await assign(
        client, operator_free_bet_id="p4", free_bets={"amount": 5, "currency": "EUR", "expires_at": FUTURE}
    )
    cancelled = await assign(client, operator_free_bet_id="p5")
    await client.ok(
        "POST", "/api/v1/freebets/cancel", {"netspace_free_bet_id": cancelled["netspace_free_bet_id"]}
    )
    found = (await state(client, page))["free_bets"]
    assert [(f["netspace_free_bet_id"], f["remaining_amount"], f["game_id"]) for f in found] == [
        (anywhere["netspace_free_bet_id"], 2, None),  # soonest to expire first: the one a round takes
        (usable["netspace_free_bet_id"], 5, "lotterix"),
    ]


async def test_state_webhook_failure_is_webhook_error(operator, wallet):
    page = await launch(operator)
    wallet.fail("balance", "http500")
    answer = await state(operator, page, status=502)
    assert answer["error"]["code"] == "WEBHOOK_ERROR" and answer["error"]["details"]["webhook"]


async def test_state_of_unknown_or_expired_sessions_is_invalid_session(client, clock):
    answer = await state(client, "/play/" + "f" * 40, status=404)
    assert answer["error"]["code"] == "INVALID_SESSION" and "unknown" in answer["error"]["message"]
    page = await launch(client, return_url="https://casino.example/")
    clock.advance(86_401)
    answer = await state(client, page, status=404)
    assert answer["error"]["code"] == "INVALID_SESSION" and "expired" in answer["error"]["message"]
    assert answer["error"]["details"]["return_url"] == "https://casino.example/"


# ---- POST /play/{token}/round -------------------------------------------------------------------


async def test_a_lotterix_round_moves_the_real_balance_by_win_minus_stake(operator, wallet):
    page = await launch(operator)
    answer = await play(operator, page, {"amount": 2.5, "numbers": PICKS})
    rnd = answer["round"]
    assert (
        rnd["status"] == "settled" and rnd["result"]["numbers"] == PICKS and len(rnd["result"]["drawn"]) == 5
    )
    expected = Decimal("100") - Decimal("2.5") + Decimal(str(rnd["win_amount"]))
    assert Decimal(str(answer["balance"])) == expected == wallet.balances[("player-1", "USD")]
    assert [c["payload"]["action_type"] for c in wallet.calls] == ["bet", "win"]
    assert answer["refusal"] is None and not wallet.problems


async def test_the_page_can_neither_force_an_outcome_nor_reach_another_session(operator, wallet):
    """A round body carries only amount, numbers and use_free_bet: anything else is refused by name
    (a webhook body, which has an amount, cannot pass for a round either), and nothing is played."""
    await operator.ok("POST", "/api/game/launch", launch_body(session_id="other", player_id="rich"))
    page = await launch(operator, game_id="tiger-spins")
    body = {"amount": 1, "outcome": "jackpot", "win_amount": 999, "session_id": "other"}
    answer = await play(operator, page, body, status=400)
    assert answer["error"]["code"] == "INVALID_REQUEST"
    assert "unknown field 'outcome', 'win_amount', 'session_id'" in answer["error"]["message"]
    assert wallet.calls == []
    outcomes = {(await play(operator, page, {"amount": 1}))["round"]["outcome"] for _ in range(12)}
    assert "lose" in outcomes  # the game's math decides


async def test_a_demo_round_uses_the_virtual_balance_and_no_webhook(operator, wallet):
    page = await launch(operator, "/api/game/launch-demo", game_id="carnival-ball", currency="EUR")
    answer = await play(operator, page, {"amount": 10})
    win = Decimal(str(answer["round"]["win_amount"]))
    assert Decimal(str(answer["balance"])) == Decimal(1000) - 10 + win and answer["round"]["demo"] is True
    assert (answer["jackpot"], answer["free_bets"], wallet.calls) == (None, [], [])


async def test_insufficient_balance_is_a_rejected_round(operator, wallet):
    page = await launch(operator)
    wallet.balances[("player-1", "USD")] = Decimal("3")
    answer = await play(operator, page, {"amount": 5, "numbers": PICKS})
    rnd = answer["round"]
    assert rnd["status"] == "rejected" and rnd["bet"]["last_error"].startswith("INSUFFICIENT_BALANCE")
    assert (answer["refusal"], answer["balance"], rnd["result"]) == ("INSUFFICIENT_BALANCE", None, None)
    assert wallet.balances[("player-1", "USD")] == 3


async def test_insufficient_virtual_balance_is_a_rejected_demo_round(client):
    page = await launch(client, "/api/game/launch-demo", game_id="samba-roll")
    answer = await play(client, page, {"amount": 1500})
    assert (answer["round"]["status"], answer["refusal"], answer["balance"]) == (
        "rejected",
        "INSUFFICIENT_BALANCE",
        1000,
    )


async def test_other_refusals_name_their_code(operator, wallet):
    page = await launch(operator)
    wallet.fail("bet", "business:PLAYER_NOT_FOUND")
    assert (await play(operator, page, {"amount": 1}))["refusal"] == "PLAYER_NOT_FOUND"


async def test_a_bet_the_webhook_failed_is_webhook_error_and_rolled_back(operator, wallet):
    page = await launch(operator)
    wallet.fail("bet", "http500")
    answer = await play(operator, page, {"amount": 1}, status=502)
    assert answer["error"]["code"] == "WEBHOOK_ERROR"
    assert answer["error"]["details"]["round"]["status"] == "rolled_back"
    assert wallet.balances[("player-1", "USD")] == 100


async def test_a_win_awaiting_its_retry_leaves_the_round_open(operator, wallet):
    page = await launch(operator)
    wallet.fail("win", "http500")
    rnd = (await play(operator, page, {"amount": 1, "numbers": PICKS}))["round"]
    assert rnd["status"] == "open" and rnd["win"]["status"] == "pending"


async def test_a_free_bet_round_pays_the_stake_from_the_free_bet(operator, wallet):
    page = await launch(operator)
    fb = await assign(operator, game_id="lotterix")
    answer = await play(operator, page, {"amount": 2, "numbers": PICKS, "use_free_bet": True})
    rnd = answer["round"]
    assert rnd["free_bet_id"] == fb["netspace_free_bet_id"] and wallet.of("bet")[0]["is_free_bet"] is True
    assert Decimal(str(answer["balance"])) == 100 + Decimal(str(rnd["win_amount"]))
    assert [f["remaining_amount"] for f in answer["free_bets"]] == [3]


async def test_free_bet_refusals_are_invalid_state(operator, wallet):
    page = await launch(operator)
    answer = await play(operator, page, {"amount": 1, "use_free_bet": True}, status=409)
    assert answer["error"]["code"] == "INVALID_STATE"
    await assign(operator)
    answer = await play(operator, page, {"amount": 6, "use_free_bet": True}, status=409)
    assert "remaining_amount" in answer["error"]["message"]


async def test_demo_rounds_take_no_free_bet(client):
    page = await launch(client, "/api/game/launch-demo", game_id="lotterix")
    answer = await play(client, page, {"amount": 1, "use_free_bet": True}, status=400)
    assert answer["error"]["details"]["errors"][0]["path"] == "$.use_free_bet"


async def test_unknown_and_expired_sessions_cannot_play(client, clock):
    answer = await play(client, "/play/" + "a" * 40, {"amount": 1}, status=404)
    assert answer["error"]["code"] == "INVALID_SESSION"
    page = await launch(client)
    clock.advance(86_401)
    answer = await play(client, page, raw=b"{not json", status=404)  # the token is checked first
    assert answer["error"]["code"] == "INVALID_SESSION"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"", "$"),
        (b"{", "$"),
        (b"[]", "$"),
        (b"null", "$"),
        (b'{"amount": NaN}', "$"),
        (b'{"amount": 1, "amount": 2}', "$"),
        (b'{"amount": 1, "x": ' + b"[" * 40 + b"]" * 40 + b"}", "$"),
        (b"\xff\xfe", "$"),
        (b"{}", "$.amount"),
        (b'{"amount": "5"}', "$.amount"),
        (b'{"amount": true}', "$.amount"),
        (b'{"amount": 0}', "$.amount"),
        (b'{"amount": -1}', "$.amount"),
        (b'{"amount": 1e300}', "$.amount"),
        (b'{"amount": 100000}', "$.amount"),
        (b'{"amount": 1.001}', "$.amount"),
        (b'{"amount": 1, "numbers": [1, 2, 3]}', "$.numbers"),
        (b'{"amount": 1, "numbers": [1, 1, 2, 3, 4]}', "$.numbers"),
        (b'{"amount": 1, "numbers": [0, 1, 2, 3, 4]}', "$.numbers[0]"),
        (b'{"amount": 1, "numbers": [1, 2, 3, 4, 21]}', "$.numbers[4]"),
        (b'{"amount": 1, "numbers": ["1", 2, 3, 4, 5]}', "$.numbers[0]"),
        (b'{"amount": 1, "numbers": [1.5, 2, 3, 4, 5]}', "$.numbers[0]"),
        (b'{"amount": 1, "use_free_bet": "yes"}', "$.use_free_bet"),
    ],
)
async def test_hostile_bodies_are_invalid_request_and_play_nothing(client, platform, raw, path):
    page = await launch(client)
    answer = await play(client, page, raw=raw, status=400)
    assert answer["error"]["code"] == "INVALID_REQUEST"
    assert path in [e["path"] for e in answer["error"]["details"]["errors"]]
    assert await count_rows(platform.db, "rounds") == 0


async def test_numbers_belong_to_lotterix_only(client):
    page = await launch(client, game_id="tiger-spins")
    answer = await play(client, page, {"amount": 1, "numbers": PICKS}, status=400)
    assert answer["error"]["details"]["errors"][0]["path"] == "$.numbers"


async def test_a_huge_body_is_payload_too_large(client):
    page = await launch(client)
    answer = await play(client, page, raw=b'{"amount": 1, "pad": "' + b"x" * 1_100_000 + b'"}', status=413)
    assert answer["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_wrong_methods_are_the_envelope(client):
    page = await launch(client)
    for method, path in (("GET", page + "/round"), ("POST", page), ("DELETE", page + "/state")):
        status, _, text = await fetch(client, method, path)
        assert status == 405 and json.loads(text)["error"]["code"] == "METHOD_NOT_ALLOWED"


# ---- static files, i18n, stake bounds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/static/game/game.js", 200),
        ("/static/game/favicon.svg", 200),
        ("/static/game/nope.js", 404),
        ("/static/game/..%2F..%2Fgame.py", 404),
        ("/static/game/%2e%2e/templates/game.html", 404),
        ("/static/sdk/netspace-sdk.js", 404),
    ],
)
async def test_static_files_are_a_fixed_list(client, path, status):
    got, headers, _ = await fetch(client, "GET", path)
    assert got == status
    if status == 200:
        assert headers["Content-Type"].split(";")[0] in ("application/javascript", "image/svg+xml")


def test_every_language_has_every_string_translated():
    english = i18n.STRINGS["en"]
    assert list(i18n.STRINGS) == i18n.LANGUAGES == [lang["code"] for lang in fixture("languages")]
    for language, strings in i18n.STRINGS.items():
        assert strings.keys() == english.keys(), language
        for key, value in strings.items():
            assert value.strip(), (language, key)
            assert set(re.findall(r"{\w+}", value)) == set(re.findall(r"{\w+}", english[key])), (
                language,
                key,
            )
        if language != "en":
            same = [k for k in english if strings[k] == english[k]]
            assert len(same) <= 2, (language, same)  # only words like "Jackpot" may stay as they are


def test_language_negotiation_and_direction():
    assert i18n.negotiate(None) == i18n.negotiate("") == i18n.negotiate("xx-YY") == "en"
    assert i18n.negotiate("de;q=0.2, ja;q=0.9, fr") == "fr"
    assert i18n.negotiate("de;q=0.2, ja;q=0.9") == "ja"
    assert i18n.negotiate("ko;q=bad, cs;q=0, pl") == "pl"
    assert (i18n.direction("ar"), i18n.direction("he"), i18n.html_lang("zh")) == ("rtl", "ltr", "zh-Hans")
    assert i18n.text("en", "won", amount="{count} <b>") == "You won {count} <b>"


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", ("0.10", "500.00", "0.01", "1.00")),
        ("JPY", ("1", "500", "1", "1")),
        ("BTC", ("0.10000000", "500.00000000", "1E-8", "1.00000000")),
    ],
)
def test_stake_bounds_are_exact_in_the_currency(currency, expected):
    game = {"min_bet": 0.1, "max_bet": 500.0}
    bounds = stake_bounds(game, currency)
    assert tuple(str(bounds[k]) for k in ("min", "max", "step", "default")) == expected
