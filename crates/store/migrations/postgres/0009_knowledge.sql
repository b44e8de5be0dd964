-- Approved knowledge (issue 13); see the SQLite migration of the same number.
CREATE TABLE knowledge_entry (
    entry_id      TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    topic         TEXT NOT NULL,
    owner         TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    valid_until   DATE NOT NULL,
    body          TEXT NOT NULL,
    source_text   TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

ALTER TABLE action ADD COLUMN text_fingerprint TEXT;
CREATE INDEX action_text_fingerprint ON action (text_fingerprint, created_at)
    WHERE text_fingerprint IS NOT NULL;
