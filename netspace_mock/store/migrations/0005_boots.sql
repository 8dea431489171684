-- One row per start of the database, so a seeded run draws fresh ids after a restart.
CREATE TABLE boots (
    n  INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
