-- Closing what a security probe found (issue 11). The PostgreSQL migration of the same
-- number makes the same change with its types.

-- Log-in back-off per name (folded), whichever address the attempts come from: after a few
-- failures the name is refused until `blocked_until`, twice as long with each further
-- failure. A success deletes the row. Names no account has are throttled the same way, so
-- the answer does not tell which names exist.
CREATE TABLE login_throttle (
    name            TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 400),
    failures        INTEGER NOT NULL CHECK (failures > 0),
    blocked_until   TEXT,
    last_failure_at TEXT NOT NULL
);

-- Requests from API keys the registry does not know (or revoked): answered 401 and counted
-- here, one row per key fingerprint, source address and minute, never the request's body.
-- The first request of each row is also an audit record (`shadow_ai`).
CREATE TABLE shadow_sighting (
    key_fingerprint  TEXT NOT NULL CHECK (length(key_fingerprint) = 12),
    source           TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
    minute           TEXT NOT NULL,
    kind             TEXT,
    recipient_domain TEXT,
    claimed_tool     TEXT,
    count            INTEGER NOT NULL CHECK (count > 0),
    first_seen_at    TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    PRIMARY KEY (key_fingerprint, source, minute)
);
CREATE INDEX shadow_sighting_recent ON shadow_sighting (last_seen_at);
