-- Outside-In schema version 5: when each account was last seen (its latest event), kept as
-- a summary so that listing accounts does not aggregate every event on every page.
-- Events are append-only, so an account's latest event is the later of its row here and
-- its latest event among those loaded after account_last_seen_mark.loaded_upto
-- (outsidein.store.last_seen; the server folds new events in every few seconds).

CREATE TABLE account_last_seen (
    account_id  VARCHAR PRIMARY KEY,
    last_seen   TIMESTAMP NOT NULL
);

-- At most one row: every event with loaded_at up to this is summarised above.
CREATE TABLE account_last_seen_mark (
    loaded_upto TIMESTAMP NOT NULL
);
