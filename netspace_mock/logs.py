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


class FormattedQueueHandler(logging.handlers.QueueHandler):
    """Formats on the caller's side, so the listener only writes the finished line: a JSON line keeps its
    fields and its exception as a field (QueueHandler.prepare would fold the traceback into the message).
    The record itself carries the line (as QueueHandler.prepare does it), sparing a second record."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg = self.format(record)
        record.args = record.exc_info = record.exc_text = record.stack_info = None
        return record


def setup(log_format: str, level: int = logging.INFO) -> logging.handlers.QueueListener:
    """Send the mock's lines to stderr through a queue: the write, possibly to an unbuffered stream, is
    done by the listener's thread, not on the event loop. Stop the returned listener at exit."""
    # No line shows threads or processes: LogRecord need not look them up (the logging HOWTO's
    # "Optimization" section).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = FormattedQueueHandler(lines)
    handler.setFormatter(formatter(log_format))
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(message)s"))
    listener = logging.handlers.QueueListener(lines, stream)
    listener.start()
    root = logging.getLogger("netspace_mock")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    return listener
