"""Currencies, the games catalog with its filters and pagination, one game, categories, featured."""

from __future__ import annotations

import math
from datetime import date
from urllib.parse import urlencode

import pytest
from yarl import URL

from netspace_mock.paths import fixture

# The guide's "Supported Currencies", in its order.
GUIDE_FIAT = [
    "USD",
    "EUR",
    "GBP",
    "BRL",
    "ARS",
    "MXN",
    "CLP",
    "COP",
    "PEN",
    "CAD",
    "AUD",
    "JPY",
    "CNY",
    "INR",
    "KRW",
    "TRY",
    "ZAR",
    "NGN",
]
GUIDE_CRYPTO = [
    "BTC",
    "ETH",
    "USDT",
    "USDC",
    "BNB",
    "XRP",
    "SOL",
    "ADA",
    "DOGE",
    "TRX",
    "TON",
    "MATIC",
    "LTC",
    "AVAX",
    "DOT",
]
GUIDE_LANGUAGES = ["en", "es", "pt", "fr", "de", "it", "ru", "tr", "zh", "ja", "ko", "ar", "hi", "pl", "cs"]
GAME_FIELDS = {
    "id", "name", "category", "description", "rtp", "volatility", "min_bet", "max_bet", "currencies",
    "languages", "featured", "has_jackpot", "thumbnail_url", "release_date",
}  # fmt: skip
GAMES = fixture("games")


async def catalog(client, **query) -> dict:
    path = "/api/games/catalog" + ("?" + urlencode(query) if query else "")
    return await client.ok("GET", path)


async def all_games(client) -> list[dict]:
    return (await catalog(client, per_page=100))["games"]


async def test_currencies_in_the_guides_order(client):
    answer = await client.ok("GET", "/api/game/currencies")
    currencies = answer["currencies"]
    assert len(currencies) == 33
    assert [c["code"] for c in currencies] == GUIDE_FIAT + GUIDE_CRYPTO
    assert currencies[0]["code"] == "USD"
    assert [c["type"] for c in currencies] == ["fiat"] * 18 + ["crypto"] * 15
    for c in currencies:
        expected = 8 if c["type"] == "crypto" else 0 if c["code"] in ("JPY", "KRW", "CLP") else 2
        assert c["decimals"] == expected, c


async def test_catalog_defaults_and_size(client):
    answer = await catalog(client)
    total = answer["pagination"]["total"]
    assert total == len(GAMES) >= 30
    assert answer["pagination"] == {
        "page": 1,
        "per_page": 20,
        "total": total,
        "total_pages": math.ceil(total / 20),
    }
    assert [g["id"] for g in answer["games"]] == [g["id"] for g in GAMES[:20]]


@pytest.mark.parametrize("per_page", [1, 7, 20, 100])
async def test_pages_cover_the_catalog_exactly_once(client, per_page):
    first = await catalog(client, per_page=per_page)
    total_pages = first["pagination"]["total_pages"]
    assert total_pages == math.ceil(len(GAMES) / per_page)
    seen = []
    for page in range(1, total_pages + 1):
        answer = await catalog(client, per_page=per_page, page=page)
        assert answer["pagination"]["page"] == page
        assert len(answer["games"]) == (
            per_page if page < total_pages else len(GAMES) - per_page * (page - 1)
        )
        seen += [g["id"] for g in answer["games"]]
    assert seen == [g["id"] for g in GAMES]


@pytest.mark.parametrize("page", [3, 99, 1_000_000])
async def test_page_past_the_end_is_empty(client, page):
    answer = await catalog(client, page=page)
    assert answer["games"] == []
    assert answer["pagination"] == {"page": page, "per_page": 20, "total": len(GAMES), "total_pages": 2}


async def test_every_game_has_the_protocols_fields(client):
    games = await all_games(client)
    base = str(client.client.make_url("")).rstrip("/")
    assert len({g["id"] for g in games}) == len(games)
    for game in games:
        assert set(game) >= GAME_FIELDS, GAME_FIELDS - set(game)
        assert game["category"] in {c["id"] for c in fixture("categories")}
        assert 50 <= game["rtp"] <= 100
        assert game["volatility"] in ("low", "medium", "high")
        assert 0 < game["min_bet"] < game["max_bet"]
        assert game["currencies"] and set(game["currencies"]) <= set(GUIDE_FIAT + GUIDE_CRYPTO)
        assert game["languages"] and set(game["languages"]) <= set(GUIDE_LANGUAGES)
        assert isinstance(game["featured"], bool) and isinstance(game["has_jackpot"], bool)
        assert game["name"] and game["description"]
        assert game["thumbnail_url"] == f"{base}/assets/thumbnails/{game['id']}.svg"
        date.fromisoformat(game["release_date"])


async def test_thumbnail_url_serves_an_svg(client):
    game = (await client.ok("GET", "/api/games/tiger-spins"))["game"]
    async with client.client.get(URL(game["thumbnail_url"]).path) as r:  # unsigned, like an <img>
        assert r.status == 200
        assert r.content_type == "image/svg+xml"
        assert "Tiger Spins" in await r.text()


@pytest.mark.parametrize("category", [c["id"] for c in fixture("categories")])
async def test_filter_by_category(client, category):
    answer = await catalog(client, category=category, per_page=100)
    expected = [g["id"] for g in GAMES if g["category"] == category]
    assert expected, f"the fixtures have no {category} game"
    assert [g["id"] for g in answer["games"]] == expected
    assert answer["pagination"]["total"] == len(expected)


@pytest.mark.parametrize("needle", ["tiger", "TIGER", "TiGeR", "tIgEr"])
async def test_search_is_case_insensitive(client, needle):
    answer = await catalog(client, search=needle)
    assert [g["id"] for g in answer["games"]] == ["tiger-spins", "tiger-fortune"]


async def test_search_matches_part_of_the_name(client):
    answer = await catalog(client, search="Hi-L", per_page=100)
    assert [g["name"] for g in answer["games"]] == ["Viking Hi-Lo"]


async def test_search_without_match(client):
    answer = await catalog(client, search="no such game")
    assert answer["games"] == []
    assert answer["pagination"] == {"page": 1, "per_page": 20, "total": 0, "total_pages": 0}


async def test_filter_by_currency(client):
    answer = await catalog(client, currency="BTC", per_page=100)
    expected = [g["id"] for g in GAMES if "BTC" in g["currencies"]]
    assert 0 < len(expected) < len(GAMES)
    assert [g["id"] for g in answer["games"]] == expected


async def test_filter_by_language(client):
    answer = await catalog(client, language="cs", per_page=100)
    expected = [g["id"] for g in GAMES if "cs" in g["languages"]]
    assert 0 < len(expected) < len(GAMES)
    assert [g["id"] for g in answer["games"]] == expected


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False), ("1", True), ("0", False)])
async def test_filter_by_featured(client, text, value):
    answer = await catalog(client, featured=text, per_page=100)
    expected = [g["id"] for g in GAMES if g["featured"] is value]
    assert expected
    assert [g["id"] for g in answer["games"]] == expected


async def test_filters_combine(client):
    answer = await catalog(client, category="lottery", currency="BTC", language="en", per_page=100)
    expected = [
        g["id"]
        for g in GAMES
        if g["category"] == "lottery" and "BTC" in g["currencies"] and "en" in g["languages"]
    ]
    assert [g["id"] for g in answer["games"]] == expected
    assert "lotterix" in expected and "jungle-draw" not in expected


async def test_unknown_query_parameters_are_ignored(client):
    answer = await catalog(client, sort="name", limit="5")
    assert answer["pagination"]["total"] == len(GAMES)


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        ("page=0", "$.page", "must be at least 1"),
        ("page=-1", "$.page", "must be at least 1"),
        ("page=abc", "$.page", "must be an integer, got a string"),
        ("page=1.5", "$.page", "must be an integer, got a string"),
        ("page=", "$.page", "must be an integer, got a string"),
        ("page=1000001", "$.page", "must be at most 1000000"),
        ("per_page=0", "$.per_page", "must be at least 1"),
        ("per_page=101", "$.per_page", "must be at most 100"),
        ("featured=maybe", "$.featured", "must be true or false, got a string"),
        ("currency=XXX", "$.currency", None),
        ("currency=usd", "$.currency", None),
        ("language=xx", "$.language", None),
        ("category=nope", "$.category", None),
        ("search=", "$.search", "must not be empty"),
        ("page=1&page=2", "$.page", "is given more than once in the query string"),
        ("category=lottery&category=slots", "$.category", "is given more than once in the query string"),
    ],
)
async def test_bad_query_parameter(client, query, path, message):
    err = await client.error("GET", f"/api/games/catalog?{query}", status=400, code="INVALID_REQUEST")
    errors = err["details"]["errors"]
    assert [e["path"] for e in errors] == [path]
    if message is not None:
        assert errors[0]["message"] == message
    else:
        assert errors[0]["message"].startswith(("must be one of", "unknown category; one of: lottery, slots"))


async def test_game_detail(client):
    game = (await client.ok("GET", "/api/games/lotterix"))["game"]
    assert game["id"] == "lotterix" and game["category"] == "lottery"
    assert game["has_jackpot"] is True
    listed = {g["id"]: g for g in await all_games(client)}
    assert game.pop("jackpot") == {}  # the detail adds the operator's jackpot per currency
    assert game == listed["lotterix"]
    assert [g["id"] for g in listed.values() if g["has_jackpot"]] == ["lotterix"]


async def test_every_game_detail_equals_its_catalog_entry(client):
    for game in await all_games(client):
        detail = (await client.ok("GET", f"/api/games/{game['id']}"))["game"]
        detail.pop("jackpot", None)  # lotterix's detail adds the operator's jackpot
        assert detail == game


@pytest.mark.parametrize("game_id", ["nope", "LOTTERIX", "lotterix%20", "%F0%9F%8E%B0"])
async def test_unknown_game_is_not_found(client, game_id):
    err = await client.error("GET", f"/api/games/{game_id}", status=404, code="NOT_FOUND")
    assert "does not exist" in err["message"]


async def test_categories(client):
    categories = (await client.ok("GET", "/api/games/categories"))["categories"]
    assert len(categories) >= 6
    assert len({c["id"] for c in categories}) == len(categories)
    for c in categories:
        assert c["name"]
        answer = await catalog(client, category=c["id"])
        assert c["game_count"] == answer["pagination"]["total"] > 0
    assert sum(c["game_count"] for c in categories) == len(GAMES)


async def test_featured(client):
    featured = (await client.ok("GET", "/api/games/featured"))["games"]
    assert featured and all(g["featured"] for g in featured)
    assert "lotterix" in [g["id"] for g in featured]
    assert featured == (await catalog(client, featured="true", per_page=100))["games"]


async def test_a_repeated_query_gets_the_same_answer_and_a_bad_one_is_refused_every_time(client):
    # Static routes keep their answers by query string: a repeat is the first answer, another query
    # string its own, and a refused query string is never kept.
    first = await catalog(client, category="lottery", per_page=2)
    assert await catalog(client, category="lottery", per_page=2) == first
    other = await catalog(client, category="slots", per_page=2)
    assert other != first and {g["category"] for g in other["games"]} == {"slots"}
    for _ in range(2):
        await client.error("GET", "/api/games/catalog?page=0", status=400, code="INVALID_REQUEST")
    # Every operator gets the same catalog; each request is still authenticated.
    await client.error(
        "GET", "/api/games/catalog?category=lottery&per_page=2", status=401, code="UNAUTHORIZED",
        headers={"X-Signature": "0" * 64},
    )  # fmt: skip


async def test_two_apps_in_one_process_keep_their_own_catalog_answers(make_client, tmp_path):
    """The static answers are cached per app: another app's base_url is in its own thumbnails."""
    first = await make_client(db=str(tmp_path / "a.db"), public_url="http://first.example")
    second = await make_client(db=str(tmp_path / "b.db"), public_url="http://second.example")
    for signed, host in ((first, "first"), (second, "second"), (first, "first")):
        page = await signed.ok("GET", "/api/games/catalog?per_page=3")
        assert {game["thumbnail_url"].split("/")[2] for game in page["games"]} == {f"{host}.example"}
