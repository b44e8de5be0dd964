-- Reviewers act where they are (issue 12); see the SQLite migration of the same number
-- for the reasons. Same columns and rules, PostgreSQL types.

ALTER TABLE reviewer ADD COLUMN slack_user_id TEXT
    CHECK (slack_user_id IS NULL OR length(slack_user_id) BETWEEN 1 AND 64);
ALTER TABLE reviewer ADD COLUMN teams_user_id TEXT
    CHECK (teams_user_id IS NULL OR length(teams_user_id) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX reviewer_slack_user ON reviewer (slack_user_id) WHERE slack_user_id IS NOT NULL;
CREATE UNIQUE INDEX reviewer_teams_user ON reviewer (teams_user_id) WHERE teams_user_id IS NOT NULL;

CREATE TABLE review_link (
    review_link_id BIGSERIAL PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    action_id      TEXT NOT NULL REFERENCES action (action_id),
    revision       BIGINT NOT NULL CHECK (revision > 0),
    reviewer_id    BIGINT NOT NULL REFERENCES reviewer (reviewer_id),
    verb           TEXT NOT NULL CHECK (verb IN ('approve', 'reject', 'reply')),
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX review_link_action ON review_link (action_id);

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('email', 'webhook', 'slack', 'teams'));
