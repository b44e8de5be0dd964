-- Accounts for the server (issue 5). Reviewers log in with a password and get a session
-- token; an admin flag marks the RevOps admins who manage tools, accounts and the policy.
-- The SQLite migration of the same number creates the same columns and tables with SQLite
-- types (see 0001 for the mapping).

-- Whether the reviewer is also an admin (manages tools, accounts, policy, audit). An admin
-- approves nothing unless they also hold a required role.
ALTER TABLE reviewer ADD COLUMN admin BOOLEAN NOT NULL DEFAULT FALSE;
-- `password_hash` (from 0001) holds an argon2id PHC string, written by the server; NULL
-- means the account cannot log in. Set when the account may no longer log in; its
-- sessions stop working at once.
ALTER TABLE reviewer ADD COLUMN disabled_at TIMESTAMPTZ;

-- A logged-in reviewer's bearer token.
CREATE TABLE reviewer_session (
    reviewer_session_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Hex SHA-256 of the token (`csr_` + 32 base62). The token is shown once, at log-in.
    token_hash          TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    reviewer_id         BIGINT NOT NULL REFERENCES reviewer (reviewer_id),
    -- The token is refused from this time on.
    expires_at          TIMESTAMPTZ NOT NULL,
    -- Set by log-out.
    revoked_at          TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX reviewer_session_reviewer ON reviewer_session (reviewer_id);

-- Which policy decides: the newest row is the active policy. Every row is audited
-- (`policy_activation`), so who switched the rules, and when, is in the chain.
CREATE TABLE policy_activation (
    policy_activation_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version              TEXT NOT NULL REFERENCES policy (version),
    -- Who activated it: `reviewer:NAME`, `cli:USER`, `serve:config`.
    actor                TEXT NOT NULL,
    -- Sequence number of the `policy_activation` audit record.
    audit_seq            BIGINT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL
);
