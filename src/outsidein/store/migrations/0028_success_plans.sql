-- Outside-In schema version 28: success plans, the outcomes agreed with each account
-- (docs/plans.md). Frozen: never edit a migration that has shipped.

-- One row per outcome an account wants: what it is (from the catalog: outcome_id, or written
-- for the customer: title), the measure that is tied to data (measure_kind: metric | custom |
-- satisfaction | formula; measure: a snapshot column, a custom field's name, an outcome id or
-- an expression over the snapshot's columns), its baseline, target and dates, and its owner.
CREATE TABLE success_plans (
    plan_id       VARCHAR PRIMARY KEY,
    account_id    VARCHAR NOT NULL,
    title         VARCHAR NOT NULL,
    outcome_id    VARCHAR,
    measure_kind  VARCHAR NOT NULL,
    measure       VARCHAR NOT NULL,
    unit          VARCHAR,
    baseline      DOUBLE NOT NULL,
    target        DOUBLE NOT NULL,
    start_date    DATE NOT NULL,
    due_date      DATE NOT NULL,
    owner         VARCHAR,
    created_by    VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

-- A plan's milestones, in order: reached when the measure reaches ``target`` (when given) or
-- when marked done by hand (done_at).
CREATE TABLE success_plan_milestones (
    plan_id   VARCHAR NOT NULL,
    seq       INTEGER NOT NULL,
    title     VARCHAR NOT NULL,
    due_date  DATE NOT NULL,
    target    DOUBLE,
    done_at   TIMESTAMP,
    PRIMARY KEY (plan_id, seq)
);
