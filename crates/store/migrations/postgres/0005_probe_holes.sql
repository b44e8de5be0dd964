-- Closing what a security probe found (issue 11); see the SQLite migration of the same
-- number for the reasons. Same columns and rules, PostgreSQL types.

CREATE TABLE login_throttle (
    name            TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 400),
    failures        BIGINT NOT NULL CHECK (failures > 0),
    blocked_until   TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE shadow_sighting (
    key_fingerprint  TEXT NOT NULL CHECK (length(key_fingerprint) = 12),
    source           TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
    minute           TIMESTAMPTZ NOT NULL,
    kind             TEXT,
    recipient_domain TEXT,
    claimed_tool     TEXT,
    count            BIGINT NOT NULL CHECK (count > 0),
    first_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (key_fingerprint, source, minute)
);
CREATE INDEX shadow_sighting_recent ON shadow_sighting (last_seen_at);
