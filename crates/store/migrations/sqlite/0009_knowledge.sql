-- Approved knowledge (issue 13): answers a seller may give on an objection topic, each
-- approved by someone and valid until a date. Claims in proposed messages are checked
-- against the entries valid on the day; the assistant's drafts quote them. `revision`
-- counts changes to an entry's text; each change is audited with the text's SHA-256.
CREATE TABLE knowledge_entry (
    entry_id      TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    topic         TEXT NOT NULL,
    owner         TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    body          TEXT NOT NULL,
    -- The file as given (front matter and body), so `knowledge show` returns it unchanged.
    source_text   TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- No generic sequences: each e-mail's text with its mail-merge fields taken out, hashed
-- (`specificity::fingerprint`), so the gate can count how many buyers got the same text.
ALTER TABLE action ADD COLUMN text_fingerprint TEXT;
CREATE INDEX action_text_fingerprint ON action (text_fingerprint, created_at)
    WHERE text_fingerprint IS NOT NULL;
