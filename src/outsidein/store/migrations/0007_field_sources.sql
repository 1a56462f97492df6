-- Outside-In schema version 7: which source set each field of an account or contact, and when
-- (docs/data-model.md, "Field sources"). Frozen: never edit a migration that has shipped.
--
-- Kept sparsely, beside the row: a row's own source and loaded_at (its latest write) stand
-- for every field that write set; field_sources, a JSON object
-- {"<field>": {"source": ..., "set_at": ...}}, holds only the fields whose value came from
-- another write. Rows stored before this version have none: their row's source stands for
-- every field, the best that is known.

ALTER TABLE accounts ADD COLUMN field_sources JSON;
ALTER TABLE contacts ADD COLUMN field_sources JSON;
