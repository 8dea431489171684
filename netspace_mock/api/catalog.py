"""Handlers of /api/games/*: catalog with filters, one game, categories, featured.

The catalog does not change while the mock serves: the catalog, categories and featured routes are
`static` (their answers are kept encoded per query string by the pipeline).
"""

from __future__ import annotations

from typing import Any

from netspace_mock.api.call import Call
from netspace_mock.domain import jackpots
from netspace_mock.domain.catalog import CatalogQuery
from netspace_mock.errors import InvalidRequest, NotFound


async def catalog(call: Call) -> dict[str, Any]:
    query = CatalogQuery(**call.query)
    if query.category is not None and query.category not in call.platform.catalog.category_ids:
        raise InvalidRequest.at(
            "$.category", "unknown category; one of: " + ", ".join(call.platform.catalog.category_ids)
        )

    games, pagination = call.platform.catalog.search(query)
    return {"games": games, "pagination": pagination}


async def game(call: Call) -> dict[str, Any]:
    found = call.platform.catalog.get(call.params["gameId"])
    if found is None:
        raise NotFound(
            f"game {call.params['gameId'][:128]!r} does not exist; GET /api/games/catalog lists the games"
        )
    if found["has_jackpot"]:
        return {"game": {**found, "jackpot": await jackpots.for_game(call.platform, call.operator)}}
    return {"game": found}


async def categories(call: Call) -> dict[str, Any]:
    return {"categories": call.platform.catalog.categories}


async def featured(call: Call) -> dict[str, Any]:
    return {"games": call.platform.catalog.featured()}
