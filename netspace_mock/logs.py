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


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SecondCachedFormatter(logging.Formatter):
    """formatTime renders the date and time once per second, not once per line (strftime cost 2% of a
    catalog request's CPU); the milliseconds are appended as logging.Formatter does. With TEXT_FORMAT, a
    line without an exception is put together directly, to the same text logging.Formatter makes, and
    `direct` says that request lines can be written without a record (see info_line)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._second: tuple[int, str | None, str] = (-1, None, "")
        self.direct = self._fmt == TEXT_FORMAT

    def format(self, record: logging.LogRecord) -> str:
        if not self.direct or record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        return self.line(record.asctime, record.levelname, record.name, record.message, record.__dict__)

    line_datefmt: str | None = None  # the date format of a line's time (None: with milliseconds)

    def line_at(self, created: float, levelname: str, name: str, message: str, fields: dict) -> str:
        """The line format() makes of a record without an exception, from its parts."""
        asctime = self.clock(created, _msecs(created), self.line_datefmt)
        return self.line(asctime, levelname, name, message, fields)

    def line(self, asctime: str, levelname: str, name: str, message: str, fields: dict) -> str:
        """One line of TEXT_FORMAT (the fields are not shown in text)."""
        return f"{asctime} {levelname} {name}: {message}"

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return self.clock(record.created, record.msecs, datefmt)

    def clock(self, created: float, msecs: float, datefmt: str | None = None) -> str:
        second = int(created)
        cached_second, cached_fmt, text = self._second
        if second != cached_second or datefmt != cached_fmt:
            text = time.strftime(datefmt or self.default_time_format, self.converter(created))
            self._second = (second, datefmt, text)
        if datefmt:
            return text
        return self.default_msec_format % (text, msecs)


class JsonFormatter(SecondCachedFormatter):
    line_datefmt = "%Y-%m-%dT%H:%M:%S"

    def __init__(self) -> None:
        super().__init__()
        self.direct = True

    def format(self, record: logging.LogRecord) -> str:
        asctime = self.formatTime(record, self.line_datefmt)
        exception = self.formatException(record.exc_info) if record.exc_info else None
        return self.line(
            asctime, record.levelname, record.name, record.getMessage(), record.__dict__, exception
        )

    def line(
        self,
        asctime: str,
        levelname: str,
        name: str,
        message: str,
        fields: dict,
        exception: str | None = None,
    ) -> str:
        line = {"time": asctime, "level": levelname.lower(), "logger": name, "message": message}
        line.update({k: fields[k] for k in EXTRA_FIELDS if k in fields})
        if exception:
            line["exception"] = exception
        return json.dumps(line, ensure_ascii=False)


def _msecs(created: float) -> float:
    """The milliseconds of a time, as LogRecord computes them."""
    return int((created - int(created)) * 1000) + 0.0


class RequestRecord(logging.LogRecord):
    """A request log line's record, made directly: LogRecord.__init__ fills in what no request line
    shows (the caller's file and function, thread and process names), 2-3 µs a request. Handlers,
    formatters and filters see an ordinary LogRecord."""

    def __init__(self, name: str, msg: str, args: tuple, fields: dict) -> None:  # noqa: PLW0231
        created = time.time()
        self.__dict__.update(fields)
        self.name, self.msg, self.args = name, msg, args
        self.levelname, self.levelno = "INFO", logging.INFO
        self.pathname, self.filename, self.module, self.lineno, self.funcName = "", "", "", 0, None
        self.created, self.msecs = created, _msecs(created)
        self.relativeCreated = (created - logging._startTime) * 1000
        self.exc_info = self.exc_text = self.stack_info = None
        self.thread = self.threadName = self.process = self.processName = self.taskName = None


def info_line(logger: logging.Logger, msg: str, args: tuple, fields: dict) -> None:
    """logger.info(msg, *args, extra=fields), for the one line every request writes.

    When the line can only end in the mock's own handler (set up by `setup`: no filter anywhere, no other
    handler on the way), it is formatted and kept directly, the same text without a LogRecord or the
    handler chain: that chain was most of what the log line cost, about 12 µs a request in the server
    (the signed catalog answers 16,500 req/s without a log line, 13,800 with one). Otherwise (tests'
    caplog, an application's own handlers) it goes through logging."""
    if not logger.isEnabledFor(logging.INFO):
        return
    handler = _sole_handler(logger)
    if handler is None:
        logger.handle(RequestRecord(logger.name, msg, args, fields))
    else:
        handler.keep_line(logger.name, msg % args, fields)


def _sole_handler(logger: logging.Logger) -> BatchedStreamHandler | None:
    if logger.handlers or logger.filters or not logger.propagate:
        return None
    parent = logger.parent
    if parent is None or parent.filters or parent.propagate or len(parent.handlers) != 1:
        return None
    handler = parent.handlers[0]
    if type(handler) is not BatchedStreamHandler or handler.filters or handler.level > logging.INFO:
        return None
    formatter = handler.formatter
    if not isinstance(formatter, SecondCachedFormatter) or not formatter.direct:
        return None
    return handler


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

    def keep_line(self, name: str, message: str, fields: dict) -> None:
        """An INFO line formatted by this handler's formatter from its parts (see info_line)."""
        formatter: SecondCachedFormatter = self.formatter  # type: ignore[assignment]
        line = formatter.line_at(time.time(), "INFO", name, message, fields)
        with self.lock:
            self._pending.append(line)
            if time.monotonic() - self._flushed > self.FLUSH_EVERY:
                self.flush()

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
        handler.setFormatter(SecondCachedFormatter(TEXT_FORMAT))
    root = logging.getLogger("netspace_mock")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
