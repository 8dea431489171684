"""The game catalog: games, categories and the catalog filters, held in memory after loading from SQLite."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from netspace_mock.paths import fixture


@dataclass(frozen=True)
class CatalogQuery:
    category: str | None = None
    search: str | None = None
    currency: str | None = None
    language: str | None = None
    featured: bool | None = None
    page: int = 1
    per_page: int = 20


class Catalog:
    def __init__(self, games: list[dict[str, Any]], base_url: str) -> None:
        self.games = [self._public(g, base_url) for g in games]
        self.by_id = {g["id"]: g for g in self.games}
        self.categories = [
            {**c, "game_count": sum(1 for g in self.games if g["category"] == c["id"])}
            for c in fixture("categories")
        ]
        self.category_ids = [c["id"] for c in self.categories]

    @staticmethod
    def _public(game: dict[str, Any], base_url: str) -> dict[str, Any]:
        return {**game, "thumbnail_url": f"{base_url}/assets/thumbnails/{game['id']}.svg"}

    def get(self, game_id: str) -> dict[str, Any] | None:
        return self.by_id.get(game_id)

    def featured(self) -> list[dict[str, Any]]:
        return [g for g in self.games if g["featured"]]

    def search(self, q: CatalogQuery) -> tuple[list[dict[str, Any]], dict[str, int]]:
        needle = q.search.casefold() if q.search else None
        found = [
            g
            for g in self.games
            if (q.category is None or g["category"] == q.category)
            and (needle is None or needle in g["name"].casefold())
            and (q.currency is None or q.currency in g["currencies"])
            and (q.language is None or q.language in g["languages"])
            and (q.featured is None or g["featured"] == q.featured)
        ]
        start = (q.page - 1) * q.per_page
        pagination = {
            "page": q.page,
            "per_page": q.per_page,
            "total": len(found),
            "total_pages": math.ceil(len(found) / q.per_page),
        }
        return found[start : start + q.per_page], pagination
