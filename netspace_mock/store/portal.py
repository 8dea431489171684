"""The portal's SQL: sign-in sessions, credential reveals, and the per-operator reads behind its pages
(every read is filtered by operator_id). Its limits on callers are in portal_limits.py."""

from __future__ import annotations

from dataclasses import dataclass

from netspace_mock.store.db import Database, Row, one


@dataclass(frozen=True)
class PortalSession:
    token_hash: str
    operator_id: int
    csrf_token: str
    notice: str | None
    created_at: float
    expires_at: float


# ---- sessions and reveals -----------------------------------------------------------------------


async def create_session(db: Database, s: PortalSession) -> None:
    """Store a new session; expired ones are pruned on the way, so the table stays small."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM portal_sessions WHERE expires_at <= ?", (s.created_at,))
        await conn.execute(
            "INSERT INTO portal_sessions(token_hash, operator_id, csrf_token, notice, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (s.token_hash, s.operator_id, s.csrf_token, s.notice, s.created_at, s.expires_at),
        )


async def session(db: Database, token_hash: str) -> PortalSession | None:
    row = await db.fetchone("SELECT * FROM portal_sessions WHERE token_hash = ?", (token_hash,))
    return PortalSession(**dict(row)) if row else None


async def end_session(db: Database, token_hash: str) -> None:
    await db.execute("DELETE FROM portal_sessions WHERE token_hash = ?", (token_hash,))


async def set_notice(db: Database, token_hash: str, notice: str | None) -> None:
    await db.execute("UPDATE portal_sessions SET notice = ? WHERE token_hash = ?", (notice, token_hash))


async def create_reveal(db: Database, token_hash: str, operator_id: int, expires_at: float) -> None:
    await db.execute(
        "INSERT INTO portal_credential_reveals(token_hash, operator_id, expires_at) VALUES (?, ?, ?)",
        (token_hash, operator_id, expires_at),
    )


async def take_reveal(db: Database, token_hash: str, now: float) -> int | None:
    """The operator whose credentials this ticket may show, once: the ticket is deleted as it is read."""
    async with db.transaction() as conn:
        row = await one(
            conn,
            "SELECT operator_id FROM portal_credential_reveals WHERE token_hash = ? AND expires_at > ?",
            (token_hash, now),
        )
        await conn.execute(
            "DELETE FROM portal_credential_reveals WHERE token_hash = ? OR expires_at <= ?", (token_hash, now)
        )
    return row[0] if row else None


# ---- reads behind the pages ---------------------------------------------------------------------

ACKNOWLEDGED = (
    "(SELECT d.amount FROM deliveries d WHERE d.operator_id = r.operator_id AND d.round_id = r.round_id "
    "AND d.action_type = '{}' AND d.status = 'acknowledged')"
)


async def round_money(db: Database, operator_id: int, since: float, until: float) -> list[Row]:
    """Real-money rounds started in [since, until): game, currency, time, status and the bet and win
    amounts the operator acknowledged (text, so the domain sums them exactly)."""
    return await db.fetchall(
        f"SELECT r.game_id, r.currency, r.created_at, r.status, {ACKNOWLEDGED.format('bet')} AS bet, "
        f"{ACKNOWLEDGED.format('win')} AS win FROM rounds r "
        "WHERE r.operator_id = ? AND r.kind != 'demo' AND r.created_at >= ? AND r.created_at < ?",
        (operator_id, since, until),
    )


async def counts(db: Database, operator_id: int) -> dict[str, list[Row]]:
    one = (operator_id,)
    return {
        "sessions": await db.fetchall(
            "SELECT kind, COUNT(*) AS n FROM sessions WHERE operator_id = ? GROUP BY kind", one
        ),
        "rounds": await db.fetchall(
            "SELECT status, COUNT(*) AS n FROM rounds WHERE operator_id = ? GROUP BY status", one
        ),
        "players": await db.fetchall("SELECT COUNT(*) AS n FROM players WHERE operator_id = ?", one),
        "webhook_attempts": await db.fetchall(
            "SELECT outcome, COUNT(*) AS n FROM webhook_attempts WHERE operator_id = ? GROUP BY outcome", one
        ),
    }


async def certification_runs(db: Database, operator_id: int, limit: int) -> list[Row]:
    return await db.fetchall(
        "SELECT run_id, status, started_at FROM certification_runs WHERE operator_id = ? "
        "ORDER BY started_at DESC, rowid DESC LIMIT ?",
        (operator_id, limit),
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def players(
    db: Database, operator_id: int, search: str, limit: int, offset: int
) -> tuple[list[Row], int]:
    """Players seen, newest first, with their session count and currencies; `search` matches the id."""
    where, params = "p.operator_id = ? AND p.player_id LIKE ? ESCAPE '\\'", (operator_id, _like(search))
    total = (await db.fetchone(f"SELECT COUNT(*) FROM players p WHERE {where}", params))[0]
    rows = await db.fetchall(
        "SELECT p.player_id, p.first_seen_at, p.last_seen_at, "
        "(SELECT COUNT(*) FROM sessions s WHERE s.operator_id = p.operator_id AND s.player_id = p.player_id) "
        "AS sessions, (SELECT group_concat(currency, ' ') FROM (SELECT currency FROM player_currencies c "
        "WHERE c.operator_id = p.operator_id AND c.player_id = p.player_id ORDER BY currency)) AS currencies "
        f"FROM players p WHERE {where} ORDER BY p.last_seen_at DESC, p.player_id LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return rows, total


def _marks(values: list[str]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


async def latest_answers(db: Database, operator_id: int, player_ids: list[str]) -> list[Row]:
    """The latest successful webhook answer per player and currency (balance calls included)."""
    currency = "CASE WHEN json_valid(request_body) THEN json_extract(request_body, '$.currency') END"
    return await db.fetchall(
        f"SELECT a.player_id, {currency} AS currency, a.response_body, a.created_at FROM webhook_attempts a "
        "WHERE a.id IN (SELECT MAX(id) FROM webhook_attempts WHERE operator_id = ? AND outcome = 'ok' "
        f"AND player_id IN ({_marks(player_ids)}) GROUP BY player_id, {currency})",
        (operator_id, *player_ids),
    )


async def latest_round_balances(db: Database, operator_id: int, player_ids: list[str]) -> list[Row]:
    """The balance the latest round of each player and currency recorded (SQLite takes the bare columns
    from the row holding the MAX)."""
    return await db.fetchall(
        "SELECT player_id, currency, balance, MAX(COALESCE(finished_at, created_at)) AS at FROM rounds "
        f"WHERE operator_id = ? AND kind != 'demo' AND balance IS NOT NULL AND player_id IN ({_marks(player_ids)}) "
        "GROUP BY player_id, currency",
        (operator_id, *player_ids),
    )


async def player_seen(db: Database, operator_id: int, player_id: str) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM players WHERE operator_id = ? AND player_id = ?", (operator_id, player_id)
    )
    return row is not None


async def sessions_of(db: Database, operator_id: int, player_id: str, limit: int) -> list[Row]:
    return await db.fetchall(
        "SELECT s.session_id, s.game_id, s.currency, s.kind, s.language, s.created_at, s.expires_at, "
        "(SELECT COUNT(*) FROM rounds r WHERE r.operator_id = s.operator_id AND r.session_id = s.session_id) "
        "AS rounds FROM sessions s WHERE s.operator_id = ? AND s.player_id = ? "
        "ORDER BY s.created_at DESC LIMIT ?",
        (operator_id, player_id, limit),
    )


async def delivery_statuses(
    db: Database, operator_id: int, transaction_ids: list[str]
) -> dict[tuple[str, str], str]:
    """The outbox status of these transactions, by (action_type, transaction_id)."""
    rows = await db.fetchall(
        "SELECT action_type, transaction_id, status FROM deliveries WHERE operator_id = ? "
        f"AND transaction_id IN ({_marks(transaction_ids)})",
        (operator_id, *transaction_ids),
    )
    return {(r["action_type"], r["transaction_id"]): r["status"] for r in rows}
