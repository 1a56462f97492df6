-- Outside-In schema version 10: write-key scopes and the audit log (docs/operations.md).
-- Frozen: never edit a migration that has shipped; add a new one.

-- What a write key may do beyond sending events and creating the accounts and users it
-- names. 'master-data': its traits may replace values a file load set (source precedence
-- still applies). NULL or empty: none.
ALTER TABLE write_keys ADD COLUMN scopes VARCHAR[];

-- Who did what, append-only (outsidein.store.audit): rows are never updated or deleted.
CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    seq     BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    at_utc  TIMESTAMP NOT NULL,      -- when, in UTC
    actor   VARCHAR,                 -- who: a user, 'cli', 'api' (NULL: unknown)
    action  VARCHAR NOT NULL,        -- e.g. 'key.create', 'config.publish', 'backup'
    target  VARCHAR,                 -- what it acted on: a key id, a version, a path
    detail  JSON
);
