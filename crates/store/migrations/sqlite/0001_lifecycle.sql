-- Countersign's durable lifecycle on SQLite. The PostgreSQL migration of the same number
-- creates the same tables, columns and constraints; only the column types differ:
--   timestamps  TEXT (RFC 3339 UTC, written by the store)  vs  TIMESTAMPTZ
--   JSON        TEXT                                       vs  JSONB
--   integers    INTEGER                                    vs  BIGINT (INTEGER for `attempts`)
-- Every timestamp comes from the `now` the caller passes, never from the database clock,
-- so tests control time and both backends agree. Timestamps are compared as text on
-- SQLite: every value is UTC with the same `+00:00` suffix, so text order is time order.

-- A policy the store has decided with. Decisions name their policy by version; keeping the
-- texts lets `replay` load exactly that policy again.
CREATE TABLE policy (
    policy_id     INTEGER PRIMARY KEY,
    -- The engine's content hash of the three texts, `sha256:` + 16 hex digits.
    version       TEXT NOT NULL UNIQUE,
    -- The policy's `name` from policy.toml.
    name          TEXT NOT NULL,
    -- The three source texts; NULL when the store only saw the loaded policy, not its files.
    toml_source   TEXT,
    cedar_source  TEXT,
    schema_source TEXT,
    -- When the store first decided with this version.
    created_at    TEXT NOT NULL
);

-- Sanctioned tools and agents (DESIGN §2 Tool registry).
CREATE TABLE tool (
    tool_id      INTEGER PRIMARY KEY,
    -- Unique among active tools (see tool_active_name); a revoked name may be registered again.
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- Hex SHA-256 of the API key. The key itself is shown once and never stored.
    key_hash     TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    -- JSON array of the action kinds it may propose, e.g. ["email.send"].
    kinds        TEXT NOT NULL,
    -- JSON array of the data classes it is cleared for (the policy's [data_classes]).
    data_classes TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    -- Set once by `tools revoke`; a revoked key is treated like an unknown one (shadow AI).
    revoked_at   TEXT
);
CREATE UNIQUE INDEX tool_active_name ON tool (name) WHERE revoked_at IS NULL;

-- Named people who approve, edit and reject held actions.
CREATE TABLE reviewer (
    reviewer_id   INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    -- JSON array of roles from the policy's `roles`, e.g. ["manager", "deal_desk"].
    roles         TEXT NOT NULL,
    -- Reserved for the server's log-in; NULL until accounts exist.
    password_hash TEXT,
    created_at    TEXT NOT NULL
);

-- Buyers' contacts as the CRM has them; feeds the recipient part of the engine's Context.
CREATE TABLE contact (
    -- The CRM's id, used as `target.contact_id` in actions.
    contact_id TEXT PRIMARY KEY,
    -- Lower-cased address; actions without a contact id are matched by their first recipient.
    email      TEXT UNIQUE,
    name       TEXT,
    title      TEXT,
    -- Role on the opportunity, e.g. economic_buyer, executive_sponsor, champion.
    crm_role   TEXT,
    -- IANA time zone (checked on write) for quiet hours.
    timezone   TEXT,
    -- The account the contact belongs to, for per-account frequency caps.
    account_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Addresses that must not be contacted. Keyed by address, not contact, so a suppression
-- holds even for a recipient the CRM does not know.
CREATE TABLE suppression (
    suppression_id INTEGER PRIMARY KEY,
    -- Lower-cased address.
    email          TEXT NOT NULL UNIQUE,
    reason         TEXT NOT NULL CHECK (reason IN ('opt_out', 'do_not_contact', 'legal_hold')),
    created_at     TEXT NOT NULL
);

-- Opportunities as the CRM has them. Approvals record the version they saw.
CREATE TABLE opportunity (
    opportunity_id TEXT PRIMARY KEY,
    account_id     TEXT,
    name           TEXT,
    stage          TEXT,
    amount         REAL,
    close_date     TEXT,
    owner          TEXT,
    -- Incremented whenever stage, amount, close_date or owner changes: an approval given
    -- on another version no longer counts (the deal changed underneath it).
    version        INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- What a tool proposed, and where it stands.
CREATE TABLE action (
    -- `act_` + 20 random base62 characters, chosen by the store.
    action_id       TEXT PRIMARY KEY,
    -- The id the tool gave it, if any (tools' ids are not unique across tools).
    external_id     TEXT,
    kind            TEXT NOT NULL,
    -- The registered tool whose key proposed it; NULL for an unknown or revoked key.
    tool_id         INTEGER REFERENCES tool (tool_id),
    -- The registry's name for the tool, or the name an unknown tool claimed.
    tool_name       TEXT,
    -- The rep the action is on behalf of (separation of duties).
    on_behalf_of    TEXT,
    -- The resolved recipient contact and the first `to` address: frequency caps count
    -- e-mails by either. No foreign keys on CRM ids: actions may name records the CRM
    -- sync has not brought yet.
    contact_id      TEXT,
    recipient_email TEXT,
    opportunity_id  TEXT,
    account_id      TEXT,
    -- allowed: released without approval; held: waiting for approvals; approved: released
    -- after approvals; rejected, draft_only, denied: never released.
    status          TEXT NOT NULL CHECK (status IN
                        ('allowed', 'held', 'approved', 'rejected', 'draft_only', 'denied')),
    -- Number of the newest revision; approvals only count on it.
    latest_revision INTEGER NOT NULL CHECK (latest_revision >= 1),
    idempotency_key TEXT,
    -- When the action entered the outbox; set exactly for released actions.
    released_at     TEXT,
    -- Who rejected it and why (both set for rejected actions, never otherwise).
    rejected_by     TEXT,
    rejection_reason TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((status IN ('allowed', 'approved')) = (released_at IS NOT NULL)),
    CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL))
);
CREATE INDEX action_status ON action (status, created_at);
CREATE INDEX action_contact_released ON action (contact_id, released_at);
CREATE INDEX action_recipient_released ON action (recipient_email, released_at);
CREATE INDEX action_account_released ON action (account_id, released_at);
CREATE INDEX action_opportunity_released ON action (opportunity_id, released_at);

-- One version of an action's content with its decision. Revision 1 is the proposal; each
-- edit adds one and is decided again. Never updated.
CREATE TABLE revision (
    revision_id    INTEGER PRIMARY KEY,
    action_id      TEXT NOT NULL REFERENCES action (action_id),
    -- 1, 2, 3… per action.
    number         INTEGER NOT NULL CHECK (number >= 1),
    -- `tool:NAME` for the proposal, `reviewer:NAME` for an edit.
    author         TEXT NOT NULL,
    -- The engine's action as decided (kind, target, payload, sources, …).
    action_json    TEXT NOT NULL,
    -- The Context the store assembled. With action_json, the policy and created_at (the
    -- `now` given to the engine) it replays to the same decision.
    context_json   TEXT NOT NULL,
    -- The engine's DecisionRecord.
    decision_json  TEXT NOT NULL,
    decision       TEXT NOT NULL CHECK (decision IN ('allow', 'hold', 'draft_only', 'deny')),
    -- JSON array of the roles that must approve this revision: the decision's roles, plus
    -- for an edit every role an earlier revision needed (an edit never loosens).
    required_roles TEXT NOT NULL,
    policy_version TEXT NOT NULL REFERENCES policy (version),
    -- Sequence number of this revision's `decision` audit record.
    audit_seq      INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (action_id, number)
);

-- A reviewer's approval of one revision.
CREATE TABLE approval (
    approval_id         INTEGER PRIMARY KEY,
    action_id           TEXT NOT NULL REFERENCES action (action_id),
    revision_id         INTEGER NOT NULL REFERENCES revision (revision_id),
    reviewer_id         INTEGER NOT NULL REFERENCES reviewer (reviewer_id),
    -- JSON array: the required roles this approval covers (the reviewer's roles that the
    -- revision needs).
    roles               TEXT NOT NULL,
    -- The opportunity's version when approved; NULL when the action has no opportunity
    -- in the store. A different version now means the approval has expired.
    opportunity_version INTEGER,
    -- The approval no longer counts from this time (created_at + the approval TTL).
    expires_at          TEXT NOT NULL,
    created_at          TEXT NOT NULL
);
CREATE INDEX approval_revision ON approval (revision_id);

-- What is released and must be delivered exactly once (DESIGN §2 Outbox).
CREATE TABLE outbox (
    outbox_id        INTEGER PRIMARY KEY,
    -- One delivery per action: a second release of the same action is a constraint error.
    action_id        TEXT NOT NULL UNIQUE REFERENCES action (action_id),
    kind             TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    -- email: {"to", "cc", "subject", "body", "from"}; webhook: the CRM change.
    payload          TEXT NOT NULL,
    -- Derived from the action id only, so a redelivery carries the same Message-ID.
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
CREATE INDEX outbox_claimable ON outbox (status, next_attempt_at);

-- Idempotency keys with Stripe's semantics: the same key with the same request returns
-- the first answer; with another request it is refused. Kept at least 7 days (`prune`).
CREATE TABLE idempotency_key (
    idempotency_key_id INTEGER PRIMARY KEY,
    -- Hex SHA-256 of the presented API key: keys are per tool, as Stripe's are per account.
    scope              TEXT NOT NULL,
    -- The key the client chose.
    client_key         TEXT NOT NULL,
    -- Hex SHA-256 of the canonical JSON of the proposed action.
    request_hash       TEXT NOT NULL,
    -- The action the first request created; its first revision is the stored answer.
    action_id          TEXT NOT NULL REFERENCES action (action_id),
    created_at         TEXT NOT NULL,
    -- Two concurrent requests with one key cannot both insert: the loser returns the winner's answer.
    UNIQUE (scope, client_key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);

-- The tamper-evident audit log: one SHA-256 hash chain (DESIGN §2 Audit log). Append-only.
-- Each record's hash covers the canonical JSON of
--   {"action_id", "actor", "at", "data", "event", "prev_hash", "seq"}
-- (keys sorted, no whitespace). Columns hold exactly the hashed text, so a change to any
-- byte of a row is found by `audit verify`.
CREATE TABLE audit_record (
    -- The sequence number (`seq`): 1, 2, 3… without gaps, assigned under the chain lock.
    audit_record_id INTEGER PRIMARY KEY CHECK (audit_record_id >= 1),
    -- `at`: RFC 3339 UTC with microseconds and `Z`, as hashed (text on both backends).
    created_at      TEXT NOT NULL,
    -- proposal, decision, shadow_ai, approval, edit, rejection, release, send,
    -- delivery_failure, parked, policy_change, tool_registration, tool_revocation, …
    event           TEXT NOT NULL,
    -- The action concerned, if any. No foreign key: the log must not depend on other tables.
    action_id       TEXT,
    -- Who caused it: `tool:NAME`, `reviewer:NAME`, `worker:NAME`, `cli:USER`, …
    actor           TEXT NOT NULL,
    -- Canonical JSON of the event's details.
    data            TEXT NOT NULL,
    -- The previous record's hash; 64 zeros for the first record.
    prev_hash       TEXT NOT NULL,
    -- Hex SHA-256 of this record's canonical encoding.
    hash            TEXT NOT NULL
);
CREATE INDEX audit_record_action ON audit_record (action_id);
