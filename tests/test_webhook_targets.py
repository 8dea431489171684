"""Where a webhook may point: http(s) without credentials, only allowed hosts (never link-local or
metadata addresses, whatever their spelling), never the mock's own API; checked at start, at save and
on every call, on the addresses a name resolves to."""

from __future__ import annotations

import logging
import os

import pytest

from netspace_mock import cli
from netspace_mock.settings import DEFAULT_WEBHOOK_HOSTS
from netspace_mock.store import operators as operator_store
from netspace_mock.webhooks.targets import HostPolicy, ipv4_spelling, url_refusal
from support import launch_body

DEFAULT = HostPolicy.parse(DEFAULT_WEBHOOK_HOSTS)
METADATA = "a link-local, unspecified or cloud-metadata address"


@pytest.mark.parametrize(
    ("spelling", "dotted"),
    [
        ("169.254.169.254", "169.254.169.254"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("127.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("wallet", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("08.1.1.1", None),
    ],
)
def test_every_ipv4_spelling_is_read_as_its_address(spelling, dotted):
    assert ipv4_spelling(spelling) == dotted


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("http://169.254.169.254/latest/meta-data", METADATA),
        ("http://0xa9fea9fe/", METADATA),
        ("http://2852039166/", METADATA),
        ("http://0251.0376.0251.0376/", METADATA),
        ("http://[::ffff:169.254.169.254]/", METADATA),
        ("http://[fe80::1]/", METADATA),
        ("http://[fd00:ec2::254]/", METADATA),  # inside the allowed fc00::/7, still refused
        ("http://0.0.0.0:8080/", METADATA),
        ("http://metadata.google.internal/computeMetadata/v1/", "a cloud-metadata host"),
        ("http://user:pw@127.0.0.1/hook", "must not carry credentials"),
        ("http://user@127.0.0.1/hook", "must not carry credentials"),
        ("gopher://127.0.0.1/", "must start with http:// or https://"),
        ("http://8.8.8.8/hook", "not among the allowed hosts"),
        ("http://127.0.0.1:9000/hook", None),
        ("http://localhost:22/", None),  # loopback is allowed by default, any port
        ("http://10.1.2.3/hook", None),
        ("http://172.20.0.5/hook", None),
        ("http://192.168.1.10/hook", None),
        ("http://[fd12::5]/hook", None),
        ("http://wallet:8080/hook", None),  # a name: checked on what it resolves to
    ],
)
def test_the_default_policy(url, refusal):
    found = url_refusal(url, DEFAULT)
    assert found is None if refusal is None else refusal in found, found


def test_a_metadata_address_is_allowed_only_when_listed_as_itself():
    assert METADATA in url_refusal("http://169.254.169.254/", HostPolicy.parse("*"))
    assert METADATA in url_refusal("http://169.254.169.254/", HostPolicy.parse("169.254.0.0/16"))
    assert url_refusal("http://169.254.169.254/", HostPolicy.parse("169.254.169.254")) is None
    assert url_refusal("http://8.8.8.8/", HostPolicy.parse("*")) is None


def test_a_bad_allowed_hosts_entry_is_named():
    with pytest.raises(ValueError, match="'10.0.0.0/33' is neither a CIDR"):
        HostPolicy.parse("127.0.0.1,10.0.0.0/33")


# ---- at save (the portal) -----------------------------------------------------------------------


async def test_the_portal_refuses_each_forbidden_webhook_and_saves_nothing(
    client, platform, settings, portals
):
    portal = portals(client)
    await portal.sign_in()
    await portal.get("/portal/integration")
    here = f"127.0.0.1:{settings.port}"
    cases = [
        ("http://169.254.169.254/latest/meta-data", "cloud-metadata address"),
        ("http://0xa9fea9fe/", "0xa9fea9fe (169.254.169.254)"),
        ("http://operator:hunter2@127.0.0.1:9/hook", "must not carry credentials"),
        ("http://metadata.google.internal/", "cloud-metadata host"),
        ("http://8.8.8.8/hook", "webhook_allowed_hosts"),
        (f"http://{here}/api/sandbox/game/bet", "points at this mock itself (/api/sandbox/game/bet)"),
        (f"http://localhost:{settings.port}/portal/dashboard", "points at this mock itself"),
        (f"http://0x7f000001:{settings.port}/api/game/launch", "points at this mock itself"),
        (f"http://{here}/anything-else", "only /operator/webhook"),
    ]
    for url, why in cases:
        _, page = await portal.post("/portal/integration/webhook", {"webhook_url": url}, status=400)
        assert "The webhook URL was not saved" in page and why in page, (url, page[-3000:])
    row = await platform.db.fetchone("SELECT webhook_url FROM operators WHERE id = 1")
    assert row[0] is None and platform.operators.by_id(1).webhook_url is None  # nothing was saved
    # The built-in wallet's path on the mock itself is a webhook like any other.
    await portal.post("/portal/integration/webhook", {"webhook_url": f"http://{here}/operator/webhook"})


async def test_a_name_is_checked_on_the_addresses_it_resolves_to(make_client, portals):
    mock = await make_client(webhook_allowed_hosts="10.0.0.0/8")
    portal = portals(mock)
    await portal.sign_in()
    await portal.get("/portal/integration")
    _, page = await portal.post(
        "/portal/integration/webhook", {"webhook_url": "http://localhost:9/hook"}, status=400
    )
    assert "points at localhost, which resolves to 127.0.0.1" in page


# ---- at start (the flags) -----------------------------------------------------------------------


@pytest.fixture(autouse=False)
def serve_in_process(monkeypatch):
    """`serve` run in this process sets up the mock's logging: put it back afterwards."""
    for name in [k for k in os.environ if k.startswith("NETSPACE_MOCK_")]:
        monkeypatch.delenv(name)
    logger = logging.getLogger("netspace_mock")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--webhook-url", "http://169.254.169.254/hook"],
            "--webhook-url: $.webhook_url: points at 169.254.169.254",
        ),
        (["--webhook-url", "http://u:p@127.0.0.1:9/hook"], "must not carry credentials"),
        (["--webhook-url", "http://127.0.0.1:{port}/api/sandbox/game/bet"], "points at this mock itself"),
        (["--webhook-allowed-hosts", "10.0.0.0/40"], "invalid setting: webhook_allowed_hosts: '10.0.0.0/40'"),
    ],
)
@pytest.mark.usefixtures("serve_in_process")
def test_serve_refuses_to_start_with_a_forbidden_webhook(tmp_path, unused_tcp_port, flags, message):
    flags = [f.format(port=unused_tcp_port) for f in flags]
    argv = ["serve", "--db", str(tmp_path / "m.db"), "--port", str(unused_tcp_port), *flags]
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert message in str(stopped.value)


@pytest.mark.usefixtures("serve_in_process")
def test_an_operators_file_entry_is_checked_too(tmp_path, unused_tcp_port):
    listed = tmp_path / "operators.json"
    listed.write_text(
        '[{"name": "B", "api_key": "b", "secret_key": "sb", "webhook_url": "http://[fe80::1]:80/h"}]'
    )
    argv = [
        "serve",
        "--db",
        str(tmp_path / "m.db"),
        "--port",
        str(unused_tcp_port),
        "--operators",
        str(listed),
    ]
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert f"--operators {listed}: entry 0: $.webhook_url: points at fe80::1" in str(stopped.value)


# ---- on every call ------------------------------------------------------------------------------


async def _stored_webhook(platform, url: str) -> None:
    """A URL the save check would refuse, as if saved before the policy changed or DNS moved."""
    await operator_store.set_webhook(platform.db, 1, url)
    platform.operators.remember(await operator_store.by_id(platform.db, 1))


@pytest.mark.parametrize(
    ("allowed", "url", "reason"),
    [
        (DEFAULT_WEBHOOK_HOSTS, "http://169.254.169.254/hook", "it points at 169.254.169.254, a link-local"),
        (DEFAULT_WEBHOOK_HOSTS, "http://0xa9fea9fe/hook", "169.254.169.254"),
        ("10.0.0.0/8", "http://localhost:9/hook", "it points at localhost, which resolves to 127.0.0.1"),
    ],
)
async def test_a_call_to_a_refused_address_is_never_made(make_client, allowed, url, reason):
    from netspace_mock.serving import PLATFORM

    mock = await make_client(webhook_allowed_hosts=allowed)
    platform = mock.client.app[PLATFORM]
    await _stored_webhook(platform, url)
    await mock.ok("POST", "/api/sandbox/game/launch", launch_body(session_id="s-refused"))
    error = await mock.error(
        "GET", "/api/sandbox/game/balance?session_id=s-refused", status=502, code="WEBHOOK_ERROR"
    )
    assert "webhook refused" in error["message"], error
    attempts = (await mock.ok("GET", "/api/sandbox/webhooks"))["attempts"]
    assert [(a["outcome"], a["response"]["status"]) for a in attempts] == [("transport_error", None)]
    assert "webhook refused" in attempts[0]["reason"] and reason in attempts[0]["reason"]
