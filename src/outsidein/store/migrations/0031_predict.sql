-- Outside-In schema version 31: propensity models and their predictions (docs/predict.md).
-- Frozen: never edit a migration that has shipped.

-- One row per trained model version: what it predicts, the data window it learnt from,
-- its parameters and backtest figures, the fitted model itself (pickled: only this store's
-- own training writes it), its self-contained HTML report, and whether it is the one in
-- force for its target (at most one published version per target).
CREATE TABLE predict_models (
    version        INTEGER PRIMARY KEY,
    target         VARCHAR NOT NULL,      -- churn, revenue_churn, expansion
    horizon_days   INTEGER NOT NULL,
    window_first   DATE NOT NULL,         -- the first and last observation days trained on
    window_last    DATE NOT NULL,
    rows           INTEGER NOT NULL,      -- labelled rows
    positives      INTEGER NOT NULL,
    params         VARCHAR NOT NULL,      -- JSON: observations, folds, static fields, blend
    metrics        VARCHAR NOT NULL,      -- JSON: the backtest (per fold and pooled)
    auc            DOUBLE,                -- the backtest's pooled ROC AUC (the publish guard)
    pr_auc         DOUBLE,
    brier          DOUBLE,
    ece            DOUBLE,
    model          BLOB NOT NULL,
    report         VARCHAR NOT NULL,      -- HTML, offline
    published      BOOLEAN NOT NULL,
    published_at   TIMESTAMP,
    forced         BOOLEAN NOT NULL,      -- published over a better backtest
    trained_at     TIMESTAMP NOT NULL,
    trained_by     VARCHAR NOT NULL
);

-- Every account's probability per target and scoring day, with the model version and its
-- drivers (JSON list of {family, contribution, words}). A rescore of the same day replaces
-- that day's rows; earlier days stay (the trend). arr and renewal_date: the account's ARR and
-- next renewal on the scoring day (the health inputs), for the ARR at risk by renewal month.
CREATE TABLE predictions (
    account_id     VARCHAR NOT NULL,
    target         VARCHAR NOT NULL,
    day            DATE NOT NULL,
    version        INTEGER NOT NULL,
    probability    DOUBLE NOT NULL,
    drivers        VARCHAR NOT NULL,
    arr            DOUBLE,
    renewal_date   DATE,
    recorded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, target, day)
);

-- Small named values the scoring step keeps between runs (its watermarks).
CREATE TABLE predict_state (
    name        VARCHAR PRIMARY KEY,
    "value"     VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
