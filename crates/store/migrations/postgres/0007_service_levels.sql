-- Nothing waits unseen (issue 12); see the SQLite migration of the same number for the
-- reasons. Same columns and rules, PostgreSQL types.

CREATE TABLE review_step (
    action_id  TEXT NOT NULL REFERENCES action (action_id),
    revision   BIGINT NOT NULL CHECK (revision > 0),
    step       TEXT NOT NULL CHECK (length(step) BETWEEN 1 AND 120),
    due_at     TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (action_id, revision, step)
);

-- `expired`: held until nobody could decide any more; never released.
ALTER TABLE action DROP CONSTRAINT action_status_check;
ALTER TABLE action ADD CONSTRAINT action_status_check CHECK (status IN
    ('allowed', 'held', 'approved', 'rejected', 'draft_only', 'denied', 'expired'));
