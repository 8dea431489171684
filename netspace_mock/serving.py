"""What the three HTTP sides (api/, web/, wallet/) share, so that none imports another's internals: the
app's platform key, JSON answers, the registration of a route, the request keys the journal reads (the
body as read, the ids a handler touched), and reading a request's body within the body timeout (a
client that sends its body a byte at a time is answered 408 and its connection closed, instead of
holding the connection for as long as it likes). app.py mounts the three sides."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from netspace_mock import jsonio
from netspace_mock.domain.journal import Touched
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import RequestTimeout

PLATFORM = web.AppKey("platform", Platform)
RAW_BODY = web.RequestKey("raw_body", bytes)  # the body as read by read_body, for the request journal
TOUCHED = web.RequestKey("touched", Touched)  # the ids a request touched, set by its handler


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=jsonio.dumps(payload), status=status, content_type="application/json")


def add(app: web.Application, method: str, path: str, handler, *, head: bool = True) -> None:
    """Register a route; a GET answers HEAD too unless `head` is False (the routes of the guide take
    exactly their method)."""
    if method == "GET" and head:
        app.router.add_get(path, handler)
    else:
        app.router.add_route(method, path, handler)


def _late(seconds: float) -> RequestTimeout:
    return RequestTimeout(
        f"the request body did not arrive within {seconds:g} s (setting body_timeout); "
        "send the whole body at once"
    )


async def read_body(request: web.Request, seconds: float) -> bytes:
    if request.content.is_eof():  # the whole body came with the headers: no wait to bound
        request[RAW_BODY] = await request.read()
    else:
        try:
            async with asyncio.timeout(seconds):
                request[RAW_BODY] = await request.read()
        except TimeoutError:
            raise _late(seconds) from None
    return request[RAW_BODY]


async def read_form(request: web.Request, seconds: float) -> MultiDictProxy:
    try:
        async with asyncio.timeout(seconds):
            return await request.post()
    except TimeoutError:
        raise _late(seconds) from None


def close_if_late(response: web.StreamResponse, err: Exception) -> web.StreamResponse:
    """The connection of a late body is closed after the answer: the rest of it is never read."""
    if isinstance(err, RequestTimeout):
        response.force_close()
    return response
