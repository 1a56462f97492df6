-- Outside-In schema version 8: the versioned copy of the configuration.
-- outsidein.toml seeds it; the API edits it; computed results name the version that produced
-- them (outsidein.store.config_versions). Rows are never updated: an edit is a new version.

CREATE TABLE config_versions (
    version     INTEGER PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL CHECK (source IN ('file', 'api', 'cli')),
    origin      VARCHAR,            -- the file it was read from, or the client that sent it
    config      VARCHAR NOT NULL,   -- the validated configuration, every key, as JSON
    toml        VARCHAR NOT NULL    -- as outsidein.toml text: the file as read, or generated
);
