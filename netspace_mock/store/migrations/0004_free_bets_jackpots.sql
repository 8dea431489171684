-- Free bets with every transition recorded, and the Lotterix jackpot per operator and currency.

CREATE TABLE free_bets (
    operator_id           INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    netspace_free_bet_id  TEXT NOT NULL,
    operator_free_bet_id  TEXT NOT NULL,
    player_id             TEXT NOT NULL,
    game_id               TEXT,
    currency              TEXT NOT NULL,
    amount                TEXT NOT NULL,
    remaining_amount      TEXT NOT NULL,
    used_amount           TEXT NOT NULL,
    winnings_amount       TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('active', 'used', 'expired', 'cancelled')),
    expires_at            REAL NOT NULL,
    created_at            REAL NOT NULL,
    cancel_reason         TEXT,
    PRIMARY KEY (operator_id, netspace_free_bet_id),
    UNIQUE (operator_id, operator_free_bet_id)
);
CREATE INDEX free_bets_active ON free_bets(operator_id, player_id, currency) WHERE status = 'active';
CREATE INDEX free_bets_expiring ON free_bets(expires_at) WHERE status = 'active';

CREATE TABLE free_bet_events (
    id                    INTEGER PRIMARY KEY,
    operator_id           INTEGER NOT NULL,
    netspace_free_bet_id  TEXT NOT NULL,
    event                 TEXT NOT NULL,
    amount                TEXT,
    round_id              TEXT,
    cause                 TEXT NOT NULL,
    at                    REAL NOT NULL,
    FOREIGN KEY (operator_id, netspace_free_bet_id)
        REFERENCES free_bets(operator_id, netspace_free_bet_id) ON DELETE CASCADE
);
CREATE INDEX free_bet_events_by_bet ON free_bet_events(operator_id, netspace_free_bet_id, id);

CREATE TABLE jackpots (
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    currency    TEXT NOT NULL,
    amount      TEXT NOT NULL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (operator_id, currency)
);

CREATE TABLE jackpot_events (
    id          INTEGER PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    currency    TEXT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('update', 'hit', 'restore')),
    amount      TEXT NOT NULL,
    round_id    TEXT,
    at          REAL NOT NULL
);
