"""The portal's limits on hostile callers: registration open or closed by setting, registrations per
client address (kept across a restart), and failed sign-ins per (address, API key) and per address."""

from __future__ import annotations

import asyncio
import socket

import pytest

from netspace_mock import settings as settings_mod
from netspace_mock.cli import build_parser
from netspace_mock.domain import portal_limits as limits
from netspace_mock.settings import Settings
from portal_client import Portal
from support import API_KEY, SECRET, Signed, count_rows

OTHER_ADDRESS = "127.0.0.2"


@pytest.fixture
def other_address() -> str:
    """A second loopback address to connect from, so the mock sees another client address."""
    with socket.socket() as probe:
        try:
            probe.bind((OTHER_ADDRESS, 0))
        except OSError:
            pytest.skip(f"cannot connect from {OTHER_ADDRESS} on this machine")
    return OTHER_ADDRESS


@pytest.fixture
def browsers(portals):
    """Opens browsers: `browsers(mock)` or `browsers(mock, address)`; each has its own cookies."""
    return portals


def platform_of(mock: Signed):
    from netspace_mock.serving import PLATFORM

    return mock.client.app[PLATFORM]


async def sign_in(portal: Portal, api_key: str, secret: str, status: int | None = 303):
    """POST the sign-in form as a browser on its page would, signed in already or not."""
    if not portal.csrf:
        await portal.get("/portal/sign-in")
    form = {"api_key": api_key, "secret_key": secret}
    return await portal.post("/portal/sign-in", form, status=status)


async def register(portal: Portal, name: str = "Acme", status: int = 303):
    await portal.get("/portal/register")
    return await portal.post("/portal/register", {"name": name}, status=status)


# ---- open_registration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "open_"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LocalHost", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("10.0.0.5", False),
        ("fe80::1", False),
        ("mock.internal", False),
    ],
)
def test_auto_opens_registration_on_loopback_only(host, open_):
    assert Settings(host=host).open_registration == "auto"
    assert Settings(host=host).registration_open is open_


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "192.168.1.20"])
def test_on_and_off_win_over_the_host(host):
    assert Settings(host=host, open_registration="on").registration_open is True
    assert Settings(host=host, open_registration="off").registration_open is False


def test_open_registration_is_a_flag_and_an_environment_variable():
    args = build_parser().parse_args(["serve", "--open-registration", "on", "--registration-limit", "2"])
    assert (args.open_registration, args.registration_limit) == ("on", 2)
    env = {"NETSPACE_MOCK_OPEN_REGISTRATION": "off", "NETSPACE_MOCK_HOST": "127.0.0.1"}
    assert settings_mod.from_sources({}, env).registration_open is False
    with pytest.raises(ValueError, match="open_registration: expected one of auto, on, off"):
        settings_mod.from_sources({}, {"NETSPACE_MOCK_OPEN_REGISTRATION": "true"})


async def test_on_loopback_the_sign_in_page_links_to_registration(make_client, browsers):
    portal = browsers(await make_client())
    _, page = await portal.get("/portal/sign-in")
    assert 'href="/portal/register"' in page
    await register(portal)


async def test_beyond_loopback_registration_is_closed_and_says_how_to_open_it(make_client, browsers):
    mock = await make_client(host="0.0.0.0")
    portal = browsers(mock)
    _, page = await portal.get("/portal/sign-in")
    assert "/portal/register" not in page and "Registration is closed on this server" in page
    for answer in (
        await portal.get("/portal/register", status=403),
        await portal.post("/portal/register", {"name": "Intruder Ltd"}, status=403),
    ):
        page = answer[1]
        assert "Registration is closed on this server: it listens on 0.0.0.0" in page
        assert "<code>--open-registration on</code>" in page
        assert "<code>NETSPACE_MOCK_OPEN_REGISTRATION=on</code>" in page
        assert "<code>--operators FILE</code>" in page and "<code>--api-key</code>" in page
    assert [op.name for op in platform_of(mock).operators.all()] == ["Default operator"]
    _, page = await portal.get("/portal/register/credentials", status=410)
    assert "/portal/register" not in page.replace('"/portal/register/', "")
    await portal.sign_in()  # signing in is not affected
    _, page = await portal.get("/portal/settings")
    assert "<strong>closed</strong>" in page and "(set to auto)" in page


async def test_on_opens_registration_beyond_loopback_and_off_closes_it_on_loopback(make_client, browsers):
    opened = browsers(await make_client(host="0.0.0.0", open_registration="on"))
    _, page = await opened.get("/portal/sign-in")
    assert 'href="/portal/register"' in page
    await register(opened)
    closed = browsers(await make_client(open_registration="off"))
    _, page = await closed.get("/portal/register", status=403)
    assert "it was started with --open-registration off" in page


# ---- registrations per address --------------------------------------------------------------------


async def test_registrations_are_limited_per_address_and_a_restart_keeps_the_count(
    make_client, browsers, clock, other_address
):
    mock = await make_client()
    limit = platform_of(mock).settings.registration_limit
    assert limit == 5
    portal = browsers(mock)
    await register(portal, "", status=400)  # a refused name is not a registration
    for n in range(limit):
        await register(portal, f"Team {n}")
    response, page = await register(portal, "One too many", status=429)
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= limits.REGISTRATION_WINDOW
    assert f"Your address has registered {limit} operators within the last hour" in page
    assert f"Wait {wait} s (about {-(-wait // 60)} min), then register again" in page
    assert len(platform_of(mock).operators.all()) == 1 + limit

    # Another address is not limited by this one.
    await register(browsers(mock, other_address), "Neighbour")
    # A restart on the same database still counts them.
    restarted = await make_client()
    await register(browsers(restarted), "After the restart", status=429)
    # The sandbox clock, which any operator can move, does not count.
    await restarted.ok("POST", "/api/sandbox/clock", {"advance_seconds": 2 * limits.REGISTRATION_WINDOW})
    await register(browsers(restarted), "Sandbox time", status=429)
    # Once the oldest is an hour old, the address may register again.
    clock.advance(wait)
    await register(browsers(restarted), "An hour later")
    clock.advance(limits.REGISTRATION_WINDOW)
    await register(browsers(restarted), "Two hours later")
    rows = await count_rows(platform_of(restarted).db, "portal_registrations")
    assert rows == 1  # older ones are pruned


async def test_registrations_sent_at_once_are_counted_one_by_one(make_client, browsers):
    mock = await make_client(registration_limit=3)
    portal = browsers(mock)
    await portal.get("/portal/register")
    answers = await asyncio.gather(
        *(portal.post("/portal/register", {"name": f"Rush {n}"}, status=None) for n in range(8))
    )
    assert sorted(response.status for response, _ in answers) == [303] * 3 + [429] * 5


# ---- sign-in throttling per (address, key) --------------------------------------------------------


@pytest.fixture
async def attacker(make_client, browsers):
    """A mock with the default operator (the victim, key A) and one the attacker registered (key B)."""
    mock = await make_client()
    platform = platform_of(mock)
    own = await platform.operators.register(platform.db, "Attacker Ltd", platform.now_iso())
    return mock, browsers(mock), own


async def test_signing_in_with_ones_own_key_does_not_clear_the_failures_of_a_guessed_key(attacker):
    mock, portal, own = attacker
    for _ in range(limits.FREE_FAILURES):
        await sign_in(portal, API_KEY, "guess", status=401)
        await sign_in(portal, own.api_key, own.secret_key)  # succeeds, and clears only B's failures
    response, page = await sign_in(portal, API_KEY, "guess", status=429)
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= limits.FIRST_WAIT
    assert (
        f"Too many failed sign-ins for this API key from your address. Wait {wait} s, then try again." in page
    )
    # Even the right secret for A is not checked during the wait, and the sandbox clock does not end it.
    await mock.ok("POST", "/api/sandbox/clock", {"advance_seconds": 3600})
    await sign_in(portal, API_KEY, SECRET, status=429)


async def test_failures_with_one_key_do_not_lock_out_another_key_from_the_same_address(attacker, browsers):
    mock, portal, own = attacker
    for _ in range(limits.FREE_FAILURES):
        await sign_in(portal, API_KEY, "guess", status=401)
    await sign_in(portal, API_KEY, SECRET, status=429)
    colleague = browsers(mock)  # behind the same address
    await sign_in(colleague, own.api_key, own.secret_key)
    _, page = await colleague.get("/portal/dashboard")
    assert "Attacker Ltd" in page


async def test_a_success_for_a_key_clears_that_keys_failures_and_no_others(attacker, clock):
    mock, portal, own = attacker
    db = platform_of(mock).db
    for _ in range(limits.FREE_FAILURES - 1):
        await sign_in(portal, API_KEY, "guess", status=401)
        await sign_in(portal, own.api_key, "guess", status=401)
    await sign_in(portal, API_KEY, SECRET)
    where = "key_hash = ?"
    assert await count_rows(db, "portal_sign_in_failures", where, (limits.key_hash(API_KEY),)) == 0
    assert await count_rows(db, "portal_sign_in_failures", where, (limits.key_hash(own.api_key),)) == 2
    # A starts afresh: its free failures again. B's count goes on: its next failure makes it wait.
    for _ in range(limits.FREE_FAILURES - 1):
        _, page = await sign_in(portal, API_KEY, "guess", status=401)
        assert "wait" not in page
    _, page = await sign_in(portal, own.api_key, "guess", status=401)
    assert "Too many failed sign-ins for this API key: wait" in page
    await sign_in(portal, own.api_key, own.secret_key, status=429)
    clock.advance(limits.FIRST_WAIT)
    await sign_in(portal, own.api_key, own.secret_key)
    # Only hashes are kept, never a key as typed.
    rows = await db.fetchall("SELECT * FROM portal_sign_in_failures")
    assert rows and all(API_KEY not in [*map(str, row)] for row in rows)


async def test_many_keys_from_one_address_meet_the_address_ceiling(attacker, browsers, clock, other_address):
    mock, portal, own = attacker
    for n in range(limits.ADDRESS_FAILURES):
        await sign_in(portal, f"ak_guess_{n}", "guess", status=401)
    response, page = await sign_in(portal, API_KEY, SECRET, status=429)
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= limits.FAILURE_MEMORY
    assert f"Too many failed sign-ins from your address ({limits.ADDRESS_FAILURES} in 15 min" in page
    assert f"Wait {wait} s, then try again." in page
    await sign_in(portal, f"ak_guess_{limits.ADDRESS_FAILURES}", "guess", status=429)
    await sign_in(browsers(mock, other_address), API_KEY, SECRET)  # another address is not affected
    clock.advance(wait)
    await sign_in(portal, API_KEY, SECRET)


async def test_guesses_sent_at_once_all_face_the_wait(attacker):
    mock, portal, own = attacker
    await portal.get("/portal/sign-in")
    form = {"api_key": API_KEY, "secret_key": "guess"}
    answers = await asyncio.gather(*(portal.post("/portal/sign-in", form, status=None) for _ in range(10)))
    statuses = sorted(response.status for response, _ in answers)
    assert statuses == [401] * limits.FREE_FAILURES + [429] * (10 - limits.FREE_FAILURES)


async def test_an_overlong_key_is_refused_unchecked(attacker):
    mock, portal, own = attacker
    _, page = await sign_in(portal, "k" * (limits.KEY_LIMIT + 1), "guess", status=400)
    assert f"An API key is at most {limits.KEY_LIMIT} characters." in page
    assert await count_rows(platform_of(mock).db, "portal_sign_in_failures") == 0


async def test_each_address_is_counted_apart_in_the_database(platform):
    """The same rules without a second loopback address: straight against the app's SQLite file."""
    here, there = "203.0.113.5", "2001:db8::6"
    for _ in range(platform.settings.registration_limit):
        await limits.record_registration(platform, here)
    assert await limits.registration_wait(platform, here) > 0
    assert await limits.registration_wait(platform, there) == 0
    for n in range(limits.ADDRESS_FAILURES):
        await limits.record_failure(platform, here, API_KEY if n % 2 else f"ak_{n}")
    assert (
        await limits.address_wait(platform, here) > 0 and await limits.key_wait(platform, here, API_KEY) > 0
    )
    assert (
        await limits.address_wait(platform, there) == 0
        and await limits.key_wait(platform, there, API_KEY) == 0
    )
