"""`python -m netspace_mock.healthcheck`: exit 0 when the mock configured by NETSPACE_MOCK_* answers /health.

The container's HEALTHCHECK: plain Python (no curl in a slim image), following the configured port.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

WILDCARDS = ("", "0.0.0.0", "::")


def url(environ: dict[str, str] | os._Environ = os.environ) -> str:
    host = environ.get("NETSPACE_MOCK_HOST") or "127.0.0.1"
    host = "127.0.0.1" if host in WILDCARDS else host
    port = environ.get("NETSPACE_MOCK_PORT") or "8080"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/health"


def main() -> int:
    try:
        with urllib.request.urlopen(url(), timeout=3) as answer:
            healthy = answer.status == 200 and json.load(answer).get("status") == "ok"
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
