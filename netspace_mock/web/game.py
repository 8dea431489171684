"""The playable game page at /play/{token}: to be built."""

from __future__ import annotations

from aiohttp import web

from netspace_mock.errors import NotImplementedYet


async def play(request: web.Request) -> web.Response:
    raise NotImplementedYet(
        "the playable game page is not implemented in this version yet; the session is valid and can be "
        "played through POST /api/sandbox/game/bet"
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/play/{token}", play)
