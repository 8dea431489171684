"""Reading a request's body within the body timeout: a client that sends its body a byte at a time is
answered 408 and its connection closed, instead of holding the connection for as long as it likes."""

from __future__ import annotations

import asyncio

from aiohttp import web
from multidict import MultiDictProxy

from netspace_mock.errors import RequestTimeout


def _late(seconds: float) -> RequestTimeout:
    return RequestTimeout(
        f"the request body did not arrive within {seconds:g} s (setting body_timeout); "
        "send the whole body at once"
    )


async def read(request: web.Request, seconds: float) -> bytes:
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except TimeoutError:
        raise _late(seconds) from None


async def form(request: web.Request, seconds: float) -> MultiDictProxy:
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
