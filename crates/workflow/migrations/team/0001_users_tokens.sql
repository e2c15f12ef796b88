-- Users of a team store, their roles and their API tokens (kept only as SHA-256 hashes).
CREATE TABLE users (
    name       TEXT PRIMARY KEY,
    roles      TEXT NOT NULL,          -- comma-separated role names, sorted
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,       -- Unix seconds
    created_by TEXT NOT NULL
);

CREATE TABLE tokens (
    prefix     TEXT PRIMARY KEY,       -- the token's first characters, shown in listings
    sha256     TEXT NOT NULL UNIQUE,   -- SHA-256 of the whole token, hex
    user_name  TEXT NOT NULL REFERENCES users (name),
    created_at INTEGER NOT NULL,
    expires_at INTEGER,                -- Unix seconds; NULL never
    revoked_at INTEGER
);
