-- no-transaction
-- Nothing waits unseen (issue 12): the policy's service levels remind a role's reviewers,
-- escalate what they did not decide in time, and let an item nobody decided expire. The
-- PostgreSQL migration of the same number makes the same change with its types.

-- Each step the service levels took for an item, once per revision: `remind.<role>`,
-- `escalate.<role>`, `expire`. `due_at` is when the role's time was (or is) up.
CREATE TABLE IF NOT EXISTS review_step (
    action_id  TEXT NOT NULL REFERENCES action (action_id),
    revision   INTEGER NOT NULL CHECK (revision > 0),
    step       TEXT NOT NULL CHECK (length(step) BETWEEN 1 AND 120),
    due_at     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (action_id, revision, step)
);

-- `expired`: held until nobody could decide any more; never released, and reported to the
-- tool as expired (not as denied or rejected). SQLite cannot change a CHECK in place, so
-- the table is rebuilt the way SQLite documents it (ALTER TABLE, "other kinds of table
-- schema changes"): with foreign keys off, outside sqlx's transaction since the pragma
-- cannot change inside one, so the other tables' REFERENCES action (…) keep naming
-- `action` and point at the new table; the rebuild itself is one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE action_v7 (
    action_id       TEXT PRIMARY KEY,
    external_id     TEXT,
    kind            TEXT NOT NULL,
    tool_id         INTEGER REFERENCES tool (tool_id),
    tool_name       TEXT,
    on_behalf_of    TEXT,
    contact_id      TEXT,
    recipient_email TEXT,
    opportunity_id  TEXT,
    account_id      TEXT,
    -- allowed: released without approval; held: waiting for approvals; approved: released
    -- after approvals; rejected, draft_only, denied, expired: never released.
    status          TEXT NOT NULL CHECK (status IN
                        ('allowed', 'held', 'approved', 'rejected', 'draft_only', 'denied', 'expired')),
    latest_revision INTEGER NOT NULL CHECK (latest_revision >= 1),
    idempotency_key TEXT,
    released_at     TEXT,
    rejected_by     TEXT,
    rejection_reason TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((status IN ('allowed', 'approved')) = (released_at IS NOT NULL)),
    CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL))
);
INSERT INTO action_v7 SELECT * FROM action;
DROP TABLE action;
ALTER TABLE action_v7 RENAME TO action;
CREATE INDEX action_status ON action (status, created_at);
CREATE INDEX action_contact_released ON action (contact_id, released_at);
CREATE INDEX action_recipient_released ON action (recipient_email, released_at);
CREATE INDEX action_account_released ON action (account_id, released_at);
CREATE INDEX action_opportunity_released ON action (opportunity_id, released_at);
CREATE INDEX action_held_queue ON action (created_at, action_id) WHERE status = 'held';
CREATE INDEX action_held_tool ON action (tool_name, created_at) WHERE status = 'held';
CREATE INDEX action_held_rep ON action (on_behalf_of, created_at) WHERE status = 'held';
COMMIT;
PRAGMA foreign_keys = ON;
