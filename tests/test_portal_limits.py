"""The portal's limits on hostile callers: registration open or closed by setting, and registrations per
client address (kept across a restart)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from test_portal import Portal

from netspace_mock import settings as settings_mod
from netspace_mock.cli import build_parser
from netspace_mock.domain import portal_limits as limits
from netspace_mock.settings import Settings
from support import Signed, count_rows

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
async def browsers():
    """Opens browsers: `browsers(mock)` or `browsers(mock, address)`; each has its own cookies."""
    opened: list[Portal] = []

    def open_one(target: Signed, address: str | None = None) -> Portal:
        opened.append(Portal(target, address))
        return opened[-1]

    yield open_one
    for p in opened:
        await p.close()


def platform_of(mock: Signed):
    from netspace_mock.api.pipeline import PLATFORM

    return mock.client.app[PLATFORM]


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
