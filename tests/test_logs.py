"""The log's fast paths write exactly what logging itself writes, and the batched handler loses no line.

The request line is built as a RequestRecord (not through Logger.info) and the text format is put
together directly; both must be indistinguishable from the standard path, for every format.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys

import pytest

from netspace_mock import logs

FIELDS = {"method": "GET", "path": "/api/games/catalog", "status": 200, "operator_id": 1, "ms": 0.42}
ARGS = ("GET", "/api/games/catalog", 200, " (replay of an earlier request)")


def standard_record(created: float) -> logging.LogRecord:
    record = logging.LogRecord("netspace_mock.requests", logging.INFO, __file__, 1, "%s %s %s%s", ARGS, None)
    record.__dict__.update(FIELDS)
    record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
    return record


def fast_record(created: float) -> logs.RequestRecord:
    record = logs.RequestRecord("netspace_mock.requests", "%s %s %s%s", ARGS, FIELDS)
    record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
    return record


@pytest.mark.parametrize("created", [1_796_000_000.0, 1_796_000_000.999, 1_796_000_001.0405])
def test_the_text_line_is_what_logging_formatter_writes(created):
    reference = logging.Formatter(logs.TEXT_FORMAT)
    ours = logs.SecondCachedFormatter(logs.TEXT_FORMAT)
    expected = reference.format(standard_record(created))
    assert ours.format(standard_record(created)) == expected
    assert ours.format(fast_record(created)) == expected
    assert expected.endswith(
        "INFO netspace_mock.requests: GET /api/games/catalog 200 (replay of an earlier request)"
    )


def test_a_line_from_its_parts_is_what_logging_formatter_writes_at_any_moment():
    """line_at keeps the part before the message for one millisecond, level and logger: lines in the
    same millisecond, across its boundaries and the second's, and for another level or logger each
    match logging.Formatter's, in any order."""
    reference = logging.Formatter(logs.TEXT_FORMAT)
    ours = logs.SecondCachedFormatter(logs.TEXT_FORMAT)
    moments = [1_796_000_000.0, 1_796_000_000.0004, 1_796_000_000.0009, 1_796_000_000.001, 1_796_000_000.999,
               1_796_000_000.9999, 1_796_000_001.0, 1_796_000_000.0004, 1_796_086_400.5]  # fmt: skip
    for created in moments:
        for level, name in (("INFO", "netspace_mock.requests"), ("WARNING", "netspace_mock.webhooks")):
            record = logging.LogRecord(name, logging.getLevelName(level), __file__, 1, "m %s", ("é",), None)
            record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
            assert ours.line_at(created, level, name, "m é", {}) == reference.format(record)


def test_the_json_line_is_the_same_for_either_record():
    formatter = logs.JsonFormatter()
    standard = json.loads(formatter.format(standard_record(1_796_000_000.5)))
    fast = json.loads(formatter.format(fast_record(1_796_000_000.5)))
    assert fast == standard
    assert fast["method"] == "GET" and fast["status"] == 200 and fast["level"] == "info"


def test_an_exception_still_goes_through_the_standard_format():
    formatter = logs.SecondCachedFormatter(logs.TEXT_FORMAT)
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("netspace_mock", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = formatter.format(record)
    assert "ERROR netspace_mock: failed" in text and "ValueError: boom" in text


def test_info_line_reaches_handlers_and_filters_like_logger_info():
    logger = logging.getLogger("netspace_mock.test_info_line")
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Keep()
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.setLevel(logging.WARNING)
        logs.info_line(logger, "%s", ("dropped",), {})
        assert seen == []  # below the logger's level: nothing is built or sent
        logger.setLevel(logging.INFO)
        logger.addFilter(lambda record: record.getMessage() != "filtered")
        logs.info_line(logger, "%s", ("filtered",), {})
        logs.info_line(logger, "%s %s", ("GET", "/x"), {"status": 204})
    finally:
        logger.removeHandler(handler)
    assert [(r.getMessage(), r.status, r.levelname) for r in seen] == [("GET /x", 204, "INFO")]


def test_the_batched_handler_writes_every_line_in_order_once_flushed():
    stream = io.StringIO()
    handler = logs.BatchedStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for n in range(1000):
        handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, "line %d", (n,), None))
    handler.handle(logging.LogRecord("x", logging.WARNING, __file__, 1, "a warning", (), None))
    # A warning flushes at once, with everything before it.
    assert stream.getvalue().splitlines() == [f"line {n}" for n in range(1000)] + ["a warning"]


@pytest.fixture
def served_logger():
    """A logger tree as `logs.setup` builds it for `serve`: the handler on the parent, nothing else."""
    parent = logging.getLogger("netspace_mock_direct_test")
    child = logging.getLogger("netspace_mock_direct_test.requests")
    stream = io.StringIO()
    handler = logs.BatchedStreamHandler(stream)
    parent.handlers[:] = [handler]
    parent.setLevel(logging.INFO)
    parent.propagate = False
    yield child, handler, stream
    parent.handlers[:] = []
    child.filters[:] = []


@pytest.mark.parametrize("formatter", [logs.SecondCachedFormatter(logs.TEXT_FORMAT), logs.JsonFormatter()])
def test_the_direct_request_line_is_the_line_logging_would_write(served_logger, formatter):
    child, handler, stream = served_logger
    handler.setFormatter(formatter)
    child.parent.handlers[:] = [handler]  # pytest's log capture adds its own handlers while a test runs
    assert logs._sole_handler(child) is handler
    logs.info_line(child, "%s %s %s%s", ARGS, FIELDS)  # direct
    handler.handle(logs.RequestRecord(child.name, "%s %s %s%s", ARGS, FIELDS))  # through the record
    handler.flush()
    direct, standard = stream.getvalue().splitlines()
    if isinstance(formatter, logs.JsonFormatter):
        direct, standard = json.loads(direct), json.loads(standard)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", direct.pop("time"))
        standard.pop("time")
    else:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", direct[:23])
        direct, standard = direct[23:], standard[23:]
    assert direct == standard


def test_a_filter_or_another_handler_takes_the_line_through_logging(served_logger):
    child, handler, stream = served_logger
    handler.setFormatter(logs.SecondCachedFormatter(logs.TEXT_FORMAT))
    child.parent.handlers[:] = [handler]
    child.addFilter(lambda record: "secret" not in record.getMessage())
    assert logs._sole_handler(child) is None
    logs.info_line(child, "%s", ("a secret",), {})
    logs.info_line(child, "%s", ("kept",), {})
    child.filters[:] = []
    extra = logging.Handler()
    child.addHandler(extra)
    try:
        assert logs._sole_handler(child) is None
    finally:
        child.removeHandler(extra)
    handler.flush()
    assert [line.split(": ", 1)[1] for line in stream.getvalue().splitlines()] == ["kept"]
