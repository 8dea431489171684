-- Integration warnings: per operator, each kind of request the mock accepted only because a setting is
-- lenient (an empty body signed as `undefined`, a query string in the signature, a body that is not
-- JSON.stringify's form, an unknown query parameter), how often, first and last seen, and the latest
-- example. A sandbox reset leaves them: they describe the operator's client, not its sandbox data.
CREATE TABLE integration_warnings (
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    count       INTEGER NOT NULL CHECK (count > 0),
    first_seen  REAL NOT NULL,
    last_seen   REAL NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    line        TEXT NOT NULL,
    PRIMARY KEY (operator_id, kind)
);
