-- Outside-In schema version 11: health score history, per-measure contributions, manual
-- overrides and the health step's marks (outsidein.health.history, docs/health-data.md).
-- Frozen: never edit a migration that has shipped; add a new one.

-- One row each time an account's score, band, scorecard or contributions changed (not one a
-- day): the row holds from valid_from until the account's next row. Rows are never updated,
-- so publishing a new configuration version never rewrites what an older one produced.
-- (account_id, valid_from) is unique by construction (history only moves forward); no
-- index: maintaining one costs more on every write of 100,000 scores than it gives.
CREATE TABLE health_scores (
    account_id      VARCHAR NOT NULL,
    valid_from      TIMESTAMP NOT NULL,
    scorecard       VARCHAR NOT NULL,
    score           DOUBLE,             -- 0-100; null when nothing could be scored
    band            VARCHAR,
    config_version  INTEGER,            -- config_versions.version that produced it
    fingerprint     VARCHAR NOT NULL,   -- a hash of score, band, scorecard, contributions
    recorded_at     TIMESTAMP NOT NULL
);

-- The measures behind each health_scores row (same account_id and valid_from).
CREATE TABLE health_contributions (
    account_id    VARCHAR NOT NULL,
    valid_from    TIMESTAMP NOT NULL,
    measure       VARCHAR NOT NULL,
    raw           DOUBLE,
    points        DOUBLE,
    weight        DOUBLE,
    contribution  DOUBLE,
    missing       BOOLEAN NOT NULL
);

-- A person's word over the computed score, with a reason and an expiry.
CREATE TABLE health_overrides (
    override_id  VARCHAR PRIMARY KEY,
    account_id   VARCHAR NOT NULL,
    score        DOUBLE,
    band         VARCHAR,
    reason       VARCHAR NOT NULL,
    author       VARCHAR NOT NULL,   -- free text until signed-in users exist
    expires_at   TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    CHECK (score IS NOT NULL OR band IS NOT NULL),
    CHECK (score IS NULL OR (score >= 0 AND score <= 100)),
    CHECK (expires_at > created_at)
);

-- Small named values the health step keeps between runs (its watermarks).
CREATE TABLE health_state (
    name        VARCHAR PRIMARY KEY,
    "value"     VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
