-- Each operator's sandbox clock: how far it has moved its own time ahead of the platform's
-- (POST /api/sandbox/clock). Kept across restarts, since that operator's sessions, free bets and
-- scheduled retries are stamped in its time. No row: the operator runs on the platform's time.
CREATE TABLE sandbox_clocks (
    operator_id   INTEGER PRIMARY KEY REFERENCES operators(id) ON DELETE CASCADE,
    ahead_seconds REAL NOT NULL CHECK (ahead_seconds >= 0)
);
