-- Outside-In schema version 25: the data to see where a journey breaks (docs/journey.md).
--
-- touchpoints.case_id: the case a touchpoint belongs to (a call about a ticket, the reply to
-- it), so repeat contacts, ping-pong and chasing can be followed within one case.
-- touchpoints.direction: who started it, 'inbound' (the customer) or 'outbound' (us).
-- case_assignments: a case's history of owners. Each row assigns the case to a function
-- (and a person, when known) from assigned_at until the case's next assignment; a row
-- with no owner is work in a function's queue that nobody has taken.

ALTER TABLE touchpoints ADD COLUMN case_id VARCHAR;
ALTER TABLE touchpoints ADD COLUMN direction VARCHAR;

CREATE TABLE case_assignments (
    assignment_id  VARCHAR PRIMARY KEY,
    case_id        VARCHAR NOT NULL,
    account_id     VARCHAR NOT NULL,
    "function"     VARCHAR NOT NULL,
    owner          VARCHAR,
    assigned_at    TIMESTAMP NOT NULL,
    source         VARCHAR NOT NULL,
    loaded_at      TIMESTAMP NOT NULL
);
