-- The visa register: every assessment as run (its JSON and hash), every visa issued on one, and
-- what happened to each visa since.
CREATE TABLE assessments (
    id             TEXT PRIMARY KEY,
    created_at     TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    twin_sha256    TEXT NOT NULL,
    twin_path      TEXT NOT NULL,
    source_sha256  TEXT NOT NULL,
    source_path    TEXT NOT NULL,
    spec_path      TEXT NOT NULL,
    verdict        TEXT NOT NULL CHECK (verdict IN ('anonymized', 'de_identified', 'personal')),
    profile_sha256 TEXT NOT NULL,
    policy_sha256  TEXT NOT NULL,
    command        TEXT NOT NULL,
    body           TEXT NOT NULL,
    body_sha256    TEXT NOT NULL
);
CREATE INDEX assessments_by_recipient ON assessments (recipient, source_sha256);

CREATE TABLE visas (
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
    state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked', 'superseded')),
    state_on          TEXT,
    state_reason      TEXT,
    superseded_by     TEXT REFERENCES visas (id),
    review_flags      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX visas_by_recipient ON visas (recipient, source_sha256);
CREATE INDEX visas_by_twin ON visas (twin_sha256);

CREATE TABLE visa_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    visa_id TEXT NOT NULL REFERENCES visas (id),
    at      TEXT NOT NULL,
    event   TEXT NOT NULL,
    detail  TEXT NOT NULL
);
