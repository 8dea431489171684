-- Core platform state: operators, the game catalog, players, sessions and their launch tokens.
-- Every row but the catalog belongs to an operator.

CREATE TABLE operators (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    api_key     TEXT NOT NULL UNIQUE,
    secret_key  TEXT NOT NULL,
    webhook_url TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE games (
    id       TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    category TEXT NOT NULL,
    data     TEXT NOT NULL
);

CREATE TABLE players (
    operator_id   INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    player_id     TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    PRIMARY KEY (operator_id, player_id)
);

CREATE TABLE sessions (
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    player_id   TEXT NOT NULL,
    game_id     TEXT NOT NULL REFERENCES games(id),
    currency    TEXT NOT NULL,
    language    TEXT NOT NULL,
    return_url  TEXT,
    client_ip   TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('real', 'sandbox', 'demo')),
    demo_balance TEXT,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL,
    PRIMARY KEY (operator_id, session_id)
);
CREATE INDEX sessions_by_player ON sessions(operator_id, player_id);

CREATE TABLE launch_tokens (
    token       TEXT PRIMARY KEY,
    operator_id INTEGER NOT NULL,
    session_id  TEXT NOT NULL,
    created_at  REAL NOT NULL,
    FOREIGN KEY (operator_id, session_id) REFERENCES sessions(operator_id, session_id) ON DELETE CASCADE
);
CREATE INDEX launch_tokens_by_session ON launch_tokens(operator_id, session_id);
