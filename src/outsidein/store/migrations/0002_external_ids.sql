-- Outside-In schema version 2: one account known by several ids (CRM, billing, product
-- analytics), and the column mapping each load used.

CREATE TABLE external_ids (
    system       VARCHAR NOT NULL,
    external_id  VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (system, external_id)
);

ALTER TABLE load_log ADD COLUMN mapping JSON;
ALTER TABLE load_log ADD COLUMN id_system VARCHAR;
