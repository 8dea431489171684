-- Fault scenarios of the sandbox bet (bet_timeout, duplicate_win, retry_win, delayed_win), kept in the
-- round so that a restart mid-round carries on with the same scenario. scenario_applied_at: when its
-- twist happened (the bet treated as timed out, the first win treated as lost, the duplicate or the
-- delayed win scheduled); NULL while it has not.
ALTER TABLE rounds ADD COLUMN scenario TEXT
    CHECK (scenario IS NULL OR scenario IN ('bet_timeout', 'duplicate_win', 'retry_win', 'delayed_win'));
ALTER TABLE rounds ADD COLUMN scenario_delay REAL;
ALTER TABLE rounds ADD COLUMN scenario_applied_at REAL;
