-- Outside-In schema version 3: analytics. Usage rolled up per day (appended to as events
-- arrive), the daily per-account metrics snapshot that health, predictions and playbooks
-- read, and the analytics' own bookkeeping (watermarks, snapshot range).

-- One row per account, user and day with events; a key may repeat (one row per batch
-- appended), readers sum. No primary key: these grow with the events table.
CREATE TABLE usage_user_days (
    account_id     VARCHAR NOT NULL,
    user_id        VARCHAR NOT NULL,
    activity_date  DATE NOT NULL,
    events         BIGINT NOT NULL
);

-- The same per key feature (and the value event) named in [analytics] of outsidein.toml.
CREATE TABLE usage_feature_days (
    account_id     VARCHAR NOT NULL,
    feature        VARCHAR NOT NULL,
    activity_date  DATE NOT NULL,
    events         BIGINT NOT NULL
);

-- One row per account and day; windows are trailing 7, 28 and 90 days ending on "date".
-- Definitions: docs/metrics.md. (account_id, "date") is unique: every update deletes the
-- rows it recomputes in the same transaction that inserts them.
CREATE TABLE account_daily_metrics (
    account_id                 VARCHAR NOT NULL,
    "date"                     DATE NOT NULL,
    mrr                        DECIMAL(18, 2) NOT NULL,
    seats_bought               BIGINT,
    seats_used                 BIGINT NOT NULL,
    seat_utilization           DOUBLE,
    active_users_7             BIGINT NOT NULL,
    events_7                   BIGINT NOT NULL,
    events_per_active_user_7   DOUBLE,
    key_features_used_7        BIGINT NOT NULL,
    breadth_7                  DOUBLE,
    stickiness_7               DOUBLE,
    events_prev_7              BIGINT NOT NULL,
    events_trend_7             DOUBLE,
    active_users_28            BIGINT NOT NULL,
    events_28                  BIGINT NOT NULL,
    events_per_active_user_28  DOUBLE,
    key_features_used_28       BIGINT NOT NULL,
    breadth_28                 DOUBLE,
    stickiness_28              DOUBLE,
    events_prev_28             BIGINT NOT NULL,
    events_trend_28            DOUBLE,
    active_users_90            BIGINT NOT NULL,
    events_90                  BIGINT NOT NULL,
    events_per_active_user_90  DOUBLE,
    key_features_used_90       BIGINT NOT NULL,
    breadth_90                 DOUBLE,
    stickiness_90              DOUBLE,
    events_prev_90             BIGINT NOT NULL,
    events_trend_90            DOUBLE,
    last_activity_date         DATE,
    days_since_last_activity   BIGINT,
    first_value_date           DATE,
    time_to_first_value_days   BIGINT,
    computed_at                TIMESTAMP NOT NULL
);

CREATE TABLE analytics_state (
    name        VARCHAR PRIMARY KEY,
    "value"     VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
