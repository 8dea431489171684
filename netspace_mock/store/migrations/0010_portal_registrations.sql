-- Operators registered through the portal, per client address, so that one address can register only
-- a few an hour (`registration_limit`) and a restart does not reset the count. Rows older than the hour
-- are pruned as new ones are written.

CREATE TABLE portal_registrations (
    id            INTEGER PRIMARY KEY,
    client        TEXT NOT NULL,
    registered_at REAL NOT NULL
);
CREATE INDEX portal_registrations_by_client ON portal_registrations(client, registered_at);
CREATE INDEX portal_registrations_by_time ON portal_registrations(registered_at);
