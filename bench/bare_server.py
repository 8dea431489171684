"""The ceiling: a bare aiohttp app answering one route with fixed bytes (and GET /health), nothing else.

Usage: bare_server.py PORT METHOD PATH BODY_FILE CONTENT_TYPE. A request's body is read and discarded, so
the ceiling of a POST pays what any server must (receiving it) and nothing the mock does with it.
"""

import sys
from pathlib import Path

from aiohttp import web


def main(port: str, method: str, path: str, body_file: str, content_type: str) -> None:
    body = Path(body_file).read_bytes()

    async def fixed(request: web.Request) -> web.Response:
        if request.body_exists:
            await request.read()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_route(method, path, fixed)
    app.router.add_get("/health", lambda request: fixed(request))
    web.run_app(app, host="127.0.0.1", port=int(port), access_log=None, print=None)


if __name__ == "__main__":
    main(*sys.argv[1:])
