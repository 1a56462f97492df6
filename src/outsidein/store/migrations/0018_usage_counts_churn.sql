-- Outside-In schema version 18: aggregated usage, churn records, the CRM's churned flag and
-- rows a full-refresh load found missing (docs/loading.md). Frozen: never edit a migration
-- that has shipped.
--
-- usage_daily: usage exported as counts, one row per account (or subscription), optional
-- user, feature and day; counted with the raw events in every usage metric. Its key is the
-- file's, or made from (account_id, subscription_id, user_id, feature, day).
CREATE TABLE usage_daily (
    usage_id         VARCHAR PRIMARY KEY,
    account_id       VARCHAR,
    subscription_id  VARCHAR,
    user_id          VARCHAR,
    feature          VARCHAR NOT NULL,
    "day"            DATE NOT NULL,
    "count"          INTEGER NOT NULL,
    source           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);

-- churn_records: what the CRM says about a churn, beside the revenue truth.
CREATE TABLE churn_records (
    churn_id    VARCHAR PRIMARY KEY,
    account_id  VARCHAR NOT NULL,
    churned_at  DATE NOT NULL,
    "type"      VARCHAR,
    reason      VARCHAR,
    feedback    VARCHAR,
    refund      DECIMAL(18, 2),
    source      VARCHAR NOT NULL,
    loaded_at   TIMESTAMP NOT NULL
);

ALTER TABLE accounts ADD COLUMN churned BOOLEAN;

-- removed_records: rows of a kind that a full-refresh load (the source's whole current list)
-- did not hold. Flagged, never deleted; a later list that holds the row again clears it.
CREATE TABLE removed_records (
    kind        VARCHAR NOT NULL,
    record_id   VARCHAR NOT NULL,
    removed_at  TIMESTAMP NOT NULL,
    load_id     VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    PRIMARY KEY (kind, record_id)
);
