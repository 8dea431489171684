"""The ceiling: a bare aiohttp app answering one GET route with fixed bytes, nothing else.

Usage: bare_server.py PORT PATH BODY_FILE [CONTENT_TYPE]. Also answers GET /health for the readiness check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web


def make_app(path: str, body: bytes, content_type: str) -> web.Application:
    async def fixed(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type)

    async def health(request: web.Request) -> web.Response:
        return web.Response(body=b'{"status":"ok"}', content_type="application/json")

    app = web.Application()
    app.router.add_get(path, fixed)
    app.router.add_get("/health", health)
    return app


def main(argv: list[str]) -> None:
    port, path, body_file = int(argv[0]), argv[1], Path(argv[2])
    content_type = argv[3] if len(argv) > 3 else "application/json"
    app = make_app(path, body_file.read_bytes(), content_type)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
