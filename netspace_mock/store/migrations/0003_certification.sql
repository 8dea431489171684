-- Certification runs: the whole run object as JSON, updated as the run progresses.
CREATE TABLE certification_runs (
    operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    run_id      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'passed', 'failed')),
    started_at  REAL NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (operator_id, run_id)
);
CREATE INDEX certification_runs_latest ON certification_runs(operator_id, started_at);
