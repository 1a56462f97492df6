-- Outside-In schema version 12: custom fields, the columns of a file with no canonical home
-- (docs/loading.md, "Transforms, keys, custom fields"). Frozen: never edit a migration that
-- has shipped.
--
-- custom_fields: one row per field of an entity (accounts, contacts, subscriptions, cases),
-- its type inferred from the values loaded (number, bool, date, text) and the load that last
-- set it. custom_values: one row per record and field that has a value; `value` is the text
-- as loaded, `number`, `flag` and `day` the same value typed where it reads as one.

CREATE TABLE custom_fields (
    entity VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    source_column VARCHAR,
    load_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (entity, name)
);

CREATE TABLE custom_values (
    entity VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    number DOUBLE,
    flag BOOLEAN,
    day DATE,
    load_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (entity, record_id, name)
);
