-- Reviewer notifications and idle session timeouts (issue 6). When an action enters a
-- role's queue, the reviewers holding that role are told through the outbox, in the same
-- transaction that held the action: so the outbox now carries two purposes, releasing an
-- action (at most one row per action) and notifying reviewers about it (one row per
-- reviewer, or one per Slack-compatible webhook message).
-- The PostgreSQL migration of the same number makes the same change with its types.

-- Where a reviewer's notifications go; NULL means the reviewer gets no e-mail.
ALTER TABLE reviewer ADD COLUMN email TEXT CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254);

-- Idle timeout: a session unused for `idle_seconds` is refused, whatever its `expires_at`.
-- `last_seen_at` is moved forward when the session is used (at most once a minute). NULL
-- `idle_seconds` (sessions from before this migration) means no idle limit.
ALTER TABLE reviewer_session ADD COLUMN last_seen_at TEXT;
ALTER TABLE reviewer_session ADD COLUMN idle_seconds INTEGER CHECK (idle_seconds IS NULL OR idle_seconds > 0);
UPDATE reviewer_session SET last_seen_at = created_at;

-- SQLite cannot drop a UNIQUE constraint or change a CHECK in place: the outbox is rebuilt
-- with the same rows (all of them releases) and the one-release-per-action rule becomes a
-- partial unique index.
CREATE TABLE outbox_v4 (
    outbox_id        INTEGER PRIMARY KEY,
    -- The action released, or the action the reviewers are told about.
    action_id        TEXT NOT NULL REFERENCES action (action_id),
    -- `release`: deliver the action itself (exactly once per action); `notify`: tell a
    -- reviewer (or a chat channel) that the action waits for them.
    purpose          TEXT NOT NULL DEFAULT 'release' CHECK (purpose IN ('release', 'notify')),
    -- `slack`: a Slack-compatible incoming webhook (`{"text": …}`), notifications only.
    kind             TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'slack')),
    -- email: {"to", "cc", "subject", "body", "from"}; webhook: the CRM change; slack: {"text"}.
    payload          TEXT NOT NULL,
    -- Releases: derived from the action id only, so a redelivery carries the same
    -- Message-ID. Notifications: from the action, its revision and the reviewer.
    message_id       TEXT NOT NULL UNIQUE,
    -- Sent with webhooks so the receiver drops duplicates; the action's key or its id.
    idempotency_key  TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    -- Claims so far (each claim counts, so a crash mid-delivery still counts).
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Not claimable before this time (quiet hours, retry backoff).
    next_attempt_at  TEXT NOT NULL,
    -- The worker holding the claim and until when; an expired lease may be claimed again.
    lease_owner      TEXT,
    lease_expires_at TEXT,
    -- The last delivery error, for people (no message content).
    last_error       TEXT,
    sent_at          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
INSERT INTO outbox_v4
    (outbox_id, action_id, purpose, kind, payload, message_id, idempotency_key, status,
     attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at,
     created_at, updated_at)
SELECT outbox_id, action_id, 'release', kind, payload, message_id, idempotency_key, status,
       attempts, next_attempt_at, lease_owner, lease_expires_at, last_error, sent_at,
       created_at, updated_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
-- One delivery per action: a second release of the same action is a constraint error.
CREATE UNIQUE INDEX outbox_release ON outbox (action_id) WHERE purpose = 'release';
CREATE INDEX outbox_action ON outbox (action_id);
CREATE INDEX outbox_claimable ON outbox (status, next_attempt_at);
