"""The Partners Portal at /portal: to be built."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Registers the portal's routes."""
