"""The pytest plugin, used the way an operator's test suite would use it: from another pytest process."""

from __future__ import annotations

import textwrap

pytest_plugins = ["pytester"]

OUTSIDER = textwrap.dedent("""
    import json
    import urllib.request

    import pytest


    def test_plays_a_round_and_reads_the_webhook_log(netspace_mock):
        netspace_mock.launch(session_id="s1", player_id="p1")
        rnd = netspace_mock.play_round("s1", amount=2, outcome="win", win_amount=5)
        assert rnd["status"] == "settled" and rnd["balance"] == 1003
        log = netspace_mock.webhook_log(round_id=rnd["round_id"])
        assert [a["action_type"] for a in log] == ["bet", "win"]
        assert netspace_mock.client.sandbox_balance("s1")["balance"] == 1003


    def test_signed_request_by_hand(netspace_mock):
        path = "/api/games/featured"
        request = urllib.request.Request(netspace_mock.base_url + path, headers=netspace_mock.sign("GET", path))
        with urllib.request.urlopen(request) as answer:
            assert json.load(answer)["success"] is True


    @pytest.mark.netspace_mock(api_key="team-a", secret_key="team-a-secret", seed=7)
    def test_marker_sets_credentials(netspace_mock):
        assert (netspace_mock.api_key, netspace_mock.secret_key) == ("team-a", "team-a-secret")
        assert netspace_mock.client.get_currencies()["success"] is True


    @pytest.mark.netspace_mock(webhook_url="http://127.0.0.1:9/unreachable", webhook_timeout=0.2,
                               webhook_backoff=0.01, webhook_retries=2)
    def test_marker_sets_the_webhook(netspace_mock):
        netspace_mock.launch()
        from netspace_mock.client import NetspaceError
        with pytest.raises(NetspaceError) as failed:
            netspace_mock.play_round(amount=1)
        assert failed.value.code == "WEBHOOK_ERROR"


    @pytest.mark.netspace_mock(strict=True)
    def test_its_own_client_and_signing_pass_a_strict_mock(netspace_mock):
        # --strict refuses a lenient form: the fixture's client and sign() must send the strict ones.
        netspace_mock.launch(session_id="s1", player_id="p1")
        rnd = netspace_mock.play_round("s1", amount=2.0, outcome="lose")  # a loss is a win of 0
        assert [a["action_type"] for a in netspace_mock.webhook_log(round_id=rnd["round_id"])] == ["bet", "win"]
        path = "/api/games/catalog?category=slots&page=1"
        request = urllib.request.Request(netspace_mock.base_url + path, headers=netspace_mock.sign("GET", path))
        with urllib.request.urlopen(request) as answer:
            assert answer.headers.get_all("X-Netspace-Mock-Warning") is None
            assert json.load(answer)["success"] is True


    async def test_works_in_async_tests_too(netspace_mock):
        assert netspace_mock.base_url.startswith("http://127.0.0.1:")
""")


def test_plugin_fixture_from_an_outside_test_suite(pytester):
    pytester.makepyfile(test_outsider=OUTSIDER)
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
