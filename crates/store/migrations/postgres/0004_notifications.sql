-- Reviewer notifications and idle session timeouts (issue 6); see the SQLite migration of
-- the same number for the reasons. Same columns and rules, PostgreSQL types.

-- Where a reviewer's notifications go; NULL means the reviewer gets no e-mail.
ALTER TABLE reviewer ADD COLUMN email TEXT CHECK (email IS NULL OR length(email) BETWEEN 3 AND 254);

-- Idle timeout: a session unused for `idle_seconds` is refused, whatever its `expires_at`.
-- NULL `idle_seconds` (sessions from before this migration) means no idle limit.
ALTER TABLE reviewer_session ADD COLUMN last_seen_at TIMESTAMPTZ;
ALTER TABLE reviewer_session ADD COLUMN idle_seconds BIGINT CHECK (idle_seconds IS NULL OR idle_seconds > 0);
UPDATE reviewer_session SET last_seen_at = created_at;

-- `release`: deliver the action itself (exactly once per action); `notify`: tell a
-- reviewer (or a chat channel) that the action waits for them.
ALTER TABLE outbox ADD COLUMN purpose TEXT NOT NULL DEFAULT 'release'
    CHECK (purpose IN ('release', 'notify'));
-- `slack`: a Slack-compatible incoming webhook (`{"text": …}`), notifications only.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('email', 'webhook', 'slack'));
-- One delivery per action is now a partial unique index: notifications share the table.
ALTER TABLE outbox DROP CONSTRAINT outbox_action_id_key;
CREATE UNIQUE INDEX outbox_release ON outbox (action_id) WHERE purpose = 'release';
CREATE INDEX outbox_action ON outbox (action_id);
