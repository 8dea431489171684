"""Log set-up: one line per event, as text or as JSON objects (--log-format)."""

from __future__ import annotations

import json
import logging
import sys

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


class JsonFormatter(logging.Formatter):
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


def setup(log_format: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("netspace_mock")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
