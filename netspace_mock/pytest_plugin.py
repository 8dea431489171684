"""pytest plugin (entry point `pytest11`): the `netspace_mock` fixture runs a mock for one test.

    def test_my_wallet(netspace_mock):
        netspace_mock.launch(session_id="s1", player_id="p1")
        round = netspace_mock.play_round("s1", amount=2, outcome="win", win_amount=5)
        assert [a["action_type"] for a in netspace_mock.webhook_log(round_id=round["round_id"])] == ["bet", "win"]

Settings come from `@pytest.mark.netspace_mock(webhook_url=..., api_key=..., secret_key=..., seed=...)`
(any Settings field). The mock listens on a free port of 127.0.0.1 with a database in the test's temporary
folder, in a thread of its own, so sync and async tests alike can use it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netspace_mock import signing
from netspace_mock.client import NetspaceSDK
from netspace_mock.settings import Settings


class RunningMock:
    """A mock serving in a background thread, with a ready client and helpers."""

    def __init__(self, settings: Settings) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="netspace-mock", daemon=True)
        self._thread.start()
        from netspace_mock.server import start

        self._runner, self.settings = asyncio.run_coroutine_threadsafe(start(settings), self._loop).result(30)
        self.base_url = self.settings.base_url
        self.api_key, self.secret_key = self.settings.api_key, self.settings.secret_key
        self.client = NetspaceSDK(self.api_key, self.secret_key, self.base_url)

    def stop(self) -> None:
        self.client.close()
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def sign(self, method: str, path: str, body: bytes | str = b"") -> dict[str, str]:
        """The three signing headers for a request you send yourself; PATH is `path` without its query
        string (the strict form: send the query, sign the path alone)."""
        signed_path = path.partition("?")[0]
        return signing.headers(self.api_key, self.secret_key, int(time.time()), method, signed_path, body)

    def launch(
        self,
        session_id: str = "session-1",
        player_id: str = "player-1",
        game_id: str = "lotterix",
        currency: str = "USD",
        **options: Any,
    ) -> dict:
        return self.client.launch_game(
            session_id=session_id, player_id=player_id, game_id=game_id, currency=currency, **options
        )

    def play_round(self, session_id: str = "session-1", amount: Any = 1, **options: Any) -> dict:
        """One sandbox round (outcome, win_amount, use_free_bet, numbers as options); returns the round."""
        return self.client.sandbox_bet(session_id=session_id, amount=amount, **options)["round"]

    def webhook_log(self, **filters: Any) -> list[dict]:
        """Every webhook attempt matching the filters (player_id, round_id, transaction_id, action, outcome),
        oldest first."""
        found, page = [], 1
        while True:
            answer = self.client.get_webhook_attempts(page=page, per_page=500, **filters)
            found += answer["attempts"]
            if page >= answer["pagination"]["total_pages"]:
                return list(reversed(found))
            page += 1

    def wait_for_deliveries(self, timeout: float = 30.0) -> None:
        """Block until no win, refund or rollback is waiting for a retry."""
        deadline = time.monotonic() + timeout
        while self.client.get_deliveries(status="pending")["pagination"]["total"]:
            if time.monotonic() > deadline:
                raise TimeoutError("deliveries still pending")
            time.sleep(0.05)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "netspace_mock(**settings): settings for the netspace_mock fixture (webhook_url, api_key, "
        "secret_key, seed, and any other netspace-mock setting)",
    )


@pytest.fixture
def netspace_mock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningMock]:
    marker = request.node.get_closest_marker("netspace_mock")
    options = {
        "host": "127.0.0.1",
        "port": 0,
        "db": str(tmp_path / "netspace-mock.db"),
        **(marker.kwargs if marker else {}),
    }
    mock = RunningMock(Settings(**options))
    try:
        yield mock
    finally:
        mock.stop()
