-- Outside-In schema version 15: playbooks (their versions, every firing, the touches they ask
-- the outbox for), tasks with comments, and teams (docs/playbooks.md, docs/tasks.md).
-- Frozen: never edit a migration that has shipped; add a new one.

-- Each change of a playbook's definition is a new version (the configuration version that
-- carried it beside it); definition is null when the playbook was removed.
CREATE TABLE playbook_versions (
    playbook        VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    config_version  INTEGER,
    definition      JSON,
    origin          VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (playbook, version)
);

-- Every time a playbook fired for an account: treated, or held out (no action taken). The
-- impact estimate reads who was treated and when from here.
CREATE TABLE playbook_firings (
    firing_id         VARCHAR PRIMARY KEY,
    account_id        VARCHAR NOT NULL,
    playbook          VARCHAR NOT NULL,
    playbook_version  INTEGER NOT NULL,
    variant           VARCHAR NOT NULL,
    reason            VARCHAR NOT NULL,
    context           JSON,
    held_out          BOOLEAN NOT NULL,
    actions           INTEGER NOT NULL,   -- actions taken (0 when held out)
    fired_at          TIMESTAMP NOT NULL
);

-- A touch a playbook asked for: the outbox consumes these (at-least-once, by idempotency_key).
CREATE TABLE touch_requests (
    request_id        VARCHAR PRIMARY KEY,
    account_id        VARCHAR NOT NULL,
    playbook          VARCHAR NOT NULL,
    playbook_version  INTEGER NOT NULL,
    firing_id         VARCHAR NOT NULL,
    channel           VARCHAR NOT NULL,   -- email | webhook
    template          VARCHAR NOT NULL,
    recipient         VARCHAR NOT NULL,   -- the action's `to`
    context           JSON,
    idempotency_key   VARCHAR NOT NULL UNIQUE,
    created_at        TIMESTAMP NOT NULL,
    consumed_at       TIMESTAMP           -- set by the outbox when it took the request
);

CREATE TABLE teams (
    name        VARCHAR PRIMARY KEY,
    lead        VARCHAR,                  -- a CSM id (or user name): escalations go there
    members     VARCHAR[] NOT NULL,       -- CSM ids, in round-robin order
    next_index  INTEGER NOT NULL DEFAULT 0,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE tasks (
    task_id           VARCHAR PRIMARY KEY,
    account_id        VARCHAR NOT NULL,
    playbook          VARCHAR,            -- null for a task opened by hand
    playbook_version  INTEGER,
    firing_id         VARCHAR,
    reason            VARCHAR NOT NULL,
    type              VARCHAR NOT NULL,   -- risk | opportunity | lifecycle | activity
    title             VARCHAR NOT NULL,
    priority          VARCHAR NOT NULL,   -- low | normal | high | urgent
    status            VARCHAR NOT NULL,   -- open | done
    assignee          VARCHAR,            -- a CSM id or user name
    team              VARCHAR,
    queue             VARCHAR,            -- a function's queue when nobody is assigned
    due_at            TIMESTAMP NOT NULL,
    snoozed_until     TIMESTAMP,
    steps             JSON,
    context           JSON,
    outcome           VARCHAR,
    outcome_note      VARCHAR,
    escalated_at      TIMESTAMP,
    escalated_to      VARCHAR,
    created_by        VARCHAR NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    completed_at      TIMESTAMP
);

CREATE TABLE task_comments (
    comment_id  VARCHAR PRIMARY KEY,
    task_id     VARCHAR NOT NULL,
    author      VARCHAR NOT NULL,
    body        VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- The playbook step's marks between runs.
CREATE TABLE playbook_state (
    name        VARCHAR PRIMARY KEY,
    "value"     VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
