"""Launch tokens, the capability in a game_url: made from the session and the database's key, never
stored; what a token is made of, what opens a game and what does not (forged, tampered, another
database's, a session deleted by a reset), across restarts and seeds."""

from __future__ import annotations

import asyncio

import pytest
from yarl import URL

from netspace_mock.domain import launch_tokens
from netspace_mock.domain.launch_tokens import HEAD, LENGTH, ORDER_HEX, LaunchTokens
from netspace_mock.serving import PLATFORM
from netspace_mock.store.sessions import Session
from support import count_rows, launch_body

LAUNCH = "/api/game/launch"


def token_of(answer: dict) -> str:
    return URL(answer["game_url"]).path.rsplit("/", 1)[1]


async def status_of(op, token: str) -> int:
    """GET /play/{token} without a signature, as a browser opens the link."""
    async with op.client.get(f"/play/{token}") as resp:
        return resp.status


async def state_session_id(op, token: str) -> str | None:
    """The session the token's /state shows, or None when it opens nothing (INVALID_SESSION)."""
    async with op.client.get(f"/play/{token}/state") as resp:
        body = await resp.json()
    if resp.status == 404:
        assert body["error"]["code"] == "INVALID_SESSION"
        return None
    assert resp.status == 200, body
    return body["session"]["session_id"]


async def rowid_of(op, session_id: str) -> int:
    row = await op.client.app[PLATFORM].db.fetchone(
        "SELECT rowid FROM sessions WHERE session_id = ?", (session_id,)
    )
    return row[0]


def session(operator_id: int = 1, session_id: str = "sess-1") -> Session:
    return Session(operator_id, session_id, "p", "lotterix", "USD", "en", None, None, "real", None, 1.0, 2.0)


async def test_a_token_is_the_launch_order_the_session_row_and_a_mac(client):
    first = token_of(await client.ok("POST", LAUNCH, launch_body()))
    again = token_of(await client.ok("POST", LAUNCH, launch_body()))
    rowid = await rowid_of(client, "sess-1")
    for token in (first, again):
        assert len(token) == LENGTH == 52 and token == token.lower()
        assert int(token[ORDER_HEX:HEAD], 16) == rowid
    assert again[:ORDER_HEX] > first[:ORDER_HEX]  # a relaunch is a later launch: a fresh token
    assert again[HEAD:] != first[HEAD:]
    # The session's rowid is an order of its own, in the range of this start of the database.
    platform = client.client.app[PLATFORM]
    assert rowid >> 32 == platform.ids.boot >= 1


async def test_no_launch_writes_a_token_row(client):
    for n in range(5):
        await client.ok("POST", LAUNCH, launch_body(session_id=f"s-{n % 2}"))
    db = client.client.app[PLATFORM].db
    tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "launch_tokens" not in tables
    assert await count_rows(db, "sessions") == 2
    assert await count_rows(db, "platform_keys") == 1


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"), id="mac digit"),
        pytest.param(lambda t: ("1" if t[0] != "1" else "2") + t[1:], id="order digit"),
        pytest.param(lambda t: t[:HEAD] + "0" * (LENGTH - HEAD), id="mac zeroed"),
        pytest.param(lambda t: t.upper(), id="upper case"),
        pytest.param(lambda t: t[:-1], id="one digit short"),
        pytest.param(lambda t: t + "0", id="one digit long"),
        pytest.param(lambda t: t[:40], id="the older 40-digit form"),
        pytest.param(lambda t: t[:-1] + "g", id="not hex"),
        pytest.param(lambda t: t[:-2] + "é", id="unicode"),
        pytest.param(lambda t: "0" * LENGTH, id="zeros"),
        pytest.param(lambda t: "f" * LENGTH, id="all f"),
    ],
)
async def test_a_tampered_or_forged_token_opens_nothing(client, tamper):
    token = token_of(await client.ok("POST", LAUNCH, launch_body()))
    assert await status_of(client, token) == 200
    assert await status_of(client, tamper(token)) == 404
    assert await state_session_id(client, tamper(token)) is None


async def test_a_token_moved_to_another_sessions_row_opens_nothing(client):
    a = token_of(await client.ok("POST", LAUNCH, launch_body(session_id="sess-a")))
    await client.ok("POST", LAUNCH, launch_body(session_id="sess-b"))
    moved = a[:ORDER_HEX] + f"{await rowid_of(client, 'sess-b'):0{HEAD - ORDER_HEX}x}" + a[HEAD:]
    assert await state_session_id(client, a) == "sess-a"
    assert await state_session_id(client, moved) is None


async def test_a_reset_closes_every_link_even_when_the_session_id_comes_back(client):
    old = token_of(await client.ok("POST", LAUNCH, launch_body()))
    old_row = await rowid_of(client, "sess-1")
    reset = await client.ok("POST", "/api/sandbox/reset")
    assert reset["reset"]["sessions"] == 1 and "launch_tokens" not in reset["reset"]
    assert await status_of(client, old) == 404
    new = token_of(await client.ok("POST", LAUNCH, launch_body()))  # the same session_id, player, game
    assert await rowid_of(client, "sess-1") > old_row  # a rowid is never given twice
    assert await state_session_id(client, new) == "sess-1"
    assert await status_of(client, old) == 404


async def test_links_survive_a_restart_and_the_key_stays(make_client, settings):
    first = await make_client()
    token = token_of(await first.ok("POST", LAUNCH, launch_body()))
    key = (await first.client.app[PLATFORM].db.fetchone("SELECT secret FROM platform_keys"))[0]
    await first.client.close()
    restarted = await make_client(seed=None)  # the key is the database's, not the seed's
    assert await state_session_id(restarted, token) == "sess-1"
    db = restarted.client.app[PLATFORM].db
    rows = await db.fetchall("SELECT name, secret FROM platform_keys")
    assert [tuple(r) for r in rows] == [(launch_tokens.NAME, key)]
    assert len(key) == launch_tokens.KEY_BYTES


async def test_another_databases_token_opens_nothing(make_client, tmp_path):
    """Unseeded, two fresh databases have keys of their own: the same launch on each names the same
    rowid, and each token opens only its own database's session."""
    one = await make_client(db=str(tmp_path / "one.db"), seed=None)
    two = await make_client(db=str(tmp_path / "two.db"), seed=None)
    t1 = token_of(await one.ok("POST", LAUNCH, launch_body()))
    t2 = token_of(await two.ok("POST", LAUNCH, launch_body()))
    assert t1[:HEAD] == t2[:HEAD] and t1 != t2
    assert [await state_session_id(two, t) for t in (t1, t2)] == [None, "sess-1"]
    assert [await state_session_id(one, t) for t in (t1, t2)] == ["sess-1", None]


async def test_seeds_make_their_own_tokens(make_client, tmp_path):
    tokens = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        op = await make_client(db=str(tmp_path / f"{name}.db"), seed=seed)
        tokens[name] = token_of(await op.ok("POST", LAUNCH, launch_body()))
    assert tokens["a"] == tokens["b"] != tokens["c"]


async def test_concurrent_launches_each_open_their_own_session(client):
    ids = [f"s-{n}" for n in range(30)]
    answers = await asyncio.gather(*(client.ok("POST", LAUNCH, launch_body(session_id=s)) for s in ids))
    tokens = [token_of(a) for a in answers]
    assert len(set(tokens)) == 30
    assert [await state_session_id(client, t) for t in tokens] == ids


def test_the_mac_binds_the_operator_and_the_session_id():
    tokens = LaunchTokens(b"k" * 32)
    token = tokens.make(5, 9, session())
    assert tokens.opens(token, session())
    assert not tokens.opens(token, session(operator_id=2))
    assert not tokens.opens(token, session(session_id="sess-2"))
    assert not LaunchTokens(b"j" * 32).opens(token, session())
    # Unicode, including what a JSON body can carry that UTF-8 cannot (a lone surrogate).
    for odd in ("sessão-ü-🎰", "\ud800"):
        assert tokens.opens(tokens.make(5, 9, session(session_id=odd)), session(session_id=odd))


def test_rowid_reads_only_well_formed_tokens():
    token = LaunchTokens(b"k" * 16).make(1, 0xABC, session())
    assert LaunchTokens.rowid(token) == 0xABC
    for bad in ("", token[:-1], token + "0", token.upper(), "z" * LENGTH, " " + token[1:]):
        assert LaunchTokens.rowid(bad) is None
    # A row number past SQLite's largest rowid names no row (and is never looked up).
    past = token[:ORDER_HEX] + f"{2**63:016x}" + token[HEAD:]
    assert LaunchTokens.rowid(past) is None


@pytest.mark.parametrize("size", [0, 15, 33])
def test_a_key_of_the_wrong_size_is_refused(size):
    with pytest.raises(ValueError, match="16 to 32 bytes"):
        LaunchTokens(b"k" * size)
