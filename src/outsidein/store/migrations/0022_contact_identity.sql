-- Outside-In schema version 22: one person across systems (docs/identity.md, "Contacts").
--
-- contact_external_ids: the contacts' half of the external-id map (external_ids holds the
-- accounts'): each system's id of a contact (HubSpot's contact id, Zendesk's user id, the
-- product's user id). A later file whose rows name one of these ids lands on the contact.
-- contact_matches / contact_merges: as identity_matches / identity_merges (migration 19),
-- for contacts: decisions on pairs that look like one person, and each merge with the
-- merged contact's row and the keys of the rows moved, so that it can be undone exactly.

CREATE TABLE contact_external_ids (
    system       VARCHAR NOT NULL,
    external_id  VARCHAR NOT NULL,
    contact_id   VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (system, external_id)
);

CREATE TABLE contact_matches (
    contact_id  VARCHAR NOT NULL,
    other_id    VARCHAR NOT NULL,
    method      VARCHAR NOT NULL,
    match_key   VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,
    decided_by  VARCHAR,
    decided_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (contact_id, other_id)
);

CREATE TABLE contact_merges (
    merge_id    VARCHAR PRIMARY KEY,
    contact_id  VARCHAR NOT NULL,
    merged_id   VARCHAR NOT NULL,
    merged_row  JSON NOT NULL,
    moved       JSON NOT NULL,
    merged_by   VARCHAR,
    merged_at   TIMESTAMP NOT NULL,
    undone_at   TIMESTAMP
);
