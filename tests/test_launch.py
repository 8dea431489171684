"""Launching sessions: real, sandbox and demo; relaunch rules, expiry, validation, concurrency."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest
from yarl import URL

from netspace_mock.domain import launch_tokens
from netspace_mock.paths import fixture
from netspace_mock.sources import parse_iso
from netspace_mock.store import sessions
from support import count_rows, launch_body, statements

LAUNCHES = {"/api/game/launch": "real", "/api/sandbox/game/launch": "sandbox"}
GAMES = fixture("games")
ALL_CURRENCIES = [c["code"] for c in fixture("currencies")]
ALL_LANGUAGES = [lang["code"] if isinstance(lang, dict) else lang for lang in fixture("languages")]
TOKEN_URL = re.compile(
    rf"^(?P<base>http://127\.0\.0\.1:\d+)/play/(?P<token>[0-9a-f]{{{launch_tokens.LENGTH}}})$"
)


def narrow_game(field: str, universe: list[str]) -> tuple[str, str]:
    """A game of the fixtures lacking one value of `field`, and that value."""
    for game in GAMES:
        lacking = [v for v in universe if v not in game[field]]
        if lacking:
            return game["id"], lacking[-1]
    raise AssertionError(f"every fixture game supports every {field}")


async def stored(platform, session_id: str):
    return await sessions.get(platform.db, platform.operators.default.id, session_id)


@pytest.mark.parametrize("path", LAUNCHES)
async def test_launch_success(client, platform, settings, clock, path):
    before = clock.now()
    answer = await client.ok("POST", path, launch_body())
    assert set(answer) == {"success", "game_url", "session_id", "expires_at"}
    assert answer["session_id"] == "sess-1"
    found = TOKEN_URL.match(answer["game_url"])
    assert found and found["base"] == settings.base_url == f"http://127.0.0.1:{client.client.port}"
    expires = parse_iso(answer["expires_at"])
    assert before + 86_400 - 1 <= expires <= clock.now() + 86_400
    session = await stored(platform, "sess-1")
    assert session.kind == LAUNCHES[path]
    assert (session.player_id, session.game_id, session.currency) == ("player-1", "lotterix", "USD")
    assert session.language == "en"  # the default
    assert session.return_url is None and session.client_ip is None
    assert await count_rows(platform.db, "players", "player_id = ?", ("player-1",)) == 1


async def test_launch_keeps_optional_fields(client, platform):
    body = launch_body(language="pt", return_url="https://casino.example/lobby?x=1", client_ip="2001:db8::1")
    await client.ok("POST", "/api/game/launch", body)
    session = await stored(platform, "sess-1")
    assert (session.language, session.return_url, session.client_ip) == (
        "pt",
        "https://casino.example/lobby?x=1",
        "2001:db8::1",
    )


async def page_status(client, game_url: str) -> int:
    async with client.client.get(URL(game_url).path) as resp:  # unsigned, like a browser
        return resp.status


async def test_game_url_opens_the_game_page(client):
    answer = await client.ok("POST", "/api/game/launch", launch_body())
    async with client.client.get(URL(answer["game_url"]).path) as resp:  # unsigned, like a browser
        assert resp.status == 200 and resp.content_type == "text/html"
        page = await resp.text()
    assert '<h1 id="game-name">Lotterix</h1>' in page


async def test_relaunch_gives_a_fresh_url_for_the_same_session(client, platform):
    first = await client.ok("POST", "/api/game/launch", launch_body())
    again = await client.ok(
        "POST", "/api/game/launch", launch_body(game_id="tiger-spins", language="de", client_ip="10.0.0.1")
    )
    assert again["session_id"] == first["session_id"] == "sess-1"
    assert again["game_url"] != first["game_url"]
    assert again["expires_at"] == first["expires_at"]  # a relaunch does not extend the session
    assert await count_rows(platform.db, "sessions") == 1
    # Both links open the session: a relaunch does not close the player's earlier window.
    assert [await page_status(client, a["game_url"]) for a in (first, again)] == [200, 200]
    session = await stored(platform, "sess-1")
    assert (session.game_id, session.language, session.client_ip) == ("tiger-spins", "de", "10.0.0.1")


async def test_a_relaunch_writes_only_what_changes(client, platform, clock):
    """The player's last visit always, as one statement of its own, and no token (it is not stored);
    the session row only when a field is new; the player's currency only when the session is created.
    Counted with SQLite's own statement trace."""
    full = launch_body(return_url="https://casino.example/lobby", client_ip="192.0.2.7")
    await client.ok("POST", "/api/game/launch", full)
    clock.advance(60)
    async with statements(platform.db) as seen:
        await client.ok("POST", "/api/game/launch", launch_body())  # the same session, nothing new
    writes = [w.split()[0] + " " + w.split()[2] for w in seen if w.startswith(("INSERT", "UPDATE"))]
    assert writes == ["INSERT players(operator_id,"]
    assert len(seen) == 1  # the last visit alone: the session is in the platform's cache, no BEGIN, no COMMIT
    async with statements(platform.db) as seen:
        await client.ok("POST", "/api/game/launch", launch_body(language="de"))
    assert sum(w.startswith("UPDATE sessions") for w in seen) == 1
    session = await stored(platform, "sess-1")
    # Optional fields left out of a relaunch keep their stored values.
    assert (session.language, session.return_url, session.client_ip) == (
        "de",
        "https://casino.example/lobby",
        "192.0.2.7",
    )
    player = await platform.db.fetchone("SELECT first_seen_at, last_seen_at FROM players")
    assert player[0] < player[1]  # the last visit moved with the relaunch
    assert await count_rows(platform.db, "player_currencies") == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"player_id": "player-2"}, "belongs to another player_id"),
        ({"currency": "EUR"}, "was launched in USD; a session_id cannot change currency"),
    ],
)
async def test_relaunch_with_another_player_or_currency_is_invalid_session(client, platform, change, words):
    await client.ok("POST", "/api/game/launch", launch_body())
    err = await client.error(
        "POST", "/api/game/launch", launch_body(**change), status=404, code="INVALID_SESSION"
    )
    assert words in err["message"]
    # Nothing written: no new player, the session unchanged.
    assert await count_rows(platform.db, "players") == 1
    session = await stored(platform, "sess-1")
    assert (session.player_id, session.currency) == ("player-1", "USD")


async def test_real_session_cannot_be_relaunched_in_the_sandbox(client):
    await client.ok("POST", "/api/game/launch", launch_body())
    err = await client.error(
        "POST", "/api/sandbox/game/launch", launch_body(), status=404, code="INVALID_SESSION"
    )
    assert "real session" in err["message"]


async def test_expired_session_cannot_be_relaunched(client, clock):
    answer = await client.ok("POST", "/api/game/launch", launch_body())
    clock.advance(86_400 + 1)
    err = await client.error("POST", "/api/game/launch", launch_body(), status=404, code="INVALID_SESSION")
    assert err["message"] == (
        f"session 'sess-1' expired at {answer['expires_at']}; launch with a new session_id"
    )
    assert (await client.ok("POST", "/api/game/launch", launch_body(session_id="sess-2")))["session_id"]


async def test_session_ttl_setting_is_honoured(make_client, clock):
    short = await make_client(session_ttl=60)
    answer = await short.ok("POST", "/api/game/launch", launch_body())
    assert parse_iso(answer["expires_at"]) <= clock.now() + 60
    clock.advance(55)
    await short.ok("POST", "/api/game/launch", launch_body())
    clock.advance(10)
    await short.error("POST", "/api/game/launch", launch_body(), status=404, code="INVALID_SESSION")


@pytest.mark.parametrize("path", [*LAUNCHES, "/api/game/launch-demo"])
async def test_unknown_game_is_not_found(client, platform, path):
    err = await client.error("POST", path, launch_body(game_id="no-such-game"), status=404, code="NOT_FOUND")
    assert "'no-such-game' does not exist" in err["message"]
    assert err["details"]["errors"] == [{"path": "$.game_id", "message": "unknown game"}]
    assert await count_rows(platform.db, "sessions") == 0


@pytest.mark.parametrize("path", [*LAUNCHES, "/api/game/launch-demo"])
async def test_game_not_supporting_the_currency(client, platform, path):
    game_id, currency = narrow_game("currencies", ALL_CURRENCIES)
    body = launch_body(game_id=game_id, currency=currency)
    err = await client.error("POST", path, body, status=400, code="INVALID_REQUEST")
    assert [e["path"] for e in err["details"]["errors"]] == ["$.currency"]
    assert f"does not support {currency}" in err["message"]
    assert await count_rows(platform.db, "sessions") == 0


@pytest.mark.parametrize("path", [*LAUNCHES, "/api/game/launch-demo"])
async def test_game_not_supporting_the_language(client, platform, path):
    game_id, language = narrow_game("languages", ALL_LANGUAGES)
    body = launch_body(game_id=game_id, language=language)
    err = await client.error("POST", path, body, status=400, code="INVALID_REQUEST")
    assert [e["path"] for e in err["details"]["errors"]] == ["$.language"]
    assert f"not available in {language!r}" in err["message"]
    assert await count_rows(platform.db, "sessions") == 0


@pytest.mark.parametrize("client_ip", ["999.1.1.1", "not-an-ip", "1.2.3", "::g", "1.2.3.4/24", "x" * 46])
async def test_bad_client_ip(client, platform, client_ip):
    body = launch_body(client_ip=client_ip)
    err = await client.error("POST", "/api/game/launch", body, status=400, code="INVALID_REQUEST")
    assert {e["path"] for e in err["details"]["errors"]} == {"$.client_ip"}
    assert await count_rows(platform.db, "sessions") == 0


@pytest.mark.parametrize("client_ip", ["192.168.1.1", "::1", "2001:db8::8a2e:370:7334"])
async def test_good_client_ip(client, client_ip):
    await client.ok("POST", "/api/game/launch", launch_body(client_ip=client_ip))


@pytest.mark.parametrize(
    "return_url",
    [
        "ftp://casino.example/",
        "javascript:alert(1)",
        "/lobby",
        "https://casino .example/",
        "",
        "https://" + "a" * 2041,
    ],
)
@pytest.mark.parametrize("path", [*LAUNCHES, "/api/game/launch-demo"])
async def test_bad_return_url(client, path, return_url):
    err = await client.error(
        "POST", path, launch_body(return_url=return_url), status=400, code="INVALID_REQUEST"
    )
    assert {e["path"] for e in err["details"]["errors"]} == {"$.return_url"}


async def test_longest_return_url_is_accepted(client):
    url = "https://" + "a" * 2040
    assert len(url) == 2048
    await client.ok("POST", "/api/game/launch", launch_body(return_url=url))


@pytest.mark.parametrize("path", LAUNCHES)
async def test_missing_required_fields_are_each_listed(client, path):
    err = await client.error("POST", path, {}, status=400, code="INVALID_REQUEST")
    assert err["details"]["errors"] == [
        {"path": f"$.{name}", "message": "is required"}
        for name in ("session_id", "player_id", "game_id", "currency")
    ]


@pytest.mark.parametrize("missing", ["session_id", "player_id", "game_id", "currency"])
async def test_each_required_field(client, missing):
    body = launch_body()
    del body[missing]
    err = await client.error("POST", "/api/game/launch", body, status=400, code="INVALID_REQUEST")
    assert err["details"]["errors"] == [{"path": f"$.{missing}", "message": "is required"}]
    assert err["message"] == f"the request does not match its schema: $.{missing} is required"


async def test_demo_launch(client, platform, settings):
    answer = await client.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix"})
    assert answer["demo"] is True
    assert answer["balance"] == 1000
    assert answer["currency"] == "USD"
    assert answer["session_id"].startswith("demo_")
    assert TOKEN_URL.match(answer["game_url"])["base"] == settings.base_url
    session = await stored(platform, answer["session_id"])
    assert (session.kind, session.demo_balance, session.currency, session.language) == (
        "demo",
        Decimal("1000.0"),
        "USD",
        "en",
    )
    assert await count_rows(platform.db, "players") == 0  # demo players are nobody's


async def test_demo_launch_with_currency_and_language(client, platform):
    body = {"game_id": "tiger-spins", "currency": "BTC", "language": "ja", "return_url": "https://c.example/"}
    answer = await client.ok("POST", "/api/game/launch-demo", body)
    assert (answer["currency"], answer["balance"]) == ("BTC", 1000)
    session = await stored(platform, answer["session_id"])
    assert (session.currency, session.language, session.return_url) == ("BTC", "ja", "https://c.example/")


async def test_each_demo_launch_is_a_new_session(client, platform):
    ids = {
        (await client.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix"}))["session_id"]
        for _ in range(3)
    }
    assert len(ids) == 3
    assert await count_rows(platform.db, "sessions", "kind = 'demo'") == 3


async def test_demo_balance_setting(make_client):
    demo = await make_client(demo_balance=250.5)
    answer = await demo.ok("POST", "/api/game/launch-demo", {"game_id": "lotterix"})
    assert answer["balance"] == 250.5


async def test_demo_launch_requires_game_id(client):
    err = await client.error(
        "POST", "/api/game/launch-demo", {"currency": "USD"}, status=400, code="INVALID_REQUEST"
    )
    assert err["details"]["errors"] == [{"path": "$.game_id", "message": "is required"}]


async def test_concurrent_launches_of_one_new_session(client, platform):
    answers = await asyncio.gather(*(client.post("/api/game/launch", launch_body()) for _ in range(20)))
    assert [status for status, _ in answers] == [200] * 20
    assert {a["session_id"] for _, a in answers} == {"sess-1"}
    assert len({a["game_url"] for _, a in answers}) == 20
    assert len({a["expires_at"] for _, a in answers}) == 1
    assert await count_rows(platform.db, "sessions") == 1
    assert [await page_status(client, a["game_url"]) for _, a in answers] == [200] * 20
    assert await count_rows(platform.db, "players") == 1


async def test_concurrent_launches_by_two_players_leave_one_owner(client, platform):
    players = ["player-a", "player-b"] * 8
    answers = await asyncio.gather(
        *(client.post("/api/game/launch", launch_body(player_id=p)) for p in players)
    )
    owner = (await stored(platform, "sess-1")).player_id
    for player, (status, answer) in zip(players, answers, strict=True):
        if player == owner:
            assert status == 200, answer
            assert await page_status(client, answer["game_url"]) == 200
        else:
            assert (status, answer["error"]["code"]) == (404, "INVALID_SESSION")
    assert await count_rows(platform.db, "sessions") == 1
    assert await count_rows(platform.db, "players") == 1


async def test_sessions_belong_to_the_operator_that_launched_them(client, make_client, platform):
    other = await make_client(api_key="second-operator", secret_key="second-secret", seed=99)
    await client.ok("POST", "/api/game/launch", launch_body())
    # The same session_id for another operator is another session, whatever its player.
    await other.ok("POST", "/api/game/launch", launch_body(player_id="someone-else"))
    assert await count_rows(platform.db, "sessions", "session_id = 'sess-1'") == 2
