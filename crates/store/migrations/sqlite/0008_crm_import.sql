-- CRM import (issue 13): what a Salesforce or HubSpot export brings besides the contacts
-- and opportunities Countersign already kept — accounts, the CRM's users (owners), the
-- opportunity's pipeline facts, its stage history and the activities on it. Upserted by
-- the CRM's own ids, so importing the same files again changes nothing. The PostgreSQL
-- migration of the same number makes the same change with its types.

-- A CRM user: who owns accounts and opportunities. `rep` is their name in Countersign
-- (the mapping file's, else their address's local part), which opportunities' `owner` holds.
CREATE TABLE crm_user (
    user_id    TEXT PRIMARY KEY,
    name       TEXT,
    email      TEXT,
    rep        TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE crm_account (
    account_id TEXT PRIMARY KEY,
    name       TEXT,
    domain     TEXT,
    owner      TEXT,
    -- Columns no field maps, as the export wrote them: {"Industry": "Logistics", …}.
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

ALTER TABLE contact ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';

-- The pipeline facts triage reads.
ALTER TABLE opportunity ADD COLUMN next_step TEXT;
ALTER TABLE opportunity ADD COLUMN last_activity TEXT;
ALTER TABLE opportunity ADD COLUMN next_activity TEXT;
ALTER TABLE opportunity ADD COLUMN is_closed INTEGER CHECK (is_closed IN (0, 1));
ALTER TABLE opportunity ADD COLUMN is_won INTEGER CHECK (is_won IN (0, 1));
ALTER TABLE opportunity ADD COLUMN probability REAL;
ALTER TABLE opportunity ADD COLUMN forecast_category TEXT;
ALTER TABLE opportunity ADD COLUMN pipeline TEXT;
ALTER TABLE opportunity ADD COLUMN crm_created_at TEXT;
ALTER TABLE opportunity ADD COLUMN crm_modified_at TEXT;
ALTER TABLE opportunity ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';

-- An opportunity's stage, amount and close date from `at` on (Salesforce's
-- OpportunityHistory). Appended once: a row's id is the CRM's, or derived from its content.
CREATE TABLE opportunity_history (
    history_id     TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL,
    at             TEXT NOT NULL,
    stage          TEXT,
    amount         REAL,
    close_date     TEXT
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
    at          TEXT,
    subject     TEXT,
    status      TEXT,
    direction   TEXT CHECK (direction IS NULL OR direction IN ('inbound', 'outbound'))
);
CREATE INDEX crm_activity_what ON crm_activity (what_id, at);
CREATE INDEX crm_activity_who ON crm_activity (who_id, at);
