-- CRM import (issue 13); see the SQLite migration of the same number for the reasons.
-- Same columns and rules, PostgreSQL types.

-- A CRM user: who owns accounts and opportunities. `rep` is their name in Countersign
-- (the mapping file's, else their address's local part), which opportunities' `owner` holds.
CREATE TABLE crm_user (
    user_id    TEXT PRIMARY KEY,
    name       TEXT,
    email      TEXT,
    rep        TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_account (
    account_id TEXT PRIMARY KEY,
    name       TEXT,
    domain     TEXT,
    owner      TEXT,
    -- Columns no field maps, as the export wrote them: {"Industry": "Logistics", …}.
    attributes JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE contact ADD COLUMN attributes JSONB NOT NULL DEFAULT '{}';

-- The pipeline facts triage reads.
ALTER TABLE opportunity ADD COLUMN next_step TEXT;
ALTER TABLE opportunity ADD COLUMN last_activity DATE;
ALTER TABLE opportunity ADD COLUMN next_activity DATE;
ALTER TABLE opportunity ADD COLUMN is_closed BOOLEAN;
ALTER TABLE opportunity ADD COLUMN is_won BOOLEAN;
ALTER TABLE opportunity ADD COLUMN probability DOUBLE PRECISION;
ALTER TABLE opportunity ADD COLUMN forecast_category TEXT;
ALTER TABLE opportunity ADD COLUMN pipeline TEXT;
ALTER TABLE opportunity ADD COLUMN crm_created_at TIMESTAMPTZ;
ALTER TABLE opportunity ADD COLUMN crm_modified_at TIMESTAMPTZ;
ALTER TABLE opportunity ADD COLUMN attributes JSONB NOT NULL DEFAULT '{}';

-- An opportunity's stage, amount and close date from `at` on (Salesforce's
-- OpportunityHistory). Appended once: a row's id is the CRM's, or derived from its content.
CREATE TABLE opportunity_history (
    history_id     TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL,
    at             TIMESTAMPTZ NOT NULL,
    stage          TEXT,
    amount         DOUBLE PRECISION,
    close_date     DATE
);
CREATE INDEX opportunity_history_opportunity ON opportunity_history (opportunity_id, at);

-- Tasks, events, e-mails, calls, meetings and notes, appended once by their CRM id.
-- `what_id` is the opportunity or account, `who_id` the contact; `direction` is `inbound`
-- when the buyer wrote.
CREATE TABLE crm_activity (
    activity_id TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    what_id     TEXT,
    who_id      TEXT,
    at          TIMESTAMPTZ,
    subject     TEXT,
    status      TEXT,
    direction   TEXT CHECK (direction IS NULL OR direction IN ('inbound', 'outbound'))
);
CREATE INDEX crm_activity_what ON crm_activity (what_id, at);
CREATE INDEX crm_activity_who ON crm_activity (who_id, at);
