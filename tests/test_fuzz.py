"""Property-based API fuzzing (schemathesis): every route of the served /openapi.json, every request
signed over the exact bytes sent; no 5xx, and every answer valid against its schema (the route's 200
schema, or the error envelope, which the document gives as the `default` response).

The mock runs in a thread of this process on 127.0.0.1 (its webhook is its own reference wallet), and a
guard refuses any connection or name lookup that is not loopback, so the fuzzer cannot reach out.
Bounded (MAX_EXAMPLES per operation, positive and negative data) and deterministic (derandomize).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from netspace_mock import signing
from netspace_mock.api.routes import ROUTES
from netspace_mock.server import start
from netspace_mock.settings import Settings
from support import API_KEY, SECRET

MAX_EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SENT: Counter[str] = Counter()  # operations fuzzed, and how many requests each got
STATUSES: Counter[int] = Counter()  # what they were answered


class ServedMock:
    """The mock on 127.0.0.1:0, served from an event loop in a daemon thread of this process."""

    def __init__(self, db: str) -> None:
        self.settings = Settings(db=db, port=0, seed=99, webhook_timeout=2.0, webhook_backoff=0.05)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="fuzzed-mock")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.runner, self.settings = self.loop.run_until_complete(start(self.settings))
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> ServedMock:
        self.thread.start()
        assert self.ready.wait(30), "the mock did not start"
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)

    @property
    def base_url(self) -> str:
        return self.settings.base_url


class SignedRequest(requests.auth.AuthBase):
    """Signs the request requests is about to send: its exact body bytes and its path with the query."""

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        path = prepared.path_url  # what goes on the request line: the path and the query as sent
        prepared.headers.update(
            signing.headers(API_KEY, SECRET, int(time.time()), prepared.method, path, body)
        )
        SENT[f"{prepared.method} {path.partition('?')[0]}"] += 1
        return prepared


def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in LOOPBACK:
            raise AssertionError(f"the fuzz test tried to reach {address!r}: loopback only")
        return connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        # A name beyond loopback resolves to nothing, as with no DNS: a webhook URL the fuzzer gives
        # the mock is then checked without a lookup leaving the machine.
        if host not in LOOPBACK and host is not None:
            raise socket.gaierror(socket.EAI_NONAME, f"the fuzz test resolves loopback only, not {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with ServedMock(str(tmp_path_factory.mktemp("fuzz") / "fuzz.db")) as mock:
        # Something for the fuzzer to find behind the ids: a session, a free bet, rounds.
        http = requests.Session()
        http.auth = SignedRequest()
        base = mock.base_url
        launch = {
            "session_id": "fuzz-session",
            "player_id": "fuzz-player",
            "game_id": "lotterix",
            "currency": "USD",
        }
        assert http.post(base + "/api/game/launch", json=launch).status_code == 200
        assert http.post(base + "/api/sandbox/game/bet", json={"session_id": "fuzz-session", "amount": 1}).ok
        yield mock


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:  # keep-alive: one connection for the whole fuzz run
        session.hooks["response"].append(lambda response, **_: STATUSES.update([response.status_code]))
        yield session


@pytest.fixture(scope="module")
def api_schema(served):
    return schemathesis.openapi.from_url(served.base_url + "/openapi.json")


# One test per operation and generation mode. (schemathesis's own `from_fixture` pytest integration needs
# a private attribute pytest 9 no longer has, so the operations are driven through `as_strategy` instead.)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_route_survives_fuzzing_and_answers_on_schema(
    route, mode, served, api_schema, http, monkeypatch
):
    operation = api_schema.find_operation_by_label(f"{route.method} {route.path}")
    assert operation is not None, f"{route.method} {route.path} is not in the served /openapi.json"
    _loopback_only(monkeypatch)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        case.call_and_validate(
            base_url=served.base_url, session=http, auth=SignedRequest(), checks=CHECKS, timeout=30
        )

    try:
        fuzz()
    finally:
        # What a route may have changed for the routes after it: the webhook URL, injected faults.
        _restore(served.base_url)


def _restore(base_url: str) -> None:
    """The reference wallet as the webhook again, and no fault rules (not counted as fuzzing)."""
    for method, path, body in (
        ("POST", "/api/sandbox/webhook", b'{"url":null}'),
        ("DELETE", "/api/sandbox/faults", b""),
    ):
        headers = signing.headers(API_KEY, SECRET, int(time.time()), method, path, body)
        headers["Content-Type"] = "application/json"
        answer = requests.request(method, base_url + path, data=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text


def test_every_route_was_fuzzed(served):
    """Runs after the fuzz test (file order): each operation of the document got generated requests."""
    if not SENT:
        pytest.skip("runs after test_every_route_survives_fuzzing_and_answers_on_schema")
    document = requests.get(served.base_url + "/openapi.json", timeout=10).json()
    operations = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}
    fuzzed = {op for op in operations if any(_matches(op, sent) for sent in SENT)}
    assert fuzzed == operations, sorted(operations - fuzzed)
    assert not any(status >= 500 for status in STATUSES)
    print(
        f"\nfuzz: {sum(SENT.values())} requests over {len(operations)} operations; {dict(sorted(STATUSES.items()))}"
    )


def _matches(operation: str, sent: str) -> bool:
    method, template = operation.split(" ", 1)
    sent_method, path = sent.split(" ", 1)
    if method != sent_method:
        return False
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(w.startswith("{") or w == g for w, g in zip(want, got, strict=True))
