"""Static assets served as files: the guide's JavaScript SDK at /sdk/netspace-sdk.js."""

from __future__ import annotations

from functools import cache
from importlib import resources

from aiohttp import web


@cache
def _sdk_source() -> bytes:
    # Read once, from the installed package (a wheel ships it as package data).
    return resources.files("netspace_mock.web").joinpath("static/sdk/netspace-sdk.js").read_bytes()


async def sdk(request: web.Request) -> web.Response:
    """The JavaScript SDK of the guide's quick start; pass `baseUrl` to point it at this mock."""
    return web.Response(
        body=_sdk_source(),
        content_type="application/javascript",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )
