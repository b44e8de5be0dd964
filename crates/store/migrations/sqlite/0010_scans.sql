-- Shadow-AI scans (issue 14): each scan's report, as it was produced, so the inbox's Shadow
-- AI page shows the latest and the audit log says who ran which. The report is JSON text.
CREATE TABLE scan_report (
    scan_id    INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    actor      TEXT NOT NULL,
    report     TEXT NOT NULL
);
