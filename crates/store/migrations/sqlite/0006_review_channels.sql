-- Reviewers act where they are (issue 12): from the notification e-mail's links or a reply
-- to it, from Slack's buttons, from a Teams card. The PostgreSQL migration of the same
-- number makes the same change with its types.

-- Who a reviewer is in Slack (`U…` user id) and in Teams (the Azure AD object id): a click
-- or a command from anyone else is refused. Unique, so one chat user is one reviewer.
ALTER TABLE reviewer ADD COLUMN slack_user_id TEXT
    CHECK (slack_user_id IS NULL OR length(slack_user_id) BETWEEN 1 AND 64);
ALTER TABLE reviewer ADD COLUMN teams_user_id TEXT
    CHECK (teams_user_id IS NULL OR length(teams_user_id) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX reviewer_slack_user ON reviewer (slack_user_id) WHERE slack_user_id IS NOT NULL;
CREATE UNIQUE INDEX reviewer_teams_user ON reviewer (teams_user_id) WHERE teams_user_id IS NOT NULL;

-- A link (or reply address) in a notification e-mail that lets one reviewer approve,
-- reject or answer one revision of one action: single use, until `expires_at`. Only the
-- SHA-256 of its token is kept; the token itself is only in the e-mail.
CREATE TABLE review_link (
    review_link_id INTEGER PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    action_id      TEXT NOT NULL REFERENCES action (action_id),
    revision       INTEGER NOT NULL CHECK (revision > 0),
    reviewer_id    INTEGER NOT NULL REFERENCES reviewer (reviewer_id),
    -- `approve` and `reject` are the e-mail's two links; `reply` is its Reply-To address.
    verb           TEXT NOT NULL CHECK (verb IN ('approve', 'reject', 'reply')),
    expires_at     TEXT NOT NULL,
    -- Set when the link is used; a used link is refused.
    used_at        TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX review_link_action ON review_link (action_id);

-- Teams cards join the outbox's kinds (`teams`: an incoming webhook taking an Adaptive
-- Card). SQLite cannot change a CHECK in place, so the table is rebuilt with the same rows.
CREATE TABLE outbox_v6 (
    outbox_id        INTEGER PRIMARY KEY,
    action_id        TEXT NOT NULL REFERENCES action (action_id),
    purpose          TEXT NOT NULL DEFAULT 'release' CHECK (purpose IN ('release', 'notify')),
    kind             TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'teams')),
    payload          TEXT NOT NULL,
    message_id       TEXT NOT NULL UNIQUE,
    idempotency_key  TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    last_error       TEXT,
    sent_at          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
INSERT INTO outbox_v6
    (outbox_id, action_id, purpose, kind, payload, message_id, idempotency_key, status,
     attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at,
     created_at, updated_at)
SELECT outbox_id, action_id, purpose, kind, payload, message_id, idempotency_key, status,
       attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at,
       created_at, updated_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v6 RENAME TO outbox;
CREATE UNIQUE INDEX outbox_release ON outbox (action_id) WHERE purpose = 'release';
CREATE INDEX outbox_action ON outbox (action_id);
CREATE INDEX outbox_claimable ON outbox (status, next_attempt_at);
