-- Ledger schema, version 1. Migrations are applied in order; PRAGMA user_version records the last.
CREATE TABLE exporters (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    ciio INTEGER NOT NULL DEFAULT 0,
    grp TEXT,
    ftz TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE recipients (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    jurisdiction TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE transfers (
    id TEXT PRIMARY KEY,
    exporter_id INTEGER NOT NULL REFERENCES exporters (id),
    recipient_id INTEGER NOT NULL REFERENCES recipients (id),
    date TEXT NOT NULL,
    year INTEGER NOT NULL,
    file TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    person_column TEXT NOT NULL,
    sensitive_columns TEXT NOT NULL,
    purpose TEXT,
    legal_basis TEXT,
    mechanism TEXT,
    counted INTEGER NOT NULL,
    not_counted_reason TEXT,
    rows INTEGER NOT NULL,
    persons INTEGER NOT NULL,
    sensitive_persons INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    new_ordinary INTEGER NOT NULL,
    new_sensitive INTEGER NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX transfers_exporter_year ON transfers (exporter_id, year);
-- One row per (exporter, year, counter, person): a keyed hash, never the identifier.
CREATE TABLE persons (
    exporter_id INTEGER NOT NULL,
    year INTEGER NOT NULL,
    counter TEXT NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (exporter_id, year, counter, hash)
) WITHOUT ROWID;
CREATE TABLE filings (
    id INTEGER PRIMARY KEY,
    exporter_id INTEGER NOT NULL REFERENCES exporters (id),
    recipient_id INTEGER REFERENCES recipients (id),
    kind TEXT NOT NULL,
    effective TEXT,
    filed TEXT,
    issued TEXT,
    expires TEXT,
    purpose TEXT,
    scope TEXT,
    created_at TEXT NOT NULL
);
-- Public holidays (working = 0) and make-up working days on weekends (working = 1).
CREATE TABLE calendar (
    date TEXT PRIMARY KEY,
    working INTEGER NOT NULL,
    name TEXT NOT NULL
);
