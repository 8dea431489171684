"""Log set-up: one line per event, as text or as JSON objects (--log-format)."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time

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


class SecondCachedFormatter(logging.Formatter):
    """formatTime renders the date and time once per second, not once per line (strftime cost 2% of a
    catalog request's CPU); the milliseconds are appended as logging.Formatter does."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._second: tuple[int, str | None, str] = (-1, None, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        second = int(record.created)
        cached_second, cached_fmt, text = self._second
        if second != cached_second or datefmt != cached_fmt:
            text = time.strftime(datefmt or self.default_time_format, self.converter(record.created))
            self._second = (second, datefmt, text)
        if datefmt:
            return text
        return self.default_msec_format % (text, record.msecs)


class JsonFormatter(SecondCachedFormatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: getattr(record, k) for k in EXTRA_FIELDS if hasattr(record, k)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class BatchedStreamHandler(logging.StreamHandler):
    """Keeps the lines it is given and writes them together, at most every FLUSH_EVERY seconds (and at
    once for warnings and errors, and at exit): a write per request line is a system call on the hot
    path, and the stream itself may be unbuffered (PYTHONUNBUFFERED=1, common in containers, made every
    line one write(2): 4% of a catalog request's CPU). A daemon thread flushes what an idle server still
    holds, so `tail -f` never waits longer than that."""

    FLUSH_EVERY = 0.25

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._flushed = time.monotonic()
        threading.Thread(target=self._flush_forever, name="log-flush", daemon=True).start()

    def flush(self) -> None:
        with self.lock:  # an RLock: emit() calls this while logging holds it
            self._flushed = time.monotonic()
            if self._pending:
                lines, self._pending = self._pending, []
                self.stream.write(self.terminator.join(lines) + self.terminator)
            super().flush()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._pending.append(self.format(record))
            if record.levelno >= logging.WARNING or time.monotonic() - self._flushed > self.FLUSH_EVERY:
                self.flush()
        except Exception:
            self.handleError(record)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.FLUSH_EVERY)
            if time.monotonic() - self._flushed > self.FLUSH_EVERY:
                self.flush()


def setup(log_format: str, level: int = logging.INFO) -> None:
    # No line shows threads or processes: skip looking them up for every record.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # No line shows the caller's file and line either: skip walking the stack for them (the logging
    # HOWTO's "Optimization" section; findCaller cost 3% of a catalog request's CPU).
    logging._srcfile = None
    handler = BatchedStreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(SecondCachedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("netspace_mock")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
