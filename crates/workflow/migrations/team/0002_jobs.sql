-- The server's jobs: long use cases run by its worker pool, kept so that a restart loses none.
CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,            -- generalize, ...
    request        TEXT NOT NULL,            -- the request, JSON, as submitted
    submitter      TEXT NOT NULL,            -- the user who submitted it
    token_prefix   TEXT NOT NULL,
    state          TEXT NOT NULL,            -- queued, running, succeeded, failed, cancelled, interrupted
    stage          TEXT NOT NULL DEFAULT '',
    fraction       REAL NOT NULL DEFAULT 0,
    result         TEXT,                     -- JSON, when succeeded
    problem        TEXT,                     -- JSON, when failed
    created_at     INTEGER NOT NULL,         -- Unix seconds
    started_at     INTEGER,
    finished_at    INTEGER,
    resubmitted_as TEXT                      -- the job made from this one by a resubmission
);
