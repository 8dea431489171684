"""Unsigned routes: health, the OpenAPI document, the schemas, game thumbnails."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

from netspace_mock import __version__, schemas
from netspace_mock.api.call import Route
from netspace_mock.api.openapi import document
from netspace_mock.errors import NotFound
from netspace_mock.serving import PLATFORM, json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def health(request: web.Request) -> web.Response:
    # Handlers run only after the startup context opened and migrated the database.
    return json_response({"status": "ok", "version": __version__})


def openapi(routes: list[Route]) -> Handler:
    """GET /openapi.json: the document of these routes (the route table passes itself in)."""

    async def handler(request: web.Request) -> web.Response:
        return json_response(document(routes, request.app[PLATFORM].settings.base_url))

    return handler


async def schema(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    doc = schemas.documents().get(name)
    if doc is None:
        raise NotFound(
            f"no schema named {name[:128]!r}; GET /openapi.json lists them under components.schemas"
        )
    return web.Response(
        text=json.dumps(doc, ensure_ascii=False, indent=2), content_type="application/schema+json"
    )


async def thumbnail(request: web.Request) -> web.Response:
    game = request.app[PLATFORM].catalog.get(request.match_info["game_id"])
    if game is None:
        raise NotFound("no such game")
    hue = int(hashlib.sha256(game["id"].encode()).hexdigest()[:4], 16) % 360
    initials = "".join(word[0] for word in game["name"].split()[:2]).upper()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" viewBox="0 0 320 200">'
        f'<rect width="320" height="200" rx="16" fill="hsl({hue},55%,32%)"/>'
        f'<text x="160" y="112" font-family="sans-serif" font-size="64" font-weight="700" fill="#fff" '
        f'text-anchor="middle">{escape(initials)}</text>'
        f'<text x="160" y="170" font-family="sans-serif" font-size="20" fill="#fff" text-anchor="middle">'
        f"{escape(game['name'])}</text></svg>"
    )
    return web.Response(text=svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
