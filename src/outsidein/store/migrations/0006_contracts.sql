-- Outside-In schema version 6: contracts. A contract holds the commercial terms (term start,
-- term length, billing period, auto-renew); subscription rows belong to one, so a mid-term
-- change (a new subscription row) keeps the contract's renewal dates (docs/data-model.md).
-- Frozen: never edit a migration that has shipped; add a new one.

CREATE TABLE contracts (
    contract_id          VARCHAR PRIMARY KEY,
    account_id           VARCHAR NOT NULL,
    term_start           DATE NOT NULL,
    term_months          INTEGER NOT NULL,
    billing_period       VARCHAR NOT NULL,
    auto_renew           BOOLEAN,
    cancellation_reason  VARCHAR,
    source               VARCHAR NOT NULL,
    loaded_at            TIMESTAMP NOT NULL
);

ALTER TABLE subscriptions ADD COLUMN contract_id VARCHAR;

-- Subscriptions already stored become what a subscription loaded without a contract is:
-- its own evergreen monthly contract, with the subscription's id, from its start date.
INSERT INTO contracts
SELECT subscription_id, account_id, start_date, 1, 'monthly', true, NULL,
       'migration 0006: one evergreen monthly contract per subscription', now()::TIMESTAMP
FROM subscriptions;

UPDATE subscriptions SET contract_id = subscription_id;
