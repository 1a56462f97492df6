-- Outside-In schema version 24: the jobs-to-be-done catalog's own facts (docs/jobs.md#catalog).
-- Frozen: never edit a migration that has shipped.

-- The job hierarchy: a related job names its main job. A job without a row is a main job.
CREATE TABLE job_parents (
    job_id         VARCHAR PRIMARY KEY,
    parent_job_id  VARCHAR NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

-- The parts of each desired-outcome statement: direction + metric + object of control +
-- contextual clarifier ("Minimize | the time it takes | to confirm that a quote is correct |
-- when renewing"). Written by the catalog import; an outcome without a row is parsed on read.
CREATE TABLE outcome_parts (
    outcome_id         VARCHAR PRIMARY KEY,
    direction          VARCHAR,
    metric             VARCHAR,
    object_of_control  VARCHAR,
    clarifier          VARCHAR,
    updated_at         TIMESTAMP NOT NULL
);
