"""The game page's rules: the launch token as the player's capability, what the page shows, one round."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from netspace_mock.domain import balances, jackpots, money
from netspace_mock.domain.launch_tokens import LaunchTokens
from netspace_mock.domain.platform import Platform
from netspace_mock.domain.rounds import start
from netspace_mock.errors import InvalidSession
from netspace_mock.sources import iso
from netspace_mock.store import game_page as store
from netspace_mock.store import sessions as session_store
from netspace_mock.store.operators import Operator
from netspace_mock.store.sessions import Session


async def find(platform: Platform, token: str) -> Session | None:
    """The session a launch token opens: the one stored at the row it names, if its MAC is that
    session's (domain.launch_tokens); None for anything else."""
    rowid = LaunchTokens.rowid(token)
    if rowid is None:
        return None
    session = await session_store.by_rowid(platform.db, rowid)
    if session is None or not platform.tokens.opens(token, session):
        return None
    return session


def expired(platform: Platform, session: Session) -> bool:
    return session.expires_at <= platform.clock.operator_now(session.operator_id)


async def require(platform: Platform, token: str) -> Session:
    """The live session the token opens, or INVALID_SESSION saying whether it is unknown or expired."""
    session = await find(platform, token)
    if session is None:
        raise InvalidSession("this game link is unknown; open the game again from the casino")
    if expired(platform, session):
        raise InvalidSession(
            f"the session expired at {iso(session.expires_at)}; launch a new one from the casino",
            details={"expired_at": iso(session.expires_at), "return_url": session.return_url},
        )
    return session


def return_link(session: Session) -> str | None:
    """The way back to the casino, only if it is a web address (launch already checks; a link is
    rendered into a page, so it is checked again where it is used)."""
    url = session.return_url
    return url if url and url.lower().startswith(("https://", "http://")) else None


def _operator(platform: Platform, session: Session) -> Operator:
    operator = platform.operators.by_id(session.operator_id)
    assert operator is not None, "a session always belongs to a known operator"
    return operator


def stake_bounds(game: dict[str, Any], currency: str) -> dict[str, Decimal]:
    """min, max, step and a default stake, all exact in the currency (JPY's 0.1 min_bet becomes 1)."""
    step = Decimal(1).scaleb(-money.DECIMALS[currency])
    low = Decimal(str(game["min_bet"])).quantize(step, rounding=ROUND_CEILING)
    high = Decimal(str(game["max_bet"])).quantize(step, rounding=ROUND_FLOOR)
    default = min(max(low, Decimal(1).quantize(step)), high)
    return {"min": low, "max": high, "step": step, "default": default}


def page(platform: Platform, session: Session) -> dict[str, Any]:
    """What the HTML page is rendered from: the session and its game, no balance (that may fail)."""
    game = platform.catalog.get(session.game_id)
    return {
        "game": game,
        "lottery": game["id"] == jackpots.GAME_ID,
        "currency": session.currency,
        "decimals": money.DECIMALS[session.currency],
        "language": session.language,
        "demo": session.kind == "demo",
        "return_url": return_link(session),
        "stake": stake_bounds(game, session.currency),
    }


async def _wallet(platform: Platform, session: Session) -> dict[str, Any]:
    """The jackpot and free bets: read from the mock's own store, so they never need the webhook."""
    if session.kind == "demo":  # demo rounds play no jackpot and no free bet
        return {"jackpot": None, "free_bets": []}
    pots = await jackpots.for_game(platform, _operator(platform, session))
    pot = pots.get(session.currency, {}).get("amount", Decimal(0))
    found = await store.stakeable_free_bets(
        platform.db,
        session.operator_id,
        session.player_id,
        session.currency,
        session.game_id,
        platform.clock.operator_now(session.operator_id),
    )
    free_bets = [
        {
            "netspace_free_bet_id": fb.netspace_free_bet_id,
            "remaining_amount": fb.remaining_amount,
            "currency": fb.currency,
            "game_id": fb.game_id,
            "expires_at": iso(fb.expires_at),
        }
        for fb in found
    ]
    return {
        "jackpot": {"game_id": jackpots.GAME_ID, "amount": pot, "currency": session.currency},
        "free_bets": free_bets,
    }


async def state(platform: Platform, session: Session) -> dict[str, Any]:
    """GET /play/{token}/state. A real balance is asked of the operator's webhook: WEBHOOK_ERROR if it fails."""
    answer = await balances.balance(platform, _operator(platform, session), session.session_id)
    game = platform.catalog.get(session.game_id)
    return {
        "session": {
            "session_id": session.session_id,
            "game_id": session.game_id,
            "game_name": game["name"],
            "currency": session.currency,
            "language": session.language,
            "demo": session.kind == "demo",
            "return_url": session.return_url,
            "expires_at": iso(session.expires_at),
        },
        "balance": answer["balance"],
        "currency": session.currency,
        **await _wallet(platform, session),
    }


def refusal(view: dict[str, Any]) -> str | None:
    """Why a rejected round was refused, as an error code: the operator's, or the demo wallet's."""
    if view["status"] != "rejected":
        return None
    bet = view["bet"]
    if bet is None:  # a demo round is refused only when the virtual balance is short
        return "INSUFFICIENT_BALANCE"
    return (bet["last_error"] or "").partition(":")[0] or None


async def play(platform: Platform, session: Session, body: dict[str, Any]) -> dict[str, Any]:
    """POST /play/{token}/round: the sandbox bet's body built from the page's fields only, so a player can
    neither force an outcome nor reach another session; the game's math decides."""
    request: dict[str, Any] = {"session_id": session.session_id, "amount": body["amount"]}
    if body.get("numbers") is not None:
        request["numbers"] = body["numbers"]
    if body.get("use_free_bet"):
        request["use_free_bet"] = True
    view = await start.play(platform, _operator(platform, session), request)
    return {
        "round": view,
        "refusal": refusal(view),
        "balance": view["balance"],
        "currency": session.currency,
        **await _wallet(platform, session),
    }
