-- Production activation, requested from the portal once certified.
ALTER TABLE operators ADD COLUMN activation_requested_at TEXT;
