-- Launch tokens are no longer stored: a token names its session's row and carries a MAC of that session
-- under the database's own key (domain/launch_tokens.py), so a launch writes no token row and no table
-- grows with every launch. Links made before this migration stop opening their game.
DROP TABLE launch_tokens;

-- Keys the database keeps across restarts, made once (store/keys.py).
CREATE TABLE platform_keys (
    name   TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);
