-- Outside-In schema version 4: the Segment-compatible ingestion API (docs/segment.md).
-- Frozen: never edit a migration that has shipped; add a new one.

-- Write keys: only a SHA-256 of the secret is kept; the key itself is shown once.
CREATE TABLE write_keys (
    key_id      VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    key_hash    VARCHAR NOT NULL UNIQUE,
    key_prefix  VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);

-- Accepted messages, committed before the HTTP response (group commit). The applier moves
-- them into the canonical tables and deletes them here, in one transaction per cycle.
CREATE TABLE segment_inbox (
    seq               BIGINT NOT NULL,
    key_id            VARCHAR NOT NULL,
    request_id        VARCHAR NOT NULL,
    "type"            VARCHAR NOT NULL,
    message_id        VARCHAR NOT NULL,
    user_id           VARCHAR,
    anonymous_id      VARCHAR,
    previous_id       VARCHAR,
    group_id          VARCHAR,
    context_group_id  VARCHAR,
    "event"           VARCHAR,
    "timestamp"       TIMESTAMP NOT NULL,
    received_at       TIMESTAMP NOT NULL,
    payload           JSON
);

-- track/page/screen events whose account is not known yet (the user is not linked to a
-- group). They move to `events` when a group call, context.groupId or alias links the user.
CREATE TABLE segment_pending (
    seq               BIGINT NOT NULL,
    key_id            VARCHAR NOT NULL,
    request_id        VARCHAR NOT NULL,
    "type"            VARCHAR NOT NULL,
    message_id        VARCHAR NOT NULL,
    user_id           VARCHAR,
    anonymous_id      VARCHAR,
    previous_id       VARCHAR,
    group_id          VARCHAR,
    context_group_id  VARCHAR,
    "event"           VARCHAR,
    "timestamp"       TIMESTAMP NOT NULL,
    received_at       TIMESTAMP NOT NULL,
    payload           JSON
);

-- md5_number(message_id) of every event in `events` or `segment_pending`: the set a new
-- messageId is checked against. 16 bytes a row and no index: an anti-join scans it.
CREATE TABLE segment_seen (
    h  UHUGEINT NOT NULL
);

-- alias_id -> the canonical user id it stands for (alias calls, anonymousId + userId).
CREATE TABLE segment_identities (
    alias_id     VARCHAR PRIMARY KEY,
    user_id      VARCHAR NOT NULL,
    "timestamp"  TIMESTAMP NOT NULL,
    source       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);

-- The account a user belongs to: the latest group call or context.groupId, by event time.
CREATE TABLE segment_user_accounts (
    user_id      VARCHAR PRIMARY KEY,
    account_id   VARCHAR NOT NULL,
    "timestamp"  TIMESTAMP NOT NULL,
    source       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);

-- Every trait ever sent, one row per (group or user, trait): the latest value by event
-- time wins, so traits arriving out of order never overwrite newer ones.
CREATE TABLE segment_traits (
    kind         VARCHAR NOT NULL,
    entity_id    VARCHAR NOT NULL,
    trait        VARCHAR NOT NULL,
    "value"      JSON,
    "timestamp"  TIMESTAMP NOT NULL,
    source       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, entity_id, trait)
);

-- Per write key and minute: what arrived, for the ingestion activity page.
CREATE TABLE segment_activity (
    key_id      VARCHAR NOT NULL,
    "minute"    TIMESTAMP NOT NULL,
    requests    BIGINT NOT NULL,
    accepted    BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    duplicates  BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    last_seen   TIMESTAMP NOT NULL,
    PRIMARY KEY (key_id, "minute")
);

-- The rejected message itself (the `rejects` row says what was wrong with it), so that it
-- can be fixed and sent again.
CREATE TABLE segment_reject_payloads (
    load_id  VARCHAR NOT NULL,
    line     BIGINT,
    payload  VARCHAR NOT NULL
);

-- Small named values the ingestion keeps between runs.
CREATE TABLE segment_state (
    name     VARCHAR PRIMARY KEY,
    "value"  VARCHAR NOT NULL
);
