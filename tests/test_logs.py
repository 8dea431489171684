"""The log as operators read it: a text or JSON line per event, every line written, in order, with the
request's fields in JSON, and exceptions kept whole."""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import queue
import re
import sys

import pytest

from netspace_mock import logs

FIELDS = {"method": "GET", "path": "/api/games/catalog", "status": 200, "operator_id": 1, "ms": 0.42}
ARGS = ("GET", "/api/games/catalog", 200, " (replay of an earlier request)")


def request_record(**fields) -> logging.LogRecord:
    record = logging.LogRecord("netspace_mock.requests", logging.INFO, __file__, 1, "%s %s %s%s", ARGS, None)
    record.__dict__.update(FIELDS, **fields)
    return record


def test_the_text_line_shows_time_level_logger_and_message():
    line = logs.formatter("text").format(request_record())
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO netspace_mock\.requests: "
        r"GET /api/games/catalog 200 \(replay of an earlier request\)",
        line,
    )


def test_the_json_line_carries_the_request_fields():
    line = json.loads(logs.formatter("json").format(request_record(replay=True, secret="not shown")))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line.pop("time"))
    assert line == {
        "level": "info",
        "logger": "netspace_mock.requests",
        "message": "GET /api/games/catalog 200 (replay of an earlier request)",
        **FIELDS,
        "replay": True,
    }


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_exception_is_kept_whole(log_format):
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("netspace_mock", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = logs.formatter(log_format).format(record)
    if log_format == "json":
        line = json.loads(text)
        assert line["message"] == "failed" and "ValueError: boom" in line["exception"]
    else:
        assert "ERROR netspace_mock: failed" in text and "ValueError: boom" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_queue_writes_every_line_in_order_as_formatted(log_format):
    """What `setup` builds: the queue handler passes the record on, the listener's thread formats and
    writes it."""
    records: queue.SimpleQueue = queue.SimpleQueue()
    handler = logs.RecordQueueHandler(records)
    stream = io.StringIO()
    writer = logging.StreamHandler(stream)
    writer.setFormatter(logs.formatter(log_format))
    listener = logging.handlers.QueueListener(records, writer)
    listener.start()
    for n in range(500):
        handler.handle(request_record(status=n, msg="line %d", args=(n,)))
    listener.stop()
    written = stream.getvalue().splitlines()
    if log_format == "json":
        assert [(json.loads(w)["message"], json.loads(w)["status"]) for w in written] == [
            (f"line {n}", n) for n in range(500)
        ]
    else:
        assert [w.split(": ", 1)[1] for w in written] == [f"line {n}" for n in range(500)]


def _serving_logs(log_format: str):
    """logs.setup as `serve` calls it; returns what undoes it (stops the listener, which writes the rest)."""
    listener = logs.setup(log_format)

    def stop() -> None:
        listener.stop()
        logging.getLogger("netspace_mock").handlers[:] = []
        logging.getLogger("netspace_mock").propagate = True
        logging.getLogger("netspace_mock").setLevel(logging.NOTSET)

    return stop


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_exception_logged_on_the_loop_is_written_whole_by_the_listener(log_format, capsys):
    """The record crosses the queue with its exception; the listener's thread formats the traceback."""
    stop = _serving_logs(log_format)
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("netspace_mock").exception("failed on %s", "GET /x")
    finally:
        stop()
    written = capsys.readouterr().err
    if log_format == "json":
        line = json.loads(written)
        assert line["message"] == "failed on GET /x" and "ValueError: boom" in line["exception"]
        assert 'raise ValueError("boom")' in line["exception"]
    else:
        assert "ERROR netspace_mock: failed on GET /x" in written and "ValueError: boom" in written


def test_setup_sends_the_mock_s_lines_to_stderr(capsys):
    stop = _serving_logs("json")
    try:
        logging.getLogger("netspace_mock.requests").info("%s %s %s%s", *ARGS, extra=FIELDS)
    finally:
        stop()
    line = json.loads(capsys.readouterr().err)
    assert line["logger"] == "netspace_mock.requests" and line["status"] == 200


async def test_each_request_is_one_line_formatted_by_the_listener_with_its_fields(client, capsys):
    """A request through the app, as `serve` logs it: the pipeline's record, formatted by the listener."""
    headers = client.headers("GET", "/api/games/catalog")
    stop = _serving_logs("json")
    try:
        for _ in range(2):  # the same signed request twice: the second is a replay
            assert (await client.get("/api/games/catalog", headers=headers))[0] == 200
        assert (await client.client.get("/api/games/catalog")).status == 401  # unsigned
    finally:
        stop()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    requests = [line for line in lines if line["logger"] == "netspace_mock.requests"]
    for line in requests:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line.pop("time"))
        assert isinstance(line.pop("ms"), float)
    first = {"level": "info", "method": "GET", "path": "/api/games/catalog", "status": 200}
    assert requests == [
        {**first, "logger": "netspace_mock.requests", "message": "GET /api/games/catalog 200",
         "operator_id": 1, "replay": False},
        {**first, "logger": "netspace_mock.requests",
         "message": "GET /api/games/catalog 200 (replay of an earlier request)", "operator_id": 1,
         "replay": True},
        {"level": "info", "logger": "netspace_mock.requests", "message": "GET /api/games/catalog 401",
         "method": "GET", "path": "/api/games/catalog", "status": 401, "operator_id": None},
    ]  # fmt: skip


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)  # takes every record it is given: the logger's level decides
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_no_request_line_is_made_below_the_logger_s_level(client):
    requests = logging.getLogger("netspace_mock.requests")
    collected = Collected()
    requests.addHandler(collected)
    try:
        requests.setLevel(logging.WARNING)
        assert (await client.get("/api/games/catalog"))[0] == 200
        assert collected.records == []
        requests.setLevel(logging.INFO)
        assert (await client.get("/api/games/catalog"))[0] == 200
        assert [(r.path, r.status) for r in collected.records] == [("/api/games/catalog", 200)]
    finally:
        requests.removeHandler(collected)
        requests.setLevel(logging.NOTSET)
