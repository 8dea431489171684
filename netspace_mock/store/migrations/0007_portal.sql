-- The Partners Portal: sign-in sessions (only a SHA-256 hash of each cookie's token is kept), failed
-- sign-ins per client address (to slow guessing down), and one-time views of freshly registered
-- credentials. Plus an index for the reports, which group rounds by day.

CREATE TABLE portal_sessions (
    token_hash  TEXT PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    notice      TEXT,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
);
CREATE INDEX portal_sessions_by_operator ON portal_sessions(operator_id);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions(expires_at);

CREATE TABLE portal_sign_in_failures (
    id        INTEGER PRIMARY KEY,
    client    TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE INDEX portal_sign_in_failures_by_client ON portal_sign_in_failures(client, failed_at);

CREATE TABLE portal_credential_reveals (
    token_hash  TEXT PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    expires_at  REAL NOT NULL
);

CREATE INDEX rounds_by_time ON rounds(operator_id, created_at);
