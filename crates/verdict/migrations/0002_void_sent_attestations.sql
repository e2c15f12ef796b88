-- Visas can be voided as issued in error, marked as sent, and issued over contrary assessments
-- only with a recorded reason; recipients' signed attestations are kept beside the assessments.
-- SQLite cannot change a CHECK constraint, so the visas table is rebuilt (foreign keys are
-- enforced only after migrations run, so the copy keeps every reference to it).
CREATE TABLE visas_new (
    id                TEXT PRIMARY KEY,
    assessment_id     TEXT NOT NULL REFERENCES assessments (id),
    recipient         TEXT NOT NULL,
    twin_sha256       TEXT NOT NULL,
    twin_path         TEXT NOT NULL,
    source_sha256     TEXT NOT NULL,
    verdict           TEXT NOT NULL CHECK (verdict IN ('anonymized', 'de_identified', 'personal')),
    issued_on         TEXT NOT NULL,
    review_on         TEXT NOT NULL,
    conditions        TEXT NOT NULL,
    assessment_sha256 TEXT NOT NULL,
    profile_sha256    TEXT NOT NULL,
    policy_sha256     TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked', 'superseded', 'void')),
    state_on          TEXT,
    state_reason      TEXT,
    superseded_by     TEXT REFERENCES visas (id),
    review_flags      TEXT NOT NULL DEFAULT '[]',
    sent_on           TEXT,
    override_reason   TEXT
);
INSERT INTO visas_new (id, assessment_id, recipient, twin_sha256, twin_path, source_sha256, verdict,
    issued_on, review_on, conditions, assessment_sha256, profile_sha256, policy_sha256, state,
    state_on, state_reason, superseded_by, review_flags)
SELECT id, assessment_id, recipient, twin_sha256, twin_path, source_sha256, verdict, issued_on,
    review_on, conditions, assessment_sha256, profile_sha256, policy_sha256, state, state_on,
    state_reason, superseded_by, review_flags FROM visas;
DROP TABLE visas;
ALTER TABLE visas_new RENAME TO visas;
CREATE INDEX visas_by_recipient ON visas (recipient, source_sha256);
CREATE INDEX visas_by_twin ON visas (twin_sha256);
CREATE INDEX assessments_by_pair ON assessments (twin_sha256, recipient);

CREATE TABLE attestations (
    id           TEXT PRIMARY KEY,
    imported_at  TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    twin_sha256  TEXT NOT NULL,
    verdict      TEXT NOT NULL CHECK (verdict IN ('anonymized', 'de_identified', 'personal')),
    public_key   TEXT NOT NULL,
    body         TEXT NOT NULL,
    body_sha256  TEXT NOT NULL
);
CREATE INDEX attestations_by_pair ON attestations (twin_sha256, recipient);

CREATE TABLE kits (
    sha256      TEXT PRIMARY KEY,
    exported_at TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    twin_sha256 TEXT NOT NULL,
    assessment  TEXT NOT NULL REFERENCES assessments (id),
    body        TEXT NOT NULL
);
