-- Failed portal sign-ins are counted per (client address, API key as typed), not per address alone:
-- a success for one key clears that key's failures only. The key is kept as its SHA-256, never as typed.
-- The failures remembered so far belong to no key; they are dropped (they are forgotten after 15 minutes
-- anyway).

DROP TABLE portal_sign_in_failures;

CREATE TABLE portal_sign_in_failures (
    id        INTEGER PRIMARY KEY,
    client    TEXT NOT NULL,
    key_hash  TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE INDEX portal_sign_in_failures_by_key ON portal_sign_in_failures(client, key_hash, failed_at);
CREATE INDEX portal_sign_in_failures_by_client ON portal_sign_in_failures(client, failed_at);
CREATE INDEX portal_sign_in_failures_by_time ON portal_sign_in_failures(failed_at);
