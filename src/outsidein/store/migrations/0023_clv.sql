-- Outside-In schema version 23: customer lifetime value (outsidein.clv, docs/clv.md).
-- Frozen: never edit a migration that has shipped.

-- One row per account and scoring day: the model family chosen for the account and its
-- figures. Transactional accounts (one-off invoices): P(alive), expected transactions in the
-- next 52 weeks, expected spend per transaction, RFM scores and group. Contractual accounts
-- (a subscription): the probability of renewing at the next billing date and the ARR the
-- value was computed from. clv: discounted value over the horizon, reporting currency.
-- A recompute of the same day replaces that day's rows.
CREATE TABLE clv_scores (
    account_id             VARCHAR NOT NULL,
    as_of                  DATE NOT NULL,
    family                 VARCHAR NOT NULL,
    p_alive                DOUBLE,
    p_renew                DOUBLE,
    expected_transactions  DOUBLE,
    expected_spend         DOUBLE,
    clv                    DOUBLE NOT NULL,
    arr                    DOUBLE,
    frequency              DOUBLE,
    recency_weeks          DOUBLE,
    rfm_r                  INTEGER,
    rfm_f                  INTEGER,
    rfm_m                  INTEGER,
    rfm_segment            VARCHAR,
    recorded_at            TIMESTAMP NOT NULL
);

-- The fits the scores came from: estimates, standard errors, log-likelihood, convergence.
CREATE TABLE clv_fits (
    as_of        DATE NOT NULL,
    model        VARCHAR NOT NULL,   -- bgnbd, gammagamma, sbg_1m, sbg_12m, ...
    params       VARCHAR NOT NULL,   -- JSON: {"params": {...}, "se": {...}, ...}
    loglik       DOUBLE NOT NULL,
    converged    BOOLEAN NOT NULL,
    n            INTEGER NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);
