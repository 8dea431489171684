"""Starting the mock on a socket: used by `netspace-mock serve` and by the pytest plugin alike."""

from __future__ import annotations

import socket
import sqlite3

from aiohttp import web

from netspace_mock.app import create_app
from netspace_mock.settings import Settings


class CannotServe(Exception):
    pass


def _bind(host: str) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.bind(address)
    except OSError as exc:
        raise CannotServe(f"cannot listen on {host}:0: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


# Seconds a request in flight at shutdown gets to finish, and again once told to stop.
SHUTDOWN_GRACE = 5.0
# Seconds the rest of a body is still read (and dropped) after an early answer (413, 408), so the
# client sees the answer rather than a reset; aiohttp's own 10 s let a dripping client stay that long.
LINGER = 2.0


async def start(settings: Settings, **app_options) -> tuple[web.AppRunner, Settings]:
    """Serve the app; returns the runner (to clean up) and the settings with the port actually used."""
    sock = None
    if settings.port == 0:
        # Bind first, so that game_url and thumbnail links carry the port actually chosen, not 0.
        sock = _bind(settings.host)
        settings = settings.replace(port=sock.getsockname()[1])
    runner = web.AppRunner(
        create_app(settings, **app_options),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_GRACE,
        # The idle timer also runs while a request's headers arrive, so a connection that drips them
        # is closed too (aiohttp has no separate header timeout).
        keepalive_timeout=settings.idle_timeout,
        lingering_time=LINGER,
    )
    try:
        await runner.setup()
    except sqlite3.Error as exc:
        # A database file that cannot be opened or is not SQLite's: the setting is wrong, not the mock.
        if sock is not None:
            sock.close()
        raise CannotServe(f"cannot open the database {settings.db}: {exc}") from None
    site = web.SockSite(runner, sock) if sock else web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise CannotServe(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
        ) from None
    return runner, settings
