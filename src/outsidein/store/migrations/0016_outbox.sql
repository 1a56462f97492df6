-- Outside-In schema version 16: the outbox of automated touches (outsidein.outbox,
-- docs/outbox.md), per-contact consent, and a contact's time zone (quiet hours).
-- Frozen: never edit a migration that has shipped; add a new one.

-- One row per message to send: an email to a contact or a webhook POST. Rendered when it is
-- enqueued, so that every retry sends the same words under the same idempotency key.
-- status: queued (waiting for its next_attempt_at), sent (the receiver acknowledged),
-- dead (the retry limit was reached, or the receiver refused it for good), suppressed
-- (the contact unsubscribed or has no address: never sent).
CREATE TABLE outbox_messages (
    message_id       VARCHAR PRIMARY KEY,
    idempotency_key  VARCHAR NOT NULL UNIQUE,
    channel          VARCHAR NOT NULL CHECK (channel IN ('email', 'webhook')),
    account_id       VARCHAR NOT NULL,
    contact_id       VARCHAR,
    template         VARCHAR NOT NULL,
    context          VARCHAR NOT NULL,   -- the caller's fields, JSON
    source           VARCHAR NOT NULL,   -- who asked: "playbook:<name>", "cli", "api", "demo"
    subject          VARCHAR,
    body             VARCHAR NOT NULL,
    status           VARCHAR NOT NULL
        CHECK (status IN ('queued', 'sent', 'dead', 'suppressed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,  -- UTC
    held             VARCHAR,             -- why it waits: quiet hours, frequency cap, retry
    last_error       VARCHAR,
    recipient        VARCHAR,             -- the address or the URL's host it went to
    created_at       TIMESTAMP NOT NULL,
    sent_at          TIMESTAMP,
    updated_at       TIMESTAMP NOT NULL
);

-- Every try, kept: what the receiver said (the dead-letter list shows the last ones).
CREATE TABLE outbox_attempts (
    message_id  VARCHAR NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('sent', 'failed', 'refused')),
    error       VARCHAR,
    seconds     DOUBLE NOT NULL
);

-- A contact's word on automated touches: unsubscribed (by the link or by hand) or consented.
CREATE TABLE contact_consent (
    contact_id  VARCHAR PRIMARY KEY,
    status      VARCHAR NOT NULL CHECK (status IN ('subscribed', 'unsubscribed')),
    via         VARCHAR NOT NULL,     -- "link", "api", "cli"
    changed_at  TIMESTAMP NOT NULL
);

-- Small named values the outbox keeps (the key that signs unsubscribe links).
CREATE TABLE outbox_state (
    name        VARCHAR PRIMARY KEY,
    "value"     VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- The contact's IANA time zone (e.g. Europe/Paris): quiet hours are in the contact's time.
ALTER TABLE contacts ADD COLUMN timezone VARCHAR;
