"""Integration warnings: a request accepted only because a setting is lenient carries an
X-Netspace-Mock-Warning line, is logged so and counted per operator (shown in the portal); a canonical
request carries none; --strict refuses each of them and names the setting to relax."""

from __future__ import annotations

import json
import logging

import pytest

from netspace_mock import settings as settings_mod
from netspace_mock.api.integration_warnings import HEADER
from netspace_mock.serving import PLATFORM
from netspace_mock.settings import Settings
from netspace_mock.store import integration_warnings as store
from support import KEY_B, SECRET_B, Signed, launch_body, operators_file

CURRENCIES = "/api/game/currencies"
CATALOG = "/api/games/catalog"
LAUNCH = "/api/game/launch"
COMPACT = {"separators": (",", ":"), "ensure_ascii": False}  # what JSON.stringify gives for these bodies


async def send(
    client: Signed, method: str, path: str, body: bytes | str = b"", *, signed_body=None, signed_path=None
):
    """One request signed in the strict form (over the path alone and the body as sent), or over
    `signed_body` / `signed_path` when given: (status, warning lines, answer)."""
    body = body.encode() if isinstance(body, str) else body
    signed_path = signed_path or path.partition("?")[0]
    headers = client.headers(method, signed_path, body if signed_body is None else signed_body)
    if body:
        headers["Content-Type"] = "application/json"
    async with client.client.request(method, path, data=body, headers=headers) as resp:
        return resp.status, resp.headers.getall(HEADER, []), await resp.json()


def launch_text(**over) -> str:
    return json.dumps(launch_body(**over), **COMPACT)


# ---- canonical requests carry no warning -----------------------------------------------------------


async def test_canonical_requests_carry_no_warning(client, platform):
    assert (await send(client, "GET", CURRENCIES))[:2] == (200, [])
    assert (await send(client, "GET", CATALOG + "?category=lottery&page=1"))[:2] == (200, [])
    status, warnings, answer = await send(client, "POST", LAUNCH, launch_text(player_id="jogador-ção"))
    assert (status, warnings) == (200, []), answer
    assert (await send(client, "POST", "/api/sandbox/reset"))[:2] == (200, [])  # a POST without a body
    assert await platform.integration_warnings.of_operator(platform.db, 1) == []


# ---- the empty body ------------------------------------------------------------------------------


@pytest.mark.parametrize("stand_in", ["undefined", "{}", "null", '""'])
async def test_a_stand_in_for_the_empty_body_is_accepted_with_a_warning_by_default(client, stand_in):
    status, warnings, _ = await send(client, "GET", CURRENCIES, signed_body=stand_in)
    assert status == 200 and len(warnings) == 1
    assert f"signed with BODY {stand_in!r}" in warnings[0] and "empty_body_signature=any" in warnings[0]
    assert "sign ''" in warnings[0]


@pytest.mark.parametrize(
    ("mode", "accepted"),
    [
        ("empty", set()),
        ("braces", {"{}"}),
        ("undefined", {"undefined"}),
        ("any", {"undefined", "{}", "null", '""'}),
    ],
)
async def test_each_empty_body_setting_accepts_its_forms_only(make_client, mode, accepted):
    client = await make_client(empty_body_signature=mode)
    assert (await send(client, "GET", CURRENCIES))[:2] == (200, [])  # the empty string, always, silently
    for stand_in in ("undefined", "{}", "null", '""'):
        status, warnings, answer = await send(client, "GET", CURRENCIES, signed_body=stand_in)
        if stand_in in accepted:
            assert status == 200 and len(warnings) == 1 and f"empty_body_signature={mode}" in warnings[0]
        else:
            assert (status, answer["error"]["code"]) == (401, "UNAUTHORIZED")
            assert f"computed with BODY {stand_in!r}" in answer["error"]["message"]
            assert "--empty-body-signature any" in answer["error"]["message"]


async def test_a_stand_in_is_no_signature_for_a_body_that_is_sent(client):
    status, _, answer = await send(client, "POST", LAUNCH, launch_text(), signed_body="undefined")
    assert (
        status == 401
        and "computed with BODY 'undefined', but the body sent is different" in answer["error"]["message"]
    )


# ---- the query string ----------------------------------------------------------------------------


async def test_a_signature_over_path_and_query_is_accepted_with_a_warning(client):
    path = CATALOG + "?category=lottery"
    assert (await send(client, "GET", path, signed_path=CATALOG))[:2] == (200, [])
    status, warnings, _ = await send(client, "GET", path, signed_path=path)
    assert status == 200 and warnings == [
        f"the signature covers the query string (PATH {path}); accepted because signature_path=either, but "
        f"the platform may sign the path alone: sign PATH {CATALOG}"
    ]


async def test_path_qs_chosen_on_purpose_warns_of_nothing(make_client):
    client = await make_client(signature_path="path_qs")
    path = CATALOG + "?page=2"
    assert (await send(client, "GET", path, signed_path=path))[:2] == (200, [])


# ---- the body's form -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "where"),
    [
        ('{"game_id": "lotterix"}', "byte 11: 'ame_id\": \"lotterix\"}' where JSON.stringify writes 'ame_id"),
        (
            '{"game_id":"lotterix","currency":"USD","x":50.0}',
            'byte 45: \'","x":50.0}\' where JSON.stringify writes \'","x":50}\'',
        ),
        ('{"game_id":"lotterix"}\n', "byte 22"),
        ('{"game_id":"lotterix","x":"\\u00e7"}', "JSON.stringify writes"),
    ],
)
async def test_a_body_that_is_not_json_stringify_s_is_accepted_with_a_warning(client, sent, where):
    status, warnings, answer = await send(client, "POST", "/api/game/launch-demo", sent)
    assert status == 200, answer
    assert len(warnings) == 1 and where in warnings[0] and "canonical_body=false" in warnings[0], warnings
    assert warnings[0].isascii() and "\n" not in warnings[0]


async def test_canonical_body_refuses_it_showing_the_canonical_form(make_client):
    client = await make_client(canonical_body=True)
    status, warnings, answer = await send(
        client, "POST", "/api/game/launch-demo", '{"game_id": "lotterix", "x": 50.0}'
    )
    assert (status, answer["error"]["code"], warnings) == (400, "INVALID_REQUEST", [])
    message = answer["error"]["message"]
    assert 'send exactly {"game_id":"lotterix","x":50}' in message and "--canonical-body false" in message
    assert answer["error"]["details"]["canonical_body"] == '{"game_id":"lotterix","x":50}'
    assert (await send(client, "POST", "/api/game/launch-demo", '{"game_id":"lotterix","x":50}'))[:2] == (
        200,
        [],
    )


# ---- unknown query parameters ----------------------------------------------------------------------


async def test_unknown_catalog_parameters_are_accepted_with_a_warning(client):
    for _ in range(2):  # the second answer comes from the catalog's cache: it warns all the same
        status, warnings, answer = await send(client, "GET", CATALOG + "?limit=5&offset=10&page=1")
        assert status == 200 and answer["pagination"]["per_page"] == 20  # ignored
        assert len(warnings) == 1 and warnings[0].startswith("unknown query parameters limit, offset ignored")
        assert (
            "this route reads category, currency, featured, language, page, per_page, search" in warnings[0]
        )
    status, warnings, _ = await send(client, "GET", "/api/games/categories?limit=5")
    assert status == 200 and "(this route reads none)" in warnings[0]


async def test_unknown_query_parameters_refuse_names_them(make_client):
    client = await make_client(unknown_query_parameters="refuse")
    status, _, answer = await send(client, "GET", CATALOG + "?limit=5&offset=10")
    assert (status, answer["error"]["code"]) == (400, "INVALID_REQUEST")
    assert answer["error"]["message"].startswith("unknown query parameters limit, offset (this route reads")
    assert "--unknown-query-parameters warn" in answer["error"]["message"]
    assert [e["path"] for e in answer["error"]["details"]["errors"]] == ["$.limit", "$.offset"]
    assert (await send(client, "GET", CATALOG + "?page=1"))[:2] == (200, [])


# ---- several at once, the log line, the count per operator, the portal -------------------------------


async def test_one_request_can_carry_several_warnings_each_a_line_of_its_own(client):
    path = CATALOG + "?limit=1"
    status, warnings, _ = await send(client, "GET", path, signed_path=path, signed_body="undefined")
    assert status == 200
    assert [w.split(" ", 2)[:2] for w in warnings] == [
        ["the", "request"],
        ["the", "signature"],
        ["unknown", "query"],
    ]


async def test_the_request_log_line_names_the_warnings(client, caplog):
    with caplog.at_level(logging.INFO, logger="netspace_mock.requests"):
        await send(client, "GET", CURRENCIES, signed_body="undefined")
        await send(client, "GET", CURRENCIES)
    warned, clean = [r for r in caplog.records if r.name == "netspace_mock.requests"]
    assert warned.warnings == ["empty_body_form"]
    assert warned.getMessage() == f"GET {CURRENCIES} 200 (integration warning: empty_body_form)"
    assert not hasattr(clean, "warnings") and clean.getMessage() == f"GET {CURRENCIES} 200"


async def test_warnings_are_counted_per_operator_and_kind_with_the_latest_example(mock_factory, tmp_path):
    a = await mock_factory(operators=operators_file(tmp_path))
    b = Signed(a.client, KEY_B, SECRET_B, now=a.now)
    platform = a.client.app[PLATFORM]
    for _ in range(3):
        await send(a, "GET", CURRENCIES, signed_body="undefined")
    await send(a, "GET", "/api/games/featured", signed_body="{}")
    await send(a, "GET", CATALOG + "?limit=2")
    await send(b, "GET", CATALOG + "?offset=1")
    seen = {s.kind: s for s in await platform.integration_warnings.of_operator(platform.db, 1)}
    assert {k: s.count for k, s in seen.items()} == {"empty_body_form": 4, "unknown_query_parameter": 1}
    latest = seen["empty_body_form"]
    assert (latest.method, latest.path) == ("GET", "/api/games/featured") and "'{}'" in latest.line
    assert latest.first_seen <= latest.last_seen
    of_b = await platform.integration_warnings.of_operator(platform.db, 2)
    assert [(s.kind, s.count, s.path) for s in of_b] == [
        ("unknown_query_parameter", 1, CATALOG + "?offset=1")
    ]
    # Written to SQLite: a second flush adds to the rows, and a sandbox reset leaves them.
    await send(a, "GET", CURRENCIES, signed_body="null")
    await a.ok("POST", "/api/sandbox/reset")
    await platform.integration_warnings.flush(platform.db)
    rows = {s.kind: s.count for s in await store.of_operator(platform.db, 1)}
    assert rows == {"empty_body_form": 5, "unknown_query_parameter": 1}


async def test_counts_are_written_at_shutdown(make_client, tmp_path):
    client = await make_client(db=str(tmp_path / "kept.db"))
    await send(client, "GET", CURRENCIES, signed_body="undefined")
    platform = client.client.app[PLATFORM]
    await client.client.close()  # the app's cleanup: the background writer's last flush
    again = await make_client(db=str(tmp_path / "kept.db"))
    platform = again.client.app[PLATFORM]
    assert [(s.kind, s.count) for s in await store.of_operator(platform.db, 1)] == [("empty_body_form", 1)]


async def test_the_portal_lists_the_warnings_seen(client, portals):
    portal = portals(client)
    await portal.sign_in()
    _, page = await portal.get("/portal/integration")
    assert 'id="integration-warnings"' in page and "No warnings: every request so far" in page
    for _ in range(2):
        await send(client, "GET", CURRENCIES, signed_body="undefined")
    await send(client, "POST", "/api/game/launch-demo", '{"game_id": "lotterix"}')
    _, page = await portal.get("/portal/integration")
    section = page[page.index('id="integration-warnings"') :].split("</section>")[0]
    assert "empty_body_form" in section and "non_canonical_body" in section
    assert '<td class="n">2</td>' in section and '<td class="n">1</td>' in section
    assert f"GET {CURRENCIES}" in section and "POST /api/game/launch-demo" in section
    assert "empty_body_signature=any" in section  # the latest example's line


# ---- --strict ----------------------------------------------------------------------------------


def test_strict_sets_every_lenient_setting_to_its_strictest():
    strict = Settings(strict=True)
    assert {name: getattr(strict, name) for name in settings_mod.STRICT} == {
        "empty_body_signature": "empty",
        "signature_path": "path",
        "canonical_body": True,
        "freebet_requires_player": True,
        "unknown_query_parameters": "refuse",
    }
    lenient = Settings()
    assert all(getattr(lenient, name) != value for name, value in settings_mod.STRICT.items())
    from_env = settings_mod.from_sources({}, {"NETSPACE_MOCK_STRICT": "true"})
    assert from_env.signature_path == "path" and from_env.canonical_body is True
    with pytest.raises(
        ValueError, match="strict sets signature_path to path, but it is also given as either"
    ):
        settings_mod.from_sources({"strict": True, "signature_path": "either"}, {})
    assert settings_mod.from_sources({"strict": True, "signature_path": "path"}, {}).strict is True


async def test_strict_refuses_each_lenient_request_and_names_the_setting(make_client):
    client = await make_client(strict=True)
    status, _, answer = await send(client, "GET", CURRENCIES, signed_body="undefined")
    assert status == 401 and "--empty-body-signature any" in answer["error"]["message"]
    path = CATALOG + "?page=1"
    status, _, answer = await send(client, "GET", path, signed_path=path)
    assert status == 401 and "--signature-path either" in answer["error"]["message"]
    status, _, answer = await send(client, "POST", "/api/game/launch-demo", '{"game_id": "lotterix"}')
    assert status == 400 and "--canonical-body false" in answer["error"]["message"]
    status, _, answer = await send(client, "GET", CATALOG + "?limit=1")
    assert status == 400 and "--unknown-query-parameters warn" in answer["error"]["message"]
    body = '{"operator_free_bet_id":"p","player_id":"new","free_bets":{"amount":5,"currency":"USD","expires_at":"2031-01-01T00:00:00Z"}}'
    status, _, answer = await send(client, "POST", "/api/v1/freebets/assign", body)
    assert (status, answer["error"]["code"]) == (404, "PLAYER_NOT_FOUND")
    assert "--freebet-requires-player false" in answer["error"]["message"]
    # The strict forms pass, with no warning.
    assert (await send(client, "GET", CURRENCIES))[:2] == (200, [])
    assert (await send(client, "GET", path, signed_path=CATALOG))[:2] == (200, [])
    assert (await send(client, "POST", "/api/game/launch-demo", '{"game_id":"lotterix"}'))[:2] == (200, [])


def test_the_banner_says_which_settings_are_lenient():
    from netspace_mock.cli import checks_line

    assert checks_line(Settings()) == (
        "  Checks      lenient: empty_body_signature=any signature_path=either canonical_body=false "
        "freebet_requires_player=false unknown_query_parameters=warn (--strict for all at their strictest)"
    )
    assert checks_line(Settings(strict=True)).startswith("  Checks      strict (--strict)")
    assert "canonical_body" not in checks_line(Settings(canonical_body=True))


async def test_the_settings_page_shows_the_lenient_settings(client, portals):
    portal = portals(client)
    await portal.sign_in()
    _, page = await portal.get("/portal/settings")
    for flag in ("--strict", "--empty-body-signature", "--canonical-body", "--unknown-query-parameters"):
        assert f"<code>{flag}</code>" in page


async def test_a_warning_line_is_printable_ascii_whatever_the_request_holds(client):
    status, warnings, _ = await send(client, "GET", CATALOG + "?%01%C3%A7=1&x%0D%0Ay=2")
    assert status == 200 and len(warnings) == 1
    assert warnings[0].isascii() and warnings[0].isprintable(), warnings
    assert "\\x01\\xe7" in warnings[0] and "x\\x0d\\x0ay" in warnings[0]


async def test_counts_that_could_not_be_written_are_kept_for_the_next_write(tmp_path):
    from netspace_mock.domain.integration_warnings import IntegrationWarnings
    from netspace_mock.store import Database

    db = Database(str(tmp_path / "w.db"))
    await db.open()
    await db.execute(
        "INSERT INTO operators(id, name, api_key, secret_key, created_at) VALUES (1, 'a', 'k', 's', 'now')"
    )
    counts = IntegrationWarnings()
    counts.note(1, "empty_body_form", "GET", "/api/a", "first", 10.0)
    await db.close()
    with pytest.raises(Exception, match="closed"):
        await counts.flush(db)
    counts.note(1, "empty_body_form", "GET", "/api/b", "newer", 20.0)
    await db.open()
    try:
        [seen] = await counts.of_operator(db, 1)
        assert (seen.count, seen.first_seen, seen.last_seen, seen.path, seen.line) == (
            2,
            10.0,
            20.0,
            "/api/b",
            "newer",
        )
    finally:
        await db.close()


async def test_openapi_documents_the_warning_header_on_every_answer(client):
    async with client.client.get("/openapi.json") as resp:
        doc = await resp.json()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status in ("200", "default"):
                assert HEADER in op["responses"][status]["headers"], (method, path, status)
