"""Hostile input: every bad request gets the error envelope with a useful message, never a 500,
and a rejected request writes nothing."""

from __future__ import annotations

import json

import pytest

from support import count_rows, launch_body

LAUNCH = "/api/game/launch"
FIELDS = ["session_id", "player_id", "game_id", "currency", "language", "return_url", "client_ip"]
IDS = ["session_id", "player_id", "game_id"]


async def invalid(client, raw: bytes | str, path: str = LAUNCH) -> dict:
    """POST a raw body that must be refused as INVALID_REQUEST; returns the error object."""
    return await client.error("POST", path, raw=raw, status=400, code="INVALID_REQUEST")


@pytest.fixture
async def nothing_written(client, platform):
    """Asserts, after the test, that no session or player was stored."""
    yield
    for table in ("sessions", "players"):
        assert await count_rows(platform.db, table) == 0, f"a rejected request wrote to {table}"


@pytest.mark.usefixtures("nothing_written")
class TestBodyIsRefused:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (b'{"session_id": "s"', "malformed JSON: Expecting ',' delimiter at line 1 column 19"),
            (b"{'session_id': 's'}", "malformed JSON: Expecting property name enclosed in double quotes"),
            (b'{"a": 1,}', "malformed JSON: "),
            (b'{"a": 1} {"b": 2}', "malformed JSON: Extra data at line 1 column 10"),
            (b"", "the body is empty; send a JSON object"),
            (b"  \r\n\t ", "the body is empty; send a JSON object"),
            (b'{"a": NaN}', "NaN is not valid JSON; send a finite number"),
            (b'{"a": Infinity}', "Infinity is not valid JSON; send a finite number"),
            (b'{"a": -Infinity}', "-Infinity is not valid JSON; send a finite number"),
            (b'{"a": 1, "a": 2}', "the key 'a' appears twice in one object"),
            (b'{"session_id": "\xff\xfe"}', "the body is not valid UTF-8 (byte 16)"),
            (b"\xef\xbb\xbf{}", "malformed JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"),
        ],
    )
    async def test_not_strict_json(self, client, raw, message):
        err = await invalid(client, raw)
        assert err["details"]["errors"][0]["path"] == "$"
        assert err["details"]["errors"][0]["message"].startswith(message)

    @pytest.mark.parametrize(
        ("raw", "kind"),
        [
            (b"[]", "an array"),
            (b'"launch"', "a string"),
            (b"42", "a number"),
            (b"null", "null"),
            (b"true", "true or false"),
        ],
    )
    async def test_body_that_is_not_an_object(self, client, raw, kind):
        err = await invalid(client, raw)
        assert err["details"]["errors"] == [{"path": "$", "message": f"must be an object, got {kind}"}]

    async def test_nesting_deeper_than_32(self, client):
        deep = {"extra": json.loads("[" * 32 + "]" * 32)}  # 33 levels with the body itself
        err = await invalid(client, json.dumps({**launch_body(), **deep}))
        assert err["message"] == "$: JSON nests deeper than 32 levels"

    async def test_absurd_nesting(self, client):
        err = await invalid(client, "[" * 200_000 + "]" * 200_000)
        assert err["message"] == "$: JSON nests deeper than 32 levels"

    @pytest.mark.parametrize("field", FIELDS)
    async def test_wrong_types(self, client, field):
        for value in (123, 1.5, True, None, [], {}, ["USD"]):
            err = await client.error(
                "POST", LAUNCH, launch_body(**{field: value}), status=400, code="INVALID_REQUEST"
            )
            messages = {e["message"] for e in err["details"]["errors"] if e["path"] == f"$.{field}"}
            assert messages, err
            assert {e["path"] for e in err["details"]["errors"]} == {f"$.{field}"}
            if field not in ("currency", "language"):  # enums say which values, not which type
                assert any(m.startswith("must be a string, got") for m in messages), messages

    @pytest.mark.parametrize("field", IDS + ["currency", "return_url", "client_ip"])
    async def test_empty_strings(self, client, field):
        err = await client.error(
            "POST", LAUNCH, launch_body(**{field: ""}), status=400, code="INVALID_REQUEST"
        )
        assert {e["path"] for e in err["details"]["errors"]} == {f"$.{field}"}

    @pytest.mark.parametrize("field", IDS)
    async def test_129_character_ids(self, client, field):
        err = await client.error(
            "POST", LAUNCH, launch_body(**{field: "x" * 129}), status=400, code="INVALID_REQUEST"
        )
        assert err["details"]["errors"] == [
            {"path": f"$.{field}", "message": "must be at most 128 characters (got 129)"}
        ]

    @pytest.mark.parametrize("field", IDS)
    @pytest.mark.parametrize("bad", ["\u0000", "a\nb", "tab\there", "\x7f", "\u0085", "end\r"])
    async def test_ids_with_control_characters(self, client, field, bad):
        err = await client.error(
            "POST", LAUNCH, launch_body(**{field: bad}), status=400, code="INVALID_REQUEST"
        )
        assert err["details"]["errors"] == [
            {"path": f"$.{field}", "message": "must be 1-128 characters with no control characters"}
        ]

    async def test_huge_strings_are_not_echoed(self, client):
        huge = "x" * 500_000
        for field in FIELDS:
            status, answer = await client.post(LAUNCH, launch_body(**{field: huge}))
            assert status == 400 and answer["error"]["code"] == "INVALID_REQUEST"
            assert len(json.dumps(answer)) < 1000, f"the answer for a huge {field} echoes it"

    async def test_every_problem_is_listed(self, client):
        err = await client.error(
            "POST", LAUNCH, launch_body(**{f: 1 for f in FIELDS}), status=400, code="INVALID_REQUEST"
        )
        assert {e["path"] for e in err["details"]["errors"]} == {f"$.{f}" for f in FIELDS}
        assert err["message"].endswith("more)")

    @pytest.mark.parametrize("signed", [True, False])
    @pytest.mark.parametrize("size", [1024 * 1024 + 1, 4 * 1024 * 1024])
    async def test_body_over_one_mib(self, client, signed, size):
        raw = b'{"session_id":"' + b"x" * size + b'"}'
        headers = client.headers("POST", LAUNCH, raw) if signed else {}
        err = await client.error(
            "POST", LAUNCH, raw=raw, headers=headers, status=413, code="PAYLOAD_TOO_LARGE"
        )
        assert err["details"] == {"limit_bytes": 1_048_576}

    async def test_rejected_launches_of_every_kind(self, client):
        """The business checks after the schema write nothing either."""
        for body, status in [
            (launch_body(game_id="nope"), 404),
            (launch_body(client_ip="300.0.0.1"), 400),
            (launch_body(game_id="jungle-draw", currency="BTC"), 400),
            (launch_body(game_id="jungle-draw", language="cs"), 400),
        ]:
            assert (await client.post(LAUNCH, body))[0] == status


async def test_nesting_of_32_is_parsed(client):
    ok_depth = {"extra": json.loads("[" * 31 + "]" * 31)}  # 32 levels: allowed, and an unknown field
    await client.ok("POST", LAUNCH, {**launch_body(), **ok_depth})


async def test_body_of_exactly_the_limit_is_read(client):
    raw = json.dumps(launch_body()).encode()
    raw = raw[:-1] + b"," + b'"pad":"' + b"x" * (1024 * 1024 - len(raw) - 9) + b'"}'
    assert len(raw) == 1024 * 1024
    status, _ = await client.post(LAUNCH, raw=raw)
    assert status == 200


async def test_max_body_bytes_setting(make_client):
    small = await make_client(max_body_bytes=1000)
    raw = json.dumps(launch_body(pad="x" * 1000))
    err = await small.error("POST", LAUNCH, raw=raw, status=413, code="PAYLOAD_TOO_LARGE")
    assert err["details"] == {"limit_bytes": 1000}
    await small.ok("POST", LAUNCH, launch_body())


@pytest.mark.parametrize(
    "session_id", ["🎰-session", "玩家的会话", "ñandú-ção", "🎰" * 128, "a b", "日本語/セッション?#&"]
)
async def test_unicode_ids_are_allowed(client, platform, session_id):
    player_id = "プレイヤー🙂"
    body = launch_body(session_id=session_id, player_id=player_id)
    # Sent as raw UTF-8, not \u-escaped: the signature covers the exact bytes.
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    status, answer = await client.post(LAUNCH, raw=raw)
    assert status == 200 and answer["session_id"] == session_id
    await client.ok("POST", LAUNCH, body)  # the same ids \u-escaped are the same session
    row = await platform.db.fetchone("SELECT session_id, player_id FROM sessions")
    assert tuple(row) == (session_id, player_id)
    assert await count_rows(platform.db, "sessions") == 1


async def test_unknown_fields_are_ignored(client, platform):
    body = {**launch_body(), "foo": 1, "nested": {"deep": [1, 2, {"x": None}]}, "amount": "lots"}
    await client.ok("POST", LAUNCH, body)
    assert await count_rows(platform.db, "sessions") == 1


async def test_unknown_route(client):
    for method, path in [("GET", "/api/nope"), ("POST", "/api/game/launch/extra"), ("GET", "/api/v2/games")]:
        err = await client.error(method, path, status=404, code="NOT_FOUND")
        assert err["message"].startswith(f"no route {method} {path}")
    async with client.client.get("/definitely/not/here") as resp:
        assert resp.status == 404
        body = await resp.json()
    assert body["error"]["code"] == "NOT_FOUND" and body["success"] is False


async def test_unknown_route_with_a_huge_path_is_not_echoed(client):
    path = "/api/" + "x" * 5000
    err = await client.error("GET", path, status=404, code="NOT_FOUND")
    assert len(err["message"]) < 400


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/game/launch", ["POST"]),
        ("PUT", "/api/game/launch-demo", ["POST"]),
        ("DELETE", "/api/game/currencies", ["GET"]),
        ("POST", "/api/games/catalog", ["GET"]),
        ("PATCH", "/api/games/lotterix", ["GET"]),
    ],
)
async def test_wrong_method(client, method, path, allowed):
    err = await client.error(method, path, status=405, code="METHOD_NOT_ALLOWED")
    assert err["message"].startswith(f"{method} is not allowed on {path}; use ")
    assert err["details"]["allowed_methods"] == allowed


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("HEAD", "/sdk/netspace-sdk.js/extra", None),  # no route at all: 404 (HEAD has no body)
        ("POST", "/health", ["GET", "HEAD"]),
        ("DELETE", "/play/some-token", ["GET", "HEAD"]),
        ("PUT", "/openapi.json", ["GET", "HEAD"]),
    ],
)
async def test_every_path_outside_the_routes_gets_the_envelope_naming_its_methods(
    client, method, path, allowed
):
    async with client.client.request(method, path) as resp:
        assert resp.status == (404 if allowed is None else 405)
        assert resp.content_type == "application/json"
        body = await resp.read()
    if method != "HEAD":
        error = json.loads(body)["error"]
        assert error["code"] == "METHOD_NOT_ALLOWED"
        assert error["details"]["allowed_methods"] == allowed
        assert error["message"] == f"{method} is not allowed on {path}; use {', '.join(allowed)}"


async def test_wrong_method_on_an_unsigned_route(client):
    async with client.client.post("/health") as resp:
        assert resp.status == 405
        assert (await resp.json())["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("query", ["page=%C2%B2", "page=--5", "per_page=%E2%91%A0", "page=%D9%A1", "page=+1"])
async def test_odd_digits_in_an_integer_query_parameter(client, query):
    """Only ASCII digits are an integer: str.isdigit() also accepts '²', '①' and '١'."""
    err = await client.error("GET", f"/api/games/catalog?{query}", status=400, code="INVALID_REQUEST")
    assert err["details"]["errors"][0]["path"] in ("$.page", "$.per_page")


async def test_query_parameter_that_is_huge(client):
    err = await client.error(
        "GET", "/api/games/catalog?page=" + "9" * 5000, status=400, code="INVALID_REQUEST"
    )
    assert len(json.dumps(err)) < 1000
