"""Game sessions: launch (real, sandbox, demo), relaunch rules, expiry, and the game_url they open."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest, InvalidSession, NotFound
from netspace_mock.sources import iso
from netspace_mock.store import sessions as store
from netspace_mock.store.operators import Operator
from netspace_mock.store.sessions import Session


def require_game(platform: Platform, game_id: str, currency: str, language: str) -> dict[str, Any]:
    game = platform.catalog.get(game_id)
    if game is None:
        raise NotFound(
            f"game {game_id!r} does not exist; GET /api/games/catalog lists the games",
            details={"errors": [{"path": "$.game_id", "message": "unknown game"}]},
        )
    if currency not in game["currencies"]:
        raise InvalidRequest.at(
            "$.currency",
            f"game {game_id!r} does not support {currency}; it supports " + ", ".join(game["currencies"]),
        )
    if language not in game["languages"]:
        raise InvalidRequest.at(
            "$.language",
            f"game {game_id!r} is not available in {language!r}; it is in " + ", ".join(game["languages"]),
        )
    return game


def _check_client_ip(value: str | None) -> None:
    if value is None:
        return
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise InvalidRequest.at("$.client_ip", "must be an IPv4 or IPv6 address") from None


def game_url(platform: Platform, rowid: int, session: Session) -> str:
    """The link that opens `session`, stored at `rowid`, with a fresh launch token (domain.launch_tokens)."""
    return f"{platform.settings.base_url}/play/{platform.tokens.make(platform.ids.order(), rowid, session)}"


async def launch(platform: Platform, operator: Operator, body: dict[str, Any], kind: str) -> dict[str, Any]:
    """POST /api/game/launch and /api/sandbox/game/launch: create or relaunch a real-money session."""
    language = body.get("language", "en")
    require_game(platform, body["game_id"], body["currency"], language)
    _check_client_ip(body.get("client_ip"))
    now = platform.clock.operator_now(operator.id)
    wanted = Session(
        operator_id=operator.id,
        session_id=body["session_id"],
        player_id=body["player_id"],
        game_id=body["game_id"],
        currency=body["currency"],
        language=language,
        return_url=body.get("return_url"),
        client_ip=body.get("client_ip"),
        kind=kind,
        demo_balance=None,
        created_at=now,
        expires_at=now + platform.settings.session_ttl,
    )

    def compatible(stored: Session) -> bool:
        return (stored.player_id, stored.currency, stored.kind) == (
            wanted.player_id,
            wanted.currency,
            kind,
        ) and (stored.expires_at > now)

    rowid, stored, existed = await _create_or_relaunch(
        platform, wanted, platform.ids.order(), iso(now), compatible
    )
    if existed and not compatible(stored):
        raise InvalidSession(_conflict(stored, wanted, now), details={"session_id": stored.session_id})
    return {
        "game_url": game_url(platform, rowid, stored),
        "session_id": stored.session_id,
        "expires_at": iso(stored.expires_at),
    }


async def _create_or_relaunch(
    platform: Platform, session: Session, rowid: int, seen_at: str, compatible: Callable[[Session], bool]
) -> tuple[int, Session, bool]:
    """Create the session at `rowid`, or relaunch the stored one: its rowid, the session as stored and
    whether it existed already.

    A stored session that is not `compatible` with the request is returned untouched and nothing is
    written. A launch is the platform's busiest write, so it writes only what changes: a relaunch that
    changes nothing writes the player's last visit alone (one statement), one that opens another game,
    language, return_url or client_ip updates the session too."""
    key = (session.operator_id, session.session_id)
    while True:
        found = await _stored(platform, key)
        if found is None:
            new = (rowid, session)
            if await _write(platform, key, new, store.create(platform.db, session, rowid, seen_at)):
                return rowid, session, False
            continue  # a concurrent launch created it first
        stored_at, stored = found
        if not compatible(stored):
            return stored_at, stored, True
        # A relaunch may open another game or language in the same session.
        changed = stored._replace(
            game_id=session.game_id,
            language=session.language,
            return_url=session.return_url or stored.return_url,
            client_ip=session.client_ip or stored.client_ip,
        )
        if changed == stored:
            break
        new = (stored_at, changed)
        if await _write(platform, key, new, store.relaunch(platform.db, stored, changed, seen_at)):
            return stored_at, changed, True
        # A sandbox reset deleted the session meanwhile: the launch creates it anew.
    if stored.kind != "demo":
        await store.seen(platform.db, stored.operator_id, stored.player_id, seen_at)
    return stored_at, stored, True


async def _stored(platform: Platform, key: tuple[int, str]) -> tuple[int, Session] | None:
    """The session with its rowid, from the platform's cache or else the database (domain.session_cache)."""
    found = platform.sessions.get(key)
    if found is None:
        epoch = platform.sessions.epoch
        found = await store.get_stored(platform.db, *key)
        if found is not None:
            platform.sessions.fill(key, found, epoch)
    return found


async def _write(
    platform: Platform, key: tuple[int, str], entry: tuple[int, Session], write: Awaitable[bool | None]
) -> bool:
    """Await a write of one session and keep the session as committed; False when `write` wrote nothing.
    Nothing is awaited between the write's COMMIT and the cache's update (domain.session_cache)."""
    try:
        written = await write
    except BaseException:
        platform.sessions.forget(key)  # it may have committed (a COMMIT cancelled on its way)
        raise
    if written is False:
        return False
    platform.sessions.replace(key, entry)
    return True


def _conflict(stored: Session, wanted: Session, now: float) -> str:
    sid = stored.session_id
    if stored.expires_at <= now:
        return f"session {sid!r} expired at {iso(stored.expires_at)}; launch with a new session_id"
    if stored.player_id != wanted.player_id:
        return f"session {sid!r} belongs to another player_id; a session_id cannot change player"
    if stored.currency != wanted.currency:
        return f"session {sid!r} was launched in {stored.currency}; a session_id cannot change currency"
    return f"session {sid!r} is a {stored.kind} session and cannot be relaunched as {wanted.kind}"


async def launch_demo(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/game/launch-demo: a session with a virtual balance kept by the mock; no webhooks."""
    currency = body.get("currency", "USD")
    language = body.get("language", "en")
    require_game(platform, body["game_id"], currency, language)
    now = platform.clock.operator_now(operator.id)
    balance = Decimal(str(platform.settings.demo_balance))
    session = Session(
        operator_id=operator.id,
        session_id=platform.ids.make("demo_", 24),
        player_id="demo",
        game_id=body["game_id"],
        currency=currency,
        language=language,
        return_url=body.get("return_url"),
        client_ip=None,
        kind="demo",
        demo_balance=balance,
        created_at=now,
        expires_at=now + platform.settings.session_ttl,
    )
    rowid, _, _ = await _create_or_relaunch(platform, session, platform.ids.order(), iso(now), lambda s: True)
    return {
        "game_url": game_url(platform, rowid, session),
        "session_id": session.session_id,
        "demo": True,
        "balance": balance,
        "currency": currency,
        "expires_at": iso(session.expires_at),
    }


async def require_session(platform: Platform, operator: Operator, session_id: str) -> Session:
    """The live session, or INVALID_SESSION saying whether it is unknown or expired."""
    found = await _stored(platform, (operator.id, session_id))
    if found is None:
        raise InvalidSession(
            f"session {session_id!r} does not exist; launch it first with POST /api/game/launch"
        )
    session = found[1]
    if session.expires_at <= platform.clock.operator_now(operator.id):
        raise InvalidSession(f"session {session_id!r} expired at {iso(session.expires_at)}")
    return session
