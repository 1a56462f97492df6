-- Outside-In schema version 27: outcome surveys (waves) and their per-contact invitations
-- (docs/jobs.md#surveys). Frozen: never edit a migration that has shipped.

-- A survey: the outcomes it asks about, in the order every respondent sees them. The order
-- is drawn from ``seed`` (recorded, so the same order can be drawn again and checked).
CREATE TABLE outcome_surveys (
    survey_id    VARCHAR PRIMARY KEY,
    title        VARCHAR NOT NULL,
    outcome_ids  VARCHAR[] NOT NULL,
    seed         BIGINT NOT NULL,
    created_by   VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    closes_at    TIMESTAMP
);

-- One invitation per contact and survey. The link's token is never stored: only its SHA-256
-- (hex), which the public form looks up.
CREATE TABLE survey_invitations (
    survey_id    VARCHAR NOT NULL,
    contact_id   VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    token_sha256 VARCHAR NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    message_id   VARCHAR,
    submitted_at TIMESTAMP,
    PRIMARY KEY (survey_id, contact_id)
);
