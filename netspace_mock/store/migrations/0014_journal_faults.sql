-- The request journal: every /api request (and the game page's own calls) of an operator, as received
-- and answered, bounded like webhook_attempts (rows and body bytes per operator, oldest dropped first).
-- Headers are stored redacted (the signature in part, never a secret); `round_id` is the round the
-- request played or read, so the portal can link it to that round's webhook calls.
CREATE TABLE request_journal (
    id            INTEGER PRIMARY KEY,
    operator_id   INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    created_at    REAL NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('api', 'game')),
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    query         TEXT,
    headers       TEXT NOT NULL,
    body          TEXT,
    body_bytes    INTEGER NOT NULL,
    verdict       TEXT NOT NULL CHECK (verdict IN ('accepted', 'refused')),
    refusal       TEXT,
    warnings      TEXT NOT NULL DEFAULT '[]',
    fault         TEXT,
    status        INTEGER,
    error_code    TEXT,
    latency_ms    REAL NOT NULL,
    session_id    TEXT,
    round_id      TEXT,
    free_bet_id   TEXT
);
CREATE INDEX request_journal_by_operator ON request_journal(operator_id, id);

-- Faults an operator injects into its own API traffic (POST /api/sandbox/faults), to test its client.
-- `fired` counts the requests a rule has hit; a rule with a `count` stops once it has fired that often.
CREATE TABLE fault_rules (
    id            INTEGER PRIMARY KEY,
    operator_id   INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    route         TEXT NOT NULL,
    method        TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('latency', 'http_500', 'http_503', 'http_429', 'drop')),
    probability   REAL CHECK (probability IS NULL OR (probability > 0 AND probability <= 1)),
    count         INTEGER CHECK (count IS NULL OR count >= 1),
    latency_ms    INTEGER,
    retry_after   INTEGER,
    fired         INTEGER NOT NULL DEFAULT 0,
    created_at    REAL NOT NULL
);
CREATE INDEX fault_rules_by_operator ON fault_rules(operator_id);
