-- Outside-In schema version 17: notes and logged calls and meetings on an account
-- (outsidein.timeline.notes, docs/timeline.md).
-- Frozen: never edit a migration that has shipped; add a new one.

-- What a person wrote down about an account: a note, or a call or meeting they had. Rows are
-- never updated (the timeline is a record); ``at`` is when the call or meeting happened (the
-- moment of writing for a note), ``created_at`` when it was logged, ``author`` the signed-in
-- user who logged it.
CREATE TABLE account_notes (
    note_id     VARCHAR PRIMARY KEY,
    account_id  VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- note, call, meeting
    "at"        TIMESTAMP NOT NULL,
    subject     VARCHAR,
    body        VARCHAR NOT NULL,
    author      VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    CHECK (kind IN ('note', 'call', 'meeting'))
);
