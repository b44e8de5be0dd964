-- Shadow-AI scans (issue 14); see the SQLite migration of the same number.
CREATE TABLE scan_report (
    scan_id    BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    report     TEXT NOT NULL
);
