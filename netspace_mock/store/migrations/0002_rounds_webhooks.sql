-- Rounds, the webhook outbox (one row per outgoing transaction), every webhook attempt, and the
-- currencies each player has been launched with. Plus the reference wallet's own ledger.

CREATE TABLE player_currencies (
    operator_id INTEGER NOT NULL,
    player_id   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    PRIMARY KEY (operator_id, player_id, currency),
    FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, player_id) ON DELETE CASCADE
);
INSERT OR IGNORE INTO player_currencies(operator_id, player_id, currency)
    SELECT operator_id, player_id, currency FROM sessions WHERE kind != 'demo';

CREATE TABLE rounds (
    operator_id   INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    round_id      TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    player_id     TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    amount        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    win_amount    TEXT NOT NULL,
    result        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'settled', 'rejected', 'rolled_back', 'refunded')),
    balance       TEXT,
    free_bet_id   TEXT,
    created_at    REAL NOT NULL,
    finished_at   REAL,
    PRIMARY KEY (operator_id, round_id)
);
CREATE INDEX rounds_by_session ON rounds(operator_id, session_id);
CREATE INDEX rounds_by_player ON rounds(operator_id, player_id);
CREATE INDEX rounds_open ON rounds(status) WHERE status = 'open';

-- The outbox. transaction_id is unique per (operator, action): a rollback names the bet it reverts.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    operator_id     INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    round_id        TEXT NOT NULL,
    action_type     TEXT NOT NULL CHECK (action_type IN ('bet', 'win', 'refund', 'rollback')),
    transaction_id  TEXT NOT NULL,
    player_id       TEXT NOT NULL,
    amount          TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'acknowledged', 'rejected', 'unknown', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    operator_transaction_id TEXT,
    last_error      TEXT,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    UNIQUE (operator_id, action_type, transaction_id),
    FOREIGN KEY (operator_id, round_id) REFERENCES rounds(operator_id, round_id) ON DELETE CASCADE
);
CREATE INDEX deliveries_by_round ON deliveries(operator_id, round_id);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY,
    operator_id     INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    delivery_id     INTEGER,
    action_type     TEXT NOT NULL,
    transaction_id  TEXT,
    round_id        TEXT,
    player_id       TEXT,
    session_id      TEXT,
    attempt         INTEGER NOT NULL,
    url             TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    request_body    TEXT NOT NULL,
    http_status     INTEGER,
    response_body   TEXT,
    latency_ms      REAL NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('ok', 'business_error', 'transport_error', 'invalid_response')),
    error_code      TEXT,
    reason          TEXT,
    created_at      REAL NOT NULL
);
CREATE INDEX webhook_attempts_by_operator ON webhook_attempts(operator_id, id);
CREATE INDEX webhook_attempts_by_round ON webhook_attempts(operator_id, round_id);
CREATE INDEX webhook_attempts_by_player ON webhook_attempts(operator_id, player_id);
CREATE INDEX webhook_attempts_by_transaction ON webhook_attempts(operator_id, transaction_id);

-- The reference wallet's ledger: what an operator keeps on its side.
CREATE TABLE wallet_accounts (
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    player_id   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    balance     TEXT NOT NULL,
    PRIMARY KEY (operator_id, player_id, currency)
);

CREATE TABLE wallet_transactions (
    operator_id    INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    action_type    TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    wallet_txn_id  TEXT NOT NULL,
    player_id      TEXT NOT NULL,
    currency       TEXT NOT NULL,
    round_id       TEXT,
    amount         TEXT NOT NULL,
    booked         TEXT NOT NULL,
    is_free_bet    INTEGER NOT NULL DEFAULT 0,
    reverted       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (operator_id, action_type, transaction_id)
);
CREATE INDEX wallet_transactions_by_round ON wallet_transactions(operator_id, round_id);
