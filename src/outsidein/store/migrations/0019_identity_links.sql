-- Outside-In schema version 19: one customer across systems (docs/identity.md).
--
-- identity_matches: a decision on two accounts that look the same (same normalised name or
-- domain): confirmed (merged) or rejected (never suggested again). Suggestions themselves
-- are computed from the data, not stored.
-- identity_merges: each confirmed merge, with the merged account's row and the keys of the
-- rows moved to the kept account, so that `outsidein accounts unlink` can undo it exactly.

CREATE TABLE identity_matches (
    account_id  VARCHAR NOT NULL,
    other_id    VARCHAR NOT NULL,
    method      VARCHAR NOT NULL,
    match_key   VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,
    decided_by  VARCHAR,
    decided_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, other_id)
);

CREATE TABLE identity_merges (
    merge_id    VARCHAR PRIMARY KEY,
    account_id  VARCHAR NOT NULL,
    merged_id   VARCHAR NOT NULL,
    merged_row  JSON NOT NULL,
    moved       JSON NOT NULL,
    merged_by   VARCHAR,
    merged_at   TIMESTAMP NOT NULL,
    undone_at   TIMESTAMP
);
