-- The reviewer queue at scale (issue 6): what a filtered, paginated queue query needs, so
-- the queue is answered by SQL instead of loading every held action. The SQLite migration
-- of the same number creates the same tables with SQLite types (see 0001).
--
-- Both tables are derived from `revision` (never updated, like it): the store writes their
-- rows in the transaction that inserts the revision, and this migration backfills them for
-- revisions that existed before it.

-- One row per role a revision requires: `revision.required_roles` as rows, so "held
-- actions still missing role X" is a join, not a JSON scan per action.
CREATE TABLE requirement (
    requirement_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision_id    BIGINT NOT NULL REFERENCES revision (revision_id),
    -- The revision's action, so filters need not go through `revision` to reach it.
    action_id      TEXT NOT NULL REFERENCES action (action_id),
    -- A role from the policy's `roles`, e.g. `deal_desk`.
    role           TEXT NOT NULL,
    -- The revision's created_at.
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (revision_id, role)
);
-- Counts per role and "still missing role X" walk this index from the latest revision.
CREATE INDEX requirement_role ON requirement (role, revision_id);

-- One row per distinct (category, subtopic) among a revision's findings, for the queue's
-- category and subtopic filters.
CREATE TABLE finding_tag (
    finding_tag_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision_id    BIGINT NOT NULL REFERENCES revision (revision_id),
    -- The revision's action.
    action_id      TEXT NOT NULL REFERENCES action (action_id),
    -- The finding's category, e.g. `commercial`.
    category       TEXT NOT NULL,
    -- The finding's subtopic, e.g. `discount`.
    subtopic       TEXT NOT NULL,
    -- The revision's created_at.
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (revision_id, category, subtopic)
);

-- The queue's order (oldest first, ties by id) and its keyset cursor, over held actions
-- only: a page is an index range scan that stops after one page of matches.
CREATE INDEX action_held_queue ON action (created_at, action_id) WHERE status = 'held';
-- Tool and rep filters on held actions.
CREATE INDEX action_held_tool ON action (tool_name, created_at) WHERE status = 'held';
CREATE INDEX action_held_rep ON action (on_behalf_of, created_at) WHERE status = 'held';

-- Backfill from the revisions already stored.
INSERT INTO requirement (revision_id, action_id, role, created_at)
SELECT DISTINCT r.revision_id, r.action_id, j.role, r.created_at
FROM revision r, jsonb_array_elements_text(r.required_roles) AS j (role);

INSERT INTO finding_tag (revision_id, action_id, category, subtopic, created_at)
SELECT DISTINCT r.revision_id, r.action_id, f ->> 'category', f ->> 'subtopic', r.created_at
FROM revision r, jsonb_array_elements(COALESCE(r.decision_json -> 'findings', '[]'::jsonb)) AS f;
