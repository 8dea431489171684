"""The ceiling: a bare aiohttp app answering one route with fixed bytes, nothing else.

Usage: bare_server.py PORT PATH BODY_FILE [CONTENT_TYPE] [--method GET|POST]. Also answers GET /health
for the readiness check. With `--method POST` it reads the whole request body and discards it, so that
the ceiling of a POST pays what any server must (receiving the body) and nothing the mock does with it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aiohttp import web

METHODS = ("GET", "POST")


def make_app(path: str, body: bytes, content_type: str, method: str = "GET") -> web.Application:
    async def fixed(request: web.Request) -> web.Response:
        if request.body_exists:
            await request.read()
        return web.Response(body=body, headers={"Content-Type": content_type})  # as given, charset and all

    async def health(request: web.Request) -> web.Response:
        return web.Response(body=b'{"status":"ok"}', content_type="application/json")

    app = web.Application()
    app.router.add_route(method, path, fixed)
    app.router.add_get("/health", health)
    return app


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("body_file", type=Path)
    parser.add_argument("content_type", nargs="?", default="application/json")
    parser.add_argument("--method", choices=METHODS, default="GET", help="method of PATH (default GET)")
    args = parser.parse_args(argv)
    if not args.path.startswith("/"):
        parser.error(f"PATH must start with '/', got {args.path!r}")
    app = make_app(args.path, args.body_file.read_bytes(), args.content_type, args.method)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
