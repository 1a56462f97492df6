-- Outside-In schema version 13: saved segments, their versions and membership over time
-- (outsidein.segments, docs/segments.md). Frozen: never edit a migration that has shipped.

-- A saved segment: its id, and whether it was deleted (its versions and history are kept).
CREATE TABLE segments (
    segment_id  VARCHAR PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL,
    deleted_at  TIMESTAMP
);

-- Every save is a new version; the highest version is the one in force. Never updated.
CREATE TABLE segment_versions (
    segment_id   VARCHAR NOT NULL,
    version      INTEGER NOT NULL,
    name         VARCHAR NOT NULL,
    description  VARCHAR NOT NULL,
    expression   VARCHAR NOT NULL,
    author       VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (segment_id, version)
);

-- Membership as intervals: an account is in the segment from entered_at until left_at
-- (null: still in). `version` is the segment version that admitted it. Membership at a time
-- t is entered_at <= t AND (left_at IS NULL OR left_at > t).
CREATE TABLE segment_membership (
    segment_id  VARCHAR NOT NULL,
    account_id  VARCHAR NOT NULL,
    entered_at  TIMESTAMP NOT NULL,
    left_at     TIMESTAMP,
    version     INTEGER NOT NULL
);

-- The segments step's marks (what it saw at its last run).
CREATE TABLE segments_step_state (
    name        VARCHAR PRIMARY KEY,
    value       VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
