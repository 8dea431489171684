"""The portal's limits on its callers: failed sign-ins per (client address, API key) and per address,
and operators registered per address.

Sign-in: the first FREE_FAILURES failures with one key from one address cost nothing; after that each
attempt with that key from that address must wait FIRST_WAIT seconds after its last failure, doubling up
to MAX_WAIT. Only a successful sign-in with that key from that address clears them; failures are
forgotten after FAILURE_MEMORY seconds. Whatever the keys, ADDRESS_FAILURES failures from one address
within FAILURE_MEMORY stop its attempts until the oldest of them is forgotten. Registration: at most
`registration_limit` operators per address within REGISTRATION_WINDOW seconds.

Times are the platform's (`clock.now()`), never an operator's sandbox clock, which its operator can
move forward through the API.
"""

from __future__ import annotations

import hashlib
import math
from contextlib import AbstractAsyncContextManager

from netspace_mock.domain.platform import Platform
from netspace_mock.store import portal_limits as store

FREE_FAILURES = 3
FIRST_WAIT = 2.0
MAX_WAIT = 60.0
FAILURE_MEMORY = 15 * 60
ADDRESS_FAILURES = 30
REGISTRATION_WINDOW = 3600
KEY_LIMIT = 200  # characters of an API key typed into the sign-in form (its field's maxlength)


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def wait_after(failures: int) -> float:
    """Seconds after its last failure before a key may be tried again from the same address."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_WAIT, FIRST_WAIT * 2 ** (failures - FREE_FAILURES))


def _until(moment: float, now: float) -> int:
    return max(0, math.ceil(moment - now))


def sign_ins_from(platform: Platform, client: str) -> AbstractAsyncContextManager[None]:
    """Held while one sign-in from this address is checked and its outcome recorded: attempts sent at
    once are checked one after the other, so none slips past a wait the one before it started."""
    return platform.locks.hold(("portal sign-in", client))


def registrations_from(platform: Platform, client: str) -> AbstractAsyncContextManager[None]:
    """Held while one registration from this address is checked, made and counted: registrations sent at
    once are counted one after the other, so none slips past the limit."""
    return platform.locks.hold(("portal registration", client))


async def address_wait(platform: Platform, client: str) -> int:
    """Whole seconds until this address is below ADDRESS_FAILURES failures again (0: it is now)."""
    now = platform.clock.now()
    nth = await store.nth_newest_failure(platform.db, client, ADDRESS_FAILURES, now - FAILURE_MEMORY)
    return 0 if nth is None else _until(nth + FAILURE_MEMORY, now)


async def key_wait(platform: Platform, client: str, api_key: str) -> int:
    """Whole seconds before this key may be tried again from this address (0: it may be now)."""
    now = platform.clock.now()
    failures, last = await store.key_failures(platform.db, client, key_hash(api_key), now - FAILURE_MEMORY)
    return 0 if last is None else _until(last + wait_after(failures), now)


async def record_failure(platform: Platform, client: str, api_key: str) -> None:
    now = platform.clock.now()
    await store.record_failure(platform.db, client, key_hash(api_key), now, now - FAILURE_MEMORY)


async def forget_failures(platform: Platform, client: str, api_key: str) -> None:
    """After a successful sign-in: that key's failures from that address, and no others."""
    await store.forget_failures(platform.db, client, key_hash(api_key))


async def registration_wait(platform: Platform, client: str) -> int:
    """Whole seconds before this address may register another operator (0: it may now)."""
    now = platform.clock.now()
    limit = platform.settings.registration_limit
    nth = await store.nth_newest_registration(platform.db, client, limit, now - REGISTRATION_WINDOW)
    return 0 if nth is None else _until(nth + REGISTRATION_WINDOW, now)


async def record_registration(platform: Platform, client: str) -> None:
    now = platform.clock.now()
    await store.record_registration(platform.db, client, now, now - REGISTRATION_WINDOW)
