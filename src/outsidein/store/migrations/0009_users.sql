-- Outside-In schema version 9: people who sign in, their sessions and their API tokens
-- (outsidein.auth). Secrets are never stored: passwords as argon2 hashes, session ids and
-- token secrets as SHA-256 digests.

CREATE TABLE users (
    user_id        VARCHAR PRIMARY KEY,
    username       VARCHAR NOT NULL UNIQUE,   -- stored lower case
    role           VARCHAR NOT NULL CHECK (role IN ('admin', 'manager', 'csm', 'viewer')),
    csm_id         VARCHAR,                   -- a CSM's book: accounts.csm_id = this
    password_hash  VARCHAR NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    session_hash   VARCHAR PRIMARY KEY,      -- SHA-256 of the cookie's value
    user_id        VARCHAR NOT NULL,
    csrf_token     VARCHAR NOT NULL,
    method         VARCHAR NOT NULL,         -- how the user signed in: password (oidc later)
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    token_id       VARCHAR PRIMARY KEY,
    user_id        VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    scope          VARCHAR NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    secret_hash    VARCHAR NOT NULL UNIQUE,  -- SHA-256 of the secret shown once
    created_at     TIMESTAMP NOT NULL,
    revoked_at     TIMESTAMP
);
