-- Outside-In schema version 14: touch tiers as stored facts with history
-- (outsidein.tiers.history, docs/tiers.md). Frozen: never edit a migration that has shipped.

-- One row each time an account's tier, or the ARR or potential it was decided on, changed:
-- the row holds from valid_from (a day) until the account's next row. tier is null while the
-- account is no customer (a prospect, or churned): it left the tiers. A recompute of the same
-- day (a new configuration version) replaces that day's row; earlier rows are never updated.
-- (account_id, valid_from) is unique by construction; no index, as for health_scores.
CREATE TABLE account_tiers (
    account_id      VARCHAR NOT NULL,
    valid_from      DATE NOT NULL,
    tier            VARCHAR,             -- [tiers] name; null: not a customer that day
    arr             DECIMAL(18, 2) NOT NULL,  -- ARR that day, reporting currency
    potential       DOUBLE,              -- employees or the custom field that day
    config_version  INTEGER,             -- config_versions.version that decided it
    recorded_at     TIMESTAMP NOT NULL
);

-- Small named values the tiers step keeps between runs (its marks).
CREATE TABLE tiers_state (
    name        VARCHAR PRIMARY KEY,
    "value"     VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
