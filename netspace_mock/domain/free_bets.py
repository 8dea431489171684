"""Free bets: assign (idempotent), status, cancel, expiry, and staking one in a round.

Lifecycle: active → used (nothing remains) / expired (at expires_at: seen on every read and swept in the
background) / cancelled. Every transition is a free_bet_events row with its time and cause. A stake is
taken from the free bet in the same transaction that creates the round, so two concurrent rounds can
never spend the same credit; a rejected, refunded or rolled-back round gives it back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from netspace_mock.domain import money
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import DuplicateTransaction, InvalidRequest, InvalidState, NotFound, PlayerNotFound
from netspace_mock.sources import iso, parse_iso
from netspace_mock.store import free_bets as store
from netspace_mock.store.db import Connection, one
from netspace_mock.store.free_bets import FreeBet
from netspace_mock.store.operators import Operator


def view(fb: FreeBet, history: list[dict] | None = None) -> dict[str, Any]:
    out = {
        "netspace_free_bet_id": fb.netspace_free_bet_id,
        "operator_free_bet_id": fb.operator_free_bet_id,
        "player_id": fb.player_id,
        "game_id": fb.game_id,
        "amount": fb.amount,
        "remaining_amount": fb.remaining_amount,
        "used_amount": fb.used_amount,
        "winnings_amount": fb.winnings_amount,
        "currency": fb.currency,
        "status": fb.status,
        "expires_at": iso(fb.expires_at),
        "created_at": iso(fb.created_at),
        "cancel_reason": fb.cancel_reason,
    }
    if history is not None:
        out["history"] = [
            {
                "event": e["event"],
                "amount": None if e["amount"] is None else Decimal(e["amount"]),
                "round_id": e["round_id"],
                "cause": e["cause"],
                "at": iso(e["at"]),
            }
            for e in history
        ]
    return out


async def _expire_if_due(conn: Connection, fb: FreeBet, now: float) -> FreeBet:
    if fb.status == "active" and fb.expires_at <= now:
        fb.status = "expired"
        await store.update(conn, fb)
        await store.record(
            conn, fb, "expired", f"expires_at {iso(fb.expires_at)} passed", now, fb.remaining_amount
        )
    return fb


async def _present(platform: Platform, fb: FreeBet) -> dict[str, Any]:
    return {"free_bet": view(fb, await store.events(platform.db, fb.operator_id, fb.netspace_free_bet_id))}


async def assign(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    spec = body["free_bets"]
    currency = spec["currency"]
    amount = Decimal(spec["amount"])
    if not money.is_exact(amount, currency):
        raise InvalidRequest.at(
            "$.free_bets.amount", f"{currency} amounts have at most {money.DECIMALS[currency]} decimals"
        )
    try:
        expires_at = parse_iso(spec["expires_at"])
    except ValueError as exc:
        raise InvalidRequest.at(
            "$.free_bets.expires_at", f"is not a valid ISO 8601 date-time: {exc}"
        ) from None
    now = platform.clock.operator_now(operator.id)
    if expires_at <= now:
        raise InvalidRequest.at("$.free_bets.expires_at", f"is in the past (now is {iso(now)})")
    game_id = body.get("game_id")
    if game_id is not None:
        game = platform.catalog.get(game_id)
        if game is None:
            raise NotFound(
                f"game {game_id!r} does not exist",
                details={"errors": [{"path": "$.game_id", "message": "unknown game"}]},
            )
        if currency not in game["currencies"]:
            raise InvalidRequest.at("$.free_bets.currency", f"game {game_id!r} does not support {currency}")
    wanted = FreeBet(
        operator_id=operator.id,
        netspace_free_bet_id=platform.ids.make("fb_ns_", 24),
        operator_free_bet_id=body["operator_free_bet_id"],
        player_id=body["player_id"],
        game_id=game_id,
        currency=currency,
        amount=amount,
        remaining_amount=amount,
        used_amount=Decimal(0),
        winnings_amount=Decimal(0),
        status="active",
        expires_at=expires_at,
        created_at=now,
        cancel_reason=None,
    )
    async with platform.db.transaction() as conn:
        if platform.settings.freebet_requires_player and not await _player_known(
            conn, operator.id, wanted.player_id
        ):
            raise PlayerNotFound(
                f"player {wanted.player_id!r} has never been launched; launch a session for them "
                "first (or start the mock with --freebet-requires-player false)"
            )
        existing = await store.by_operator_id(conn, operator.id, wanted.operator_free_bet_id)
        if existing is not None:
            if _content(existing) != _content(wanted):
                raise DuplicateTransaction(
                    f"operator_free_bet_id {wanted.operator_free_bet_id!r} was already assigned with other content "
                    f"({existing.netspace_free_bet_id}); use a new operator_free_bet_id",
                    details={"netspace_free_bet_id": existing.netspace_free_bet_id},
                )
            fb = await _expire_if_due(conn, existing, now)
        else:
            fb = wanted
            await store.insert(conn, fb)
            await store.record(conn, fb, "assigned", "POST /api/v1/freebets/assign", now, amount)
    return await _present(platform, fb)


def _content(fb: FreeBet) -> tuple:
    return (fb.player_id, fb.game_id, fb.currency, fb.amount, round(fb.expires_at, 3))


async def _player_known(conn: Connection, operator_id: int, player_id: str) -> bool:
    found = await one(
        conn, "SELECT 1 FROM players WHERE operator_id = ? AND player_id = ?", (operator_id, player_id)
    )
    return found is not None


async def _require(conn: Connection, operator: Operator, netspace_free_bet_id: str, now: float) -> FreeBet:
    fb = await store.get(conn, operator.id, netspace_free_bet_id)
    if fb is None:
        raise NotFound(f"free bet {netspace_free_bet_id!r} does not exist")
    return await _expire_if_due(conn, fb, now)


async def status(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    async with platform.db.transaction() as conn:
        fb = await _require(
            conn, operator, body["netspace_free_bet_id"], platform.clock.operator_now(operator.id)
        )
    return await _present(platform, fb)


async def cancel(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    now = platform.clock.operator_now(operator.id)
    async with platform.db.transaction() as conn:
        fb = await _require(conn, operator, body["netspace_free_bet_id"], now)
        if fb.status in ("used", "expired"):
            raise InvalidState(
                f"free bet {fb.netspace_free_bet_id} is {fb.status} and cannot be cancelled",
                details={"status": fb.status},
            )
        if fb.status == "active":
            fb.status, fb.cancel_reason = "cancelled", body.get("reason")
            await store.update(conn, fb)
            await store.record(
                conn,
                fb,
                "cancelled",
                body.get("reason") or "cancelled by the operator",
                now,
                fb.remaining_amount,
            )
    return await _present(platform, fb)


async def sweep(platform: Platform) -> int:
    """Expire every active free bet whose time has come in its operator's time; returns how many."""
    clock = platform.clock
    async with platform.db.transaction() as conn:
        due = await store.expired_active(conn, clock.now())
        for fb in due:
            await _expire_if_due(conn, fb, clock.operator_now(fb.operator_id))
    return len(due)


# ---- staking a free bet in a round -------------------------------------------------------------


async def take_stake(
    conn: Connection,
    platform: Platform,
    operator_id: int,
    player_id: str,
    currency: str,
    game_id: str,
    stake: Decimal,
    round_id: str,
) -> FreeBet:
    """Spend `stake` from the player's usable free bet, or say exactly why there is none."""
    now = platform.clock.operator_now(operator_id)
    for fb in await store.usable(conn, operator_id, player_id, currency, game_id, now):
        if fb.remaining_amount >= stake:
            fb.remaining_amount -= stake
            fb.used_amount += stake
            await store.record(conn, fb, "staked", f"round {round_id}", now, stake, round_id)
            if fb.remaining_amount == 0:
                fb.status = "used"
                await store.record(conn, fb, "used", "nothing remains", now, Decimal(0), round_id)
            await store.update(conn, fb)
            return fb
    raise InvalidState(await _why_none(conn, operator_id, player_id, currency, game_id, stake, now))


async def _why_none(
    conn, operator_id: int, player_id: str, currency: str, game_id: str, stake: Decimal, now: float
) -> str:
    mine = await store.of_player(conn, operator_id, player_id)
    if not mine:
        return f"player {player_id!r} has no free bet"
    for fb in mine:
        await _expire_if_due(conn, fb, now)
    active = [fb for fb in mine if fb.status == "active"]
    if not active:
        states = ", ".join(sorted({fb.status for fb in mine}))
        return f"player {player_id!r} has no active free bet (theirs are {states})"
    in_currency = [fb for fb in active if fb.currency == currency]
    if not in_currency:
        return f"the player's active free bets are in {', '.join(sorted({fb.currency for fb in active}))}, not {currency}"
    for_game = [fb for fb in in_currency if fb.game_id in (None, game_id)]
    if not for_game:
        return f"the player's active {currency} free bets are limited to other games, not {game_id!r}"
    best = max(fb.remaining_amount for fb in for_game)
    return f"the stake {stake} exceeds the free bet's remaining_amount {best}"


async def give_back(
    conn: Connection,
    platform: Platform,
    operator_id: int,
    netspace_free_bet_id: str,
    stake: Decimal,
    round_id: str,
    cause: str,
) -> None:
    """A rejected, refunded or rolled-back round returns its stake to the free bet, not to the wallet."""
    now = platform.clock.operator_now(operator_id)
    fb = await store.get(conn, operator_id, netspace_free_bet_id)
    if fb is None:
        return
    fb.remaining_amount += stake
    fb.used_amount -= stake
    if fb.status == "used":
        fb.status = "active"
    await store.update(conn, fb)
    await store.record(conn, fb, "returned", cause, now, stake, round_id)
    await _expire_if_due(conn, fb, now)


async def add_winnings(
    conn: Connection,
    platform: Platform,
    operator_id: int,
    netspace_free_bet_id: str,
    win: Decimal,
    round_id: str,
) -> None:
    fb = await store.get(conn, operator_id, netspace_free_bet_id)
    if fb is None:
        return
    fb.winnings_amount += win
    await store.update(conn, fb)
    await store.record(
        conn, fb, "won", f"round {round_id} settled", platform.clock.operator_now(operator_id), win, round_id
    )
