"""The portal's limits on its callers: at most `registration_limit` operators registered per client
address within REGISTRATION_WINDOW seconds.

Times are the real time (the clock's `signing_now`), never the sandbox clock, which any operator can
move forward through the API.
"""

from __future__ import annotations

import math
from contextlib import AbstractAsyncContextManager

from netspace_mock.domain.platform import Platform
from netspace_mock.store import portal_limits as store

REGISTRATION_WINDOW = 3600


def _until(moment: float, now: float) -> int:
    return max(0, math.ceil(moment - now))


def registrations_from(platform: Platform, client: str) -> AbstractAsyncContextManager[None]:
    """Held while one registration from this address is checked, made and counted: registrations sent at
    once are counted one after the other, so none slips past the limit."""
    return platform.locks.hold(("portal registration", client))


async def registration_wait(platform: Platform, client: str) -> int:
    """Whole seconds before this address may register another operator (0: it may now)."""
    now = platform.clock.signing_now()
    limit = platform.settings.registration_limit
    nth = await store.nth_newest_registration(platform.db, client, limit, now - REGISTRATION_WINDOW)
    return 0 if nth is None else _until(nth + REGISTRATION_WINDOW, now)


async def record_registration(platform: Platform, client: str) -> None:
    now = platform.clock.signing_now()
    await store.record_registration(platform.db, client, now, now - REGISTRATION_WINDOW)
