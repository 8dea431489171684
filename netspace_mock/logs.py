"""Log set-up: one line per event, as text or as JSON objects (--log-format)."""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
import sys

# The fields a request or webhook line carries (logger.info(..., extra=...)), shown in JSON lines.
EXTRA_FIELDS = (
    "method",
    "path",
    "status",
    "operator_id",
    "ms",
    "action",
    "transaction_id",
    "round_id",
    "outcome",
    "attempt",
    "replay",
    "warnings",
)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the extra fields it has, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, JSON_TIME_FORMAT),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: record.__dict__[name] for name in EXTRA_FIELDS if name in record.__dict__})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


class RecordQueueHandler(logging.handlers.QueueHandler):
    """Puts the record itself on the queue, unformatted: the listener's thread formats and writes it, so
    the event loop only makes the record. (QueueHandler.prepare formats on the caller's side and copies
    the record, to make it safe to pickle; this queue never leaves the process.) A record's arguments
    are plain values (strings, numbers, exceptions), so formatting them a moment later shows the same."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def setup(log_format: str, level: int = logging.INFO) -> logging.handlers.QueueListener:
    """Send the mock's lines to stderr through a queue: the formatting and the write, possibly to an
    unbuffered stream, are done by the listener's thread, not on the event loop. Stop the returned
    listener at exit (it writes the records still queued)."""
    # No line shows threads or processes: LogRecord need not look them up (the logging HOWTO's
    # "Optimization" section).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = RecordQueueHandler(records)
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(formatter(log_format))
    listener = logging.handlers.QueueListener(records, stream)
    listener.start()
    root = logging.getLogger("netspace_mock")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    return listener
