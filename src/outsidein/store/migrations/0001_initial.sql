-- Outside-In schema version 1: the canonical tables, rejects and the load log.
-- Frozen: never edit a migration that has shipped; add a new one.

CREATE TABLE csms (
    csm_id      VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    email       VARCHAR,
    capacity    INTEGER,
    source      VARCHAR NOT NULL,
    loaded_at   TIMESTAMP NOT NULL
);

CREATE TABLE accounts (
    account_id         VARCHAR PRIMARY KEY,
    name               VARCHAR NOT NULL,
    parent_account_id  VARCHAR,
    industry           VARCHAR,
    segment            VARCHAR,
    region             VARCHAR,
    employees          INTEGER,
    csm_id             VARCHAR,
    created_at         TIMESTAMP NOT NULL,
    source             VARCHAR NOT NULL,
    loaded_at          TIMESTAMP NOT NULL
);

CREATE TABLE contacts (
    contact_id  VARCHAR PRIMARY KEY,
    account_id  VARCHAR NOT NULL,
    name        VARCHAR,
    email       VARCHAR,
    role        VARCHAR,
    title       VARCHAR,
    created_at  TIMESTAMP,
    source      VARCHAR NOT NULL,
    loaded_at   TIMESTAMP NOT NULL
);

CREATE TABLE subscriptions (
    subscription_id  VARCHAR PRIMARY KEY,
    account_id       VARCHAR NOT NULL,
    plan             VARCHAR NOT NULL,
    mrr              DECIMAL(18, 2) NOT NULL,
    currency         VARCHAR NOT NULL,
    seats            INTEGER,
    start_date       DATE NOT NULL,
    end_date         DATE,
    status           VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);

CREATE TABLE invoices (
    invoice_id       VARCHAR PRIMARY KEY,
    account_id       VARCHAR NOT NULL,
    subscription_id  VARCHAR,
    amount           DECIMAL(18, 2) NOT NULL,
    currency         VARCHAR NOT NULL,
    issued_at        TIMESTAMP NOT NULL,
    due_at           TIMESTAMP,
    paid_at          TIMESTAMP,
    source           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);

-- Product usage. No PRIMARY KEY: an index over hundreds of millions of ids costs more than it
-- gives; loaders keep message_id unique by an anti-join (first write wins, events are facts).
CREATE TABLE events (
    message_id  VARCHAR NOT NULL,
    account_id  VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    event       VARCHAR NOT NULL,
    "timestamp" TIMESTAMP NOT NULL,
    properties  JSON,
    source      VARCHAR NOT NULL,
    loaded_at   TIMESTAMP NOT NULL
);

CREATE TABLE touchpoints (
    touchpoint_id  VARCHAR PRIMARY KEY,
    account_id     VARCHAR NOT NULL,
    contact_id     VARCHAR,
    "at"           TIMESTAMP NOT NULL,
    channel        VARCHAR NOT NULL,
    "function"     VARCHAR NOT NULL,
    stage          VARCHAR,
    outcome        VARCHAR NOT NULL,
    handed_to      VARCHAR,
    note           VARCHAR,
    source         VARCHAR NOT NULL,
    loaded_at      TIMESTAMP NOT NULL
);

CREATE TABLE cases (
    case_id      VARCHAR PRIMARY KEY,
    account_id   VARCHAR NOT NULL,
    contact_id   VARCHAR,
    opened_at    TIMESTAMP NOT NULL,
    closed_at    TIMESTAMP,
    priority     VARCHAR NOT NULL,
    sla_hours    DOUBLE,
    status       VARCHAR NOT NULL,
    functions    VARCHAR,
    subject      VARCHAR,
    source       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);

CREATE TABLE survey_responses (
    response_id   VARCHAR PRIMARY KEY,
    account_id    VARCHAR NOT NULL,
    contact_id    VARCHAR,
    survey        VARCHAR NOT NULL,
    answered_at   TIMESTAMP NOT NULL,
    kind          VARCHAR NOT NULL,
    score         DOUBLE,
    outcome_id    VARCHAR,
    importance    INTEGER,
    satisfaction  INTEGER,
    "comment"     VARCHAR,
    source        VARCHAR NOT NULL,
    loaded_at     TIMESTAMP NOT NULL
);

CREATE TABLE jobs (
    job_id       VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    description  VARCHAR,
    source       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);

CREATE TABLE job_steps (
    step_id    VARCHAR PRIMARY KEY,
    job_id     VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    position   INTEGER,
    source     VARCHAR NOT NULL,
    loaded_at  TIMESTAMP NOT NULL
);

CREATE TABLE outcomes (
    outcome_id  VARCHAR PRIMARY KEY,
    job_id      VARCHAR NOT NULL,
    step_id     VARCHAR,
    statement   VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    loaded_at   TIMESTAMP NOT NULL
);

CREATE TABLE load_log (
    load_id        VARCHAR PRIMARY KEY,
    kind           VARCHAR NOT NULL,
    file           VARCHAR NOT NULL,
    file_sha256    VARCHAR NOT NULL,
    format         VARCHAR NOT NULL,
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP NOT NULL,
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL
);

CREATE TABLE rejects (
    load_id      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    file         VARCHAR NOT NULL,
    line         BIGINT,
    "column"     VARCHAR,
    "value"      VARCHAR,
    reason       VARCHAR NOT NULL,
    rejected_at  TIMESTAMP NOT NULL
);
